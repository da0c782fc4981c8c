import Foundation

/// Foreign-architecture emulation for multi-platform tests: qemu-aarch64 registered with the kernel's
/// binfmt_misc (ci/setup.sh installs qemu-user-static + binfmt-support and enables it).
package enum Emulation {
    /// Descriptions of what is missing to run linux/arm64 binaries here; empty when they run (natively or
    /// under qemu). For ``ToolRequirement``'s `also:`.
    package static func arm64Missing() -> [String] {
        var info = utsname()
        uname(&info)
        let machine = withUnsafeBytes(of: &info.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if machine == "aarch64" { return [] }
        let entry = (try? String(contentsOfFile: "/proc/sys/fs/binfmt_misc/qemu-aarch64", encoding: .utf8)) ?? ""
        return entry.hasPrefix("enabled")
            ? [] : ["qemu-aarch64 registered with binfmt_misc (ci/setup.sh: update-binfmts --enable qemu-aarch64)"]
    }
}
