package import EnvctlModel
import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Errors from pinning Python requirements.
package struct PythonPinError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Code: String, Sendable, Hashable {
        /// `uv` is not on PATH.
        case toolMissing
        /// uv ran and failed (no solution, network, bad requirement).
        case resolutionFailed
        /// uv's output could not be read.
        case unreadableOutput
        /// A temporary file for uv could not be written.
        case temporaryFileUnwritable
        /// uv could not connect to an index (DNS, refused, timed out) or did not trust its certificate.
        case indexUnreachable
    }

    package var code: Code
    package var message: String
    /// What to do about it (the mirror options for an unreachable index).
    package var hint: String?

    package init(_ code: Code, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    package var description: String { message }
}

/// What to pin: requirement lines, the target interpreter and platform, and where to look.
package struct PinRequest: Sendable, Hashable {
    package var requirements: [String]
    package var python: String
    /// uv's `--python-platform`, e.g. `x86_64-manylinux_2_28`.
    package var platform: String
    /// Canonical default index (PyPI unless the spec says otherwise).
    package var defaultIndex: String
    /// Canonical extra index searched first (the framework's CUDA-specific index).
    package var frameworkIndex: String?
    package var mirrors: [String: String]
    package var offline: Bool
    /// Constraint lines (`nvidia-cuda-runtime-cu12==12.6.*`): they bound versions without requiring packages.
    package var constraints: [String]
    /// Extra variables for uv: a corporate network's `SSL_CERT_FILE`, `NETRC` and proxies (``NetworkAccess``).
    package var environment: [String: String] = [:]
    /// Pins uv prefers (`numpy==1.26.4`, from the previous lock), so only what must move moves (`add`, `upgrade`).
    package var preferences: [String] = []
    /// Which preferred pins uv may move to the newest allowed version anyway.
    package var upgrade: PinUpgrade = .none

    package init(
        requirements: [String], python: String, platform: String = "x86_64-manylinux_2_28",
        defaultIndex: String = PythonIndexSettings.pypi, frameworkIndex: String? = nil, mirrors: [String: String] = [:],
        offline: Bool = false, constraints: [String] = []
    ) {
        self.constraints = constraints
        self.requirements = requirements
        self.python = python
        self.platform = platform
        self.defaultIndex = defaultIndex
        self.frameworkIndex = frameworkIndex
        self.mirrors = mirrors
        self.offline = offline
    }
}

/// Which of the preferred pins uv may move: none, some packages (`--upgrade-package`), or all (`--upgrade`).
package enum PinUpgrade: Sendable, Hashable {
    case none
    case packages([String])
    case all
}

