import ArgumentParser
import EnvctlImageBuild
import EnvctlModel
import EnvctlSupplyChain
import EnvctlWorkflows
import Foundation

extension EnvctlCommand {
    struct Sbom: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sbom",
            abstract: "Write the SBOM of a locked environment: CycloneDX 1.6 JSON (default) or SPDX 2.3 JSON.",
            discussion: """
                Lists every locked Python package (name, version, purl, sha256 hashes, index), the base and \
                builder images (pkg:oci purls with their digests), CUDA, cuDNN, Python and the framework. After \
                `envctl build`, the Debian packages actually installed in the image are read from its OCI layout's \
                dpkg status (.envctl/build/ENV/oci, or --oci-layout). The output is deterministic: components are \
                sorted, the serial number and namespace derive from the lock hash, and the timestamp is \
                SOURCE_DATE_EPOCH (default: the commit time of HEAD).

                Examples:
                  envctl sbom --env train -o sbom.cdx.json
                  envctl sbom --format spdx -o sbom.spdx.json

                Exit codes: 0 written, 64 bad input (lock, environment, output path).
                """)

        @Option(name: .customLong("lock"), help: "The lock file to read (default: envctl.lock).")
        var lockFile: String?

        @Option(name: .long, help: "Path to envctl.yaml; the envctl.lock next to it is read.")
        var spec: String?

        var lock: String { lockFile ?? spec.map(SpecOptions.lockPath(forSpec:)) ?? Lockfile.fileName }

        func validate() throws {
            if lockFile != nil && spec != nil { throw ValidationError("pass --spec or --lock, not both") }
        }

        @Option(name: .customLong("env"), help: "Environment to describe (required when the lock has several).")
        var environment: String?

        @Option(name: .long, help: "cyclonedx (CycloneDX 1.6 JSON) or spdx (SPDX 2.3 JSON).")
        var format: SBOMFormat = .cyclonedx

        @Option(name: .shortAndLong, help: "Write here instead of stdout.")
        var output: String?

        @Option(
            name: .customLong("oci-layout"),
            help:
                "OCI layout of the built image whose dpkg status to read (default: .envctl/build/ENV/oci when present)."
        )
        var ociLayout: String?

        func run() async throws {
            try await ErrorPresentation.guarded {
                let env = try Lockfile.load(fileAt: lock).selectEnvironment(environment, file: lock)
                let layout = ociLayout ?? ".envctl/build/\(env.name)/oci"
                let subject = SupplyChainRecord.subject(
                    env, inputs: SourceInfo.detect(in: FileManager.default.currentDirectoryPath),
                    ociLayout: FileManager.default.fileExists(atPath: layout) ? layout : nil, refName: env.contentTag,
                    toolVersion: EnvctlCommand.envctlVersion)
                let data = SBOMDocument.render(subject, format: format)
                if let output {
                    try AtomicFile.write(String(decoding: data, as: UTF8.self), to: output)
                } else {
                    FileHandle.standardOutput.write(data)
                }
            }
        }
    }
}

extension SBOMFormat: ExpressibleByArgument {}
