/// Python distribution names as indexes compare them.
package enum PythonPackageName {
    /// PEP 503 normalisation: lower case, runs of `-`, `_` and `.` as one `-` (`Nvidia_CuDNN.cu12` is
    /// `nvidia-cudnn-cu12`). The purl spec asks for the same form for `pkg:pypi`.
    package static func normalized(_ name: String) -> String {
        var out = ""
        var lastWasSeparator = false
        for c in name.lowercased() {
            if c == "-" || c == "_" || c == "." {
                if !lastWasSeparator { out.append("-") }
                lastWasSeparator = true
            } else {
                out.append(c)
                lastWasSeparator = false
            }
        }
        return out
    }
}