/// Pins Python requirements to exact versions with sha256 hashes by driving `uv pip compile --generate-hashes`.
///
/// uv does the resolution (it is the fastest, most correct resolver available and users already trust it);
/// envctl adds the GPU-specific inputs (the framework's CUDA index, target platform and Python) and records
/// the canonical index of each package even when a mirror served it.
package struct UVPinner: Sendable {
    package var uvPath: String

    /// Finds `uv` on PATH (or `ENVCTL_UV`).
    /// - Throws: ``PythonPinError`` `.toolMissing` with install instructions.
    package init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(PythonPinError) {
        if let explicit = environment["ENVCTL_UV"], FileManager.default.isExecutableFile(atPath: explicit) {
            uvPath = explicit
            return
        }
        for dir in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/uv"
            if FileManager.default.isExecutableFile(atPath: candidate) {
                uvPath = candidate
                return
            }
        }
        throw PythonPinError(
            .toolMissing,
            """
            envctl needs 'uv' to pin Python packages with hashes, and it is not on PATH.
            Install it with 'pipx install uv' or 'python3 -m pip install uv' (https://docs.astral.sh/uv/), or set ENVCTL_UV=/path/to/uv.
            """)
    }

    package init(uvPath: String) { self.uvPath = uvPath }

    /// The arguments passed to uv, exposed for tests and `--verbose`.
    package func arguments(
        for request: PinRequest, inputFile: String, constraintsFile: String? = nil, outputFile: String? = nil
    ) -> [String] {
        let settings = PythonIndexSettings(defaultIndex: request.defaultIndex, mirrors: request.mirrors)
        // --no-python-downloads: resolving for another Python version needs no interpreter of that version,
        // and uv would otherwise try to download one.
        var args = [
            "pip", "compile", inputFile, "--generate-hashes", "--emit-index-annotation", "--no-header", "--no-annotate",
            "--quiet", "--no-python-downloads", "--python-version", request.python, "--python-platform",
            request.platform,
            "--index-url", settings.mirrored(request.defaultIndex),
        ]
        if let fi = request.frameworkIndex { args += ["--extra-index-url", settings.mirrored(fi)] }
        if let constraintsFile { args += ["--constraints", constraintsFile] }
        // uv reads the pins already in the output file as preferences and writes the new pins there.
        if let outputFile { args += ["--output-file", outputFile] }
        switch request.upgrade {
        case .none: break
        case .all: args.append("--upgrade")
        case .packages(let names): for n in names { args += ["--upgrade-package", n] }
        }
        // Offline means "no remote network": indexes on loopback or file: (mirrors, test indexes) stay usable.
        let contacted = [request.defaultIndex] + (request.frameworkIndex.map { [$0] } ?? [])
        if request.offline && !settings.allLocal(contacted) { args.append("--offline") }
        return args
    }

    /// Runs uv and returns the pinned packages sorted by name.
    package func pin(_ request: PinRequest) async throws(PythonPinError) -> [LockedPackage] {
        if request.requirements.isEmpty { return [] }
        let dir: URL
        do {
            dir = try Cleanup.makeTemporaryDirectory(prefix: "envctl-pin")
        } catch {
            throw PythonPinError(.temporaryFileUnwritable, "\(error)")
        }
        defer { Cleanup.remove(dir.path) }
        let input = dir.appendingPathComponent("requirements.in")
        let constraints = request.constraints.isEmpty ? nil : dir.appendingPathComponent("constraints.txt")
        let preferred = request.preferences.isEmpty ? nil : dir.appendingPathComponent("preferences.txt")
        do {
            if let preferred {
                try (request.preferences.joined(separator: "\n") + "\n").write(
                    to: preferred, atomically: true, encoding: .utf8)
            }
            try (request.requirements.joined(separator: "\n") + "\n").write(
                to: input, atomically: true, encoding: .utf8)
            if let constraints {
                try (request.constraints.joined(separator: "\n") + "\n").write(
                    to: constraints, atomically: true, encoding: .utf8)
            }
        } catch {
            throw PythonPinError(
                .temporaryFileUnwritable,
                "cannot write a temporary requirements file \(input.path): \(FileSystemError.Reason(error, path: input.path))"
            )
        }
        let result: ExecutionResult<Void, StringOutput<UTF8>, StringOutput<UTF8>>
        do {
            // The child is registered so that envctl terminates it when it is signalled (see `Cleanup`).
            result = try await Subprocess.run(
                .path(FilePath(uvPath)),
                arguments: Arguments(
                    arguments(
                        for: request, inputFile: input.path, constraintsFile: constraints?.path,
                        outputFile: preferred?.path)),
                environment: .inherit.updating(
                    Dictionary(
                        uniqueKeysWithValues: request.environment.merging(["UV_NO_PROGRESS": "1", "NO_COLOR": "1"]) {
                            _, b in b
                        }.map { (Environment.Key(stringLiteral: $0.key), Optional($0.value)) })),
                input: .none,
                output: .string(limit: 64 << 20), error: .string(limit: 4 << 20)
            ) { execution in
                Cleanup.registerChild(execution.processIdentifier.value)
            }
        } catch {
            throw PythonPinError(.resolutionFailed, "could not run \(uvPath): \(ToolOutput.excerpt("\(error)"))")
        }
        Cleanup.forgetChild(result.processIdentifier.value)
        guard result.terminationStatus.isSuccess else {
            if let unreachable = Self.unreachableIndex(result.standardError ?? "", request: request) {
                throw unreachable
            }
            // uv quotes the lines it cannot parse; only the lines that explain the failure are shown, redacted.
            let stderr = result.standardError ?? ""
            let needsNetwork =
                request.offline
                && (stderr.contains("network was disabled") || stderr.contains("not found in the cache"))
            throw PythonPinError(
                .resolutionFailed,
                "uv could not pin the Python requirements for Python \(request.python) on \(request.platform):\n"
                    + ToolOutput.excerpt(stderr),
                hint: needsNetwork
                    ? "--offline allows no network, and uv's cache lacks these packages: fetching them from \(request.defaultIndex) needs the network. Lock once without --offline (--no-registry skips only the registry), or point --index-mirror at a local index"
                    : nil)
        }
        let reverse = Dictionary(request.mirrors.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var output: String = result.standardOutput
        if let preferred {
            guard let data = FileManager.default.contents(atPath: preferred.path) else {
                throw PythonPinError(.unreadableOutput, "uv wrote no output file \(preferred.path)")
            }
            output = String(decoding: data, as: UTF8.self)
        }
        return try Self.parse(output, unmirror: PythonIndexSettings(mirrors: reverse))
    }

    /// A connection or certificate failure in uv's `stderr`, as an error that names the index and the fix;
    /// nil for other failures (no solution, bad requirement).
    package static func unreachableIndex(_ stderr: String, request: PinRequest) -> PythonPinError? {
        let lower = stderr.lowercased()
        let certificate = ["invalid peer certificate", "unknownissuer", "certificate verify failed"].contains {
            lower.contains($0)
        }
        let connect = [
            "client error (connect)", "dns error", "tcp connect error", "connection refused",
            "operation timed out", "failed to lookup address",
        ].contains { lower.contains($0) }
        guard certificate || connect else { return nil }
        let settings = PythonIndexSettings(defaultIndex: request.defaultIndex, mirrors: request.mirrors)
        // uv names the URL it fetched (the mirrored one); map it back to the index the spec or framework names.
        let fetched = stderr.split(separator: "\n").lazy.compactMap { line -> String? in
            guard let r = line.range(of: "Failed to fetch: ") else { return nil }
            return String(line[r.upperBound...]).trimmingCharacters(in: .whitespaces.union(["`"]))
        }.first
        var canonical = request.defaultIndex
        var which = request.defaultIndex == PythonIndexSettings.pypi ? "PyPI" : "the Python index"
        if let fi = request.frameworkIndex, let fetched, fetched.hasPrefix(settings.mirrored(fi)) {
            canonical = fi
            which = "the framework's CUDA index"
        }
        let contacted = settings.mirrored(canonical)
        let via = contacted == canonical ? "" : " (through the mirror \(contacted))"
        let reason = certificate ? "did not trust the TLS certificate of" : "could not connect to"
        let hint =
            certificate
            ? "add the CA that signs it (a TLS-intercepting proxy's, or a private index's): network.ca_bundle in envctl.yaml or --ca-bundle FILE"
            : "if \(canonical) is blocked or down here, fetch from a mirror: --index-mirror \(canonical)=MIRROR_URL (or ENVCTL_INDEX_MIRRORS), or python_index.mirrors in envctl.yaml; behind a proxy, set network.proxy or pass --proxy-from-env; --offline uses uv's cache only"
        return PythonPinError(
            .indexUnreachable,
            Secrets.redact(
                "uv \(reason) \(which) \(canonical)\(via):\n" + ToolOutput.excerpt(stderr, maxLines: 8)),
            hint: hint)
    }

    /// Parses `uv pip compile --generate-hashes --emit-index-annotation` output.
    package static func parse(_ output: String, unmirror: PythonIndexSettings = PythonIndexSettings())
        throws(PythonPinError)
        -> [LockedPackage]
    {
        // Join backslash continuations so each requirement is one logical line.
        var logical: [String] = []
        var current = ""
        for raw in output.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            let continues = line.hasSuffix("\\")
            if continues { line = String(line.dropLast()).trimmingCharacters(in: .whitespaces) }
            current += (current.isEmpty ? "" : " ") + line
            if !continues {
                if !current.isEmpty { logical.append(current) }
                current = ""
            }
        }
        var packages: [LockedPackage] = []
        for line in logical {
            if line.hasPrefix("# from ") {
                guard !packages.isEmpty else { continue }
                let url = String(line.dropFirst("# from ".count)).trimmingCharacters(in: .whitespaces)
                packages[packages.count - 1].index = unmirror.mirrored(url)
                continue
            }
            if line.hasPrefix("#") || line.isEmpty { continue }
            let parts = line.split(separator: " ").map(String.init)
            guard let spec = parts.first, let eq = spec.range(of: "==") else {
                throw PythonPinError(.unreadableOutput, "unexpected line in uv output: \(line)")
            }
            let name = String(spec[..<eq.lowerBound])
            let version = String(spec[eq.upperBound...]).split(separator: ";").first.map(String.init) ?? ""
            let hashes = parts.filter { $0.hasPrefix("--hash=") }.map { String($0.dropFirst("--hash=".count)) }.sorted()
            guard !hashes.isEmpty else {
                throw PythonPinError(.unreadableOutput, "uv gave no hash for \(name)==\(version)")
            }
            packages.append(LockedPackage(name: name, version: version, index: nil, hashes: hashes))
        }
        return packages.sorted { $0.name < $1.name }
    }
}

extension PythonPinError: EnvctlFailure {
    package var failureKind: FailureKind { code == .toolMissing ? .missingTool : .failure }
}
