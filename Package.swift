// swift-tools-version: 6.2
//
// envctl: a reproducible environment and GPU image manager for ML teams.
//
// Layering (each arrow is "may import"; imports match the declared dependencies). See docs/architecture.md.
//
//   envctl (exe) -> EnvctlCLI                       parses flags, calls a use case, presents the result
//   EnvctlCLI -> EnvctlWorkflows, EnvctlRuns, and the libraries below for their types
//   EnvctlWorkflows (use cases: lock check, build pipeline, push, push recording, mirror, rebuild, reproduce)
//       -> EnvctlLocking, EnvctlImageBuild, EnvctlTemplates, EnvctlRuns, OCIRegistry, GitSupport
//   EnvctlRuns (use cases: run, reproduce plans, pipelines) -> EnvctlKnowledge, GitSupport, OCIRegistry, Subprocess
//   EnvctlClusters (Kubernetes/Vertex jobs from the lock) -> EnvctlRuns, GitSupport, OCIRegistry, Digest;  EnvctlCLI -> it
//   EnvctlLocking -> EnvctlResolver -> EnvctlKnowledge -> EnvctlKnowledgeSchema -> EnvctlModel -> Yams
//   EnvctlLocking -> EnvctlPython (uv driver), Digest (OpenSSL SHA-256), OCIRegistry (the registry port)
//   EnvctlImageBuild -> EnvctlModel;  EnvctlTemplates -> EnvctlModel, Mustache
//   EnvctlSupplyChain (SBOM, provenance documents) -> EnvctlModel, Digest;  EnvctlWorkflows, EnvctlCLI -> it
//   OCIRegistry -> EnvctlModel (FailureKind), Digest;  CurlTransport -> OCIRegistry (HTTPTransport seam)
//   CurlTransport -> CCurl/CCurlShims;  GitSupport -> CLibGit2, EnvctlModel (FileSystemError)
//
// EnvctlModel holds the shared vocabulary: the lock, BuildInputs, FailureKind. C modules (C*) are
// imported only by the one Swift target that wraps them.
//
// Generated sources are produced at build time by build-tool plugins, in the shape of swift-openapi-generator
// (a generator executable plus a `.buildTool()` plugin that runs it), so no generated Swift is committed:
//   KnowledgeBasePlugin: knowledge/builtin.yaml -> envctl-knowledge-generator -> canonical JSON + constants
//                        compiled into EnvctlKnowledge (the generator validates with EnvctlKnowledgeSchema).
//   TemplatesPlugin:     templates/*.mustache -> envctl-template-embedder -> EnvctlTemplates.

import PackageDescription

let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    // Imports are internal unless a file says otherwise, and nothing is `public`: the only product is the
    // executable, so library API is `package` (shared between this package's targets, promised to no one).
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "envctl",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "envctl", targets: ["envctl"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // MARK: C edges
        .systemLibrary(
            name: "CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]),
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]),
        .target(name: "CCurlShims", dependencies: ["CCurl"]),
        // The release's git revision and build date (weak defaults; scripts/release.sh links the real ones).
        .target(name: "CBuildStamp"),
        .systemLibrary(
            name: "CLibGit2", pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]),

        // MARK: Libraries
        .target(name: "Digest", dependencies: ["CCrypto"], swiftSettings: settings),
        .target(
            name: "EnvctlModel",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: settings),
        // The knowledge base's types and their YAML/JSON coding; shared by EnvctlKnowledge and its generator.
        .target(
            name: "EnvctlKnowledgeSchema", dependencies: ["EnvctlModel"],
            swiftSettings: settings),
        .target(
            name: "EnvctlKnowledge",
            dependencies: ["EnvctlModel", "EnvctlKnowledgeSchema", .product(name: "Yams", package: "Yams")],
            swiftSettings: settings,
            plugins: ["KnowledgeBasePlugin"]),
        .target(name: "EnvctlResolver", dependencies: ["EnvctlModel", "EnvctlKnowledge"], swiftSettings: settings),
        .target(
            name: "EnvctlPython",
            dependencies: ["EnvctlModel", .product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: settings),
        .target(
            name: "EnvctlLocking",
            dependencies: [
                "EnvctlModel", "EnvctlKnowledge", "EnvctlResolver", "EnvctlPython", "Digest", "OCIRegistry",
            ],
            swiftSettings: settings),
        // OCIRegistry defines the HTTPTransport seam; CurlTransport implements it (the registry knows no curl).
        .target(name: "OCIRegistry", dependencies: ["Digest", "EnvctlModel"], swiftSettings: settings),
        .target(
            name: "CurlTransport", dependencies: ["CCurl", "CCurlShims", "Digest", "OCIRegistry"],
            swiftSettings: settings),
        .target(name: "GitSupport", dependencies: ["CLibGit2", "EnvctlModel"], swiftSettings: settings),
        .target(
            name: "EnvctlTemplates",
            dependencies: ["EnvctlModel", .product(name: "Mustache", package: "swift-mustache")],
            swiftSettings: settings,
            plugins: ["TemplatesPlugin"]),
        .target(
            name: "EnvctlImageBuild", dependencies: ["EnvctlModel"], swiftSettings: settings),
        // SBOM (CycloneDX 1.6, SPDX 2.3) and in-toto/SLSA provenance documents for a locked environment.
        .target(name: "EnvctlSupplyChain", dependencies: ["EnvctlModel", "Digest"], swiftSettings: settings),
        .target(
            name: "EnvctlRuns",
            dependencies: [
                "EnvctlModel", "EnvctlKnowledge", "GitSupport", "OCIRegistry",
                .product(name: "Subprocess", package: "swift-subprocess"), .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: settings),
        // Training beyond one machine: Kubernetes Job/PyTorchJob/JobSet manifests from the lock, the Kubernetes
        // API (kubeconfig) and Vertex AI CustomJobs (ADC).
        .target(
            name: "EnvctlClusters",
            dependencies: [
                "EnvctlModel", "EnvctlRuns", "GitSupport", "OCIRegistry", "Digest",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: settings),
        // The use-case layer: lock checking, the one build pipeline, recording pushes, rebuilding for reproduce.
        .target(
            name: "EnvctlWorkflows",
            dependencies: [
                "EnvctlModel", "EnvctlKnowledge", "EnvctlResolver", "EnvctlLocking", "EnvctlPython", "EnvctlTemplates",
                "EnvctlImageBuild",
                "EnvctlRuns", "GitSupport", "OCIRegistry", "EnvctlSupplyChain",
            ],
            swiftSettings: settings),
        .target(
            name: "EnvctlCLI",
            dependencies: [
                "EnvctlModel", "EnvctlKnowledge", "EnvctlResolver", "EnvctlLocking", "EnvctlPython",
                "OCIRegistry", "CurlTransport", "GitSupport", "EnvctlImageBuild", "EnvctlRuns", "EnvctlWorkflows",
                "Digest", "EnvctlSupplyChain", "EnvctlClusters", "CBuildStamp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings),
        .executableTarget(name: "envctl", dependencies: ["EnvctlCLI"], swiftSettings: settings),

        // MARK: Build-time generators
        // The built-in knowledge base is compiled in once, as canonical JSON (decoded at start-up: JSONDecoder
        // reads it about ten times faster than YAML) plus constants such as its version. The generator parses
        // and validates knowledge/builtin.yaml with the same code that loads user overlays, so a broken file
        // fails the build. It needs only EnvctlKnowledgeSchema/EnvctlModel/Yams; SwiftPM 6.3 compiles a second
        // (host) copy of those for the plugin's tool, about a minute of a cold 2-core build (SwiftPM #8275).
        .executableTarget(
            name: "envctl-knowledge-generator", dependencies: ["EnvctlKnowledgeSchema", "EnvctlModel"],
            swiftSettings: settings),
        .plugin(
            name: "KnowledgeBasePlugin", capability: .buildTool(), dependencies: ["envctl-knowledge-generator"]),
        // Templates use a build-tool plugin, not SwiftPM's `.embedInCode` resources: those must sit inside the
        // target's directory, while templates/ stays at the top level (users copy and override it), and a
        // build-tool plugin may read any file of the package when it declares it as an input.
        .executableTarget(name: "envctl-template-embedder", swiftSettings: settings),
        .plugin(name: "TemplatesPlugin", capability: .buildTool(), dependencies: ["envctl-template-embedder"]),

        // MARK: Tests
        .target(
            name: "EnvctlTestSupport",
            dependencies: ["EnvctlModel", "EnvctlKnowledge", "EnvctlLocking", "EnvctlResolver", "Digest"],
            path: "Tests/EnvctlTestSupport",
            swiftSettings: settings),
        .testTarget(
            name: "EnvctlModelTests", dependencies: ["EnvctlModel", "EnvctlTestSupport"], exclude: ["Snapshots"],
            swiftSettings: settings),
        .testTarget(
            name: "EnvctlKnowledgeTests", dependencies: ["EnvctlKnowledge", "EnvctlModel", "EnvctlTestSupport"],
            swiftSettings: settings),
        .testTarget(
            name: "EnvctlResolverTests",
            dependencies: ["EnvctlResolver", "EnvctlKnowledge", "EnvctlModel", "EnvctlTestSupport"],
            exclude: ["Snapshots"],
            swiftSettings: settings),
        .testTarget(
            name: "EnvctlLockingTests",
            dependencies: [
                "EnvctlLocking", "EnvctlPython", "EnvctlResolver", "EnvctlKnowledge", "EnvctlModel", "Digest",
                "EnvctlTestSupport", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: settings),
        .testTarget(name: "DigestTests", dependencies: ["Digest"], swiftSettings: settings),
        .testTarget(
            name: "EnvctlRunsTests",
            dependencies: [
                "EnvctlRuns", "EnvctlModel", "OCIRegistry", "CurlTransport", "EnvctlTestSupport",
            ],
            exclude: ["Fixtures"], swiftSettings: settings),
        .testTarget(
            name: "GitSupportTests", dependencies: ["GitSupport", "EnvctlTestSupport"], swiftSettings: settings),
        .testTarget(
            name: "OCIRegistryTests", dependencies: ["OCIRegistry", "CurlTransport", "EnvctlTestSupport"],
            swiftSettings: settings),
        .testTarget(
            name: "CurlTransportTests", dependencies: ["CurlTransport", "OCIRegistry", "EnvctlTestSupport"],
            swiftSettings: settings),
        .testTarget(
            name: "EnvctlCLITests", dependencies: ["EnvctlTestSupport", "EnvctlModel", "EnvctlCLI"],
            exclude: ["Snapshots"],
            swiftSettings: settings),
        .testTarget(
            name: "EnvctlTemplatesTests",
            dependencies: [
                "EnvctlTemplates", "EnvctlModel", "EnvctlTestSupport", .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["Snapshots"], swiftSettings: settings),
        .testTarget(
            name: "EnvctlWorkflowsTests",
            dependencies: [
                "EnvctlWorkflows", "EnvctlModel", "EnvctlImageBuild", "OCIRegistry", "CurlTransport",
                "EnvctlLocking", "EnvctlPython", "EnvctlKnowledge", "EnvctlTestSupport", "EnvctlSupplyChain",
                "GitSupport",
            ],
            swiftSettings: settings),
        .testTarget(name: "EnvctlImageBuildTests", dependencies: ["EnvctlImageBuild"], swiftSettings: settings),
        .testTarget(
            name: "EnvctlSupplyChainTests", dependencies: ["EnvctlSupplyChain", "EnvctlModel", "EnvctlTestSupport"],
            exclude: ["Snapshots"], swiftSettings: settings),
        .testTarget(
            name: "EnvctlClustersTests",
            dependencies: [
                "EnvctlClusters", "EnvctlRuns", "EnvctlModel", "OCIRegistry", "CurlTransport", "EnvctlTestSupport",
            ],
            exclude: ["Fixtures", "Snapshots"], swiftSettings: settings),
        .testTarget(
            name: "EndToEndTests", dependencies: ["EnvctlModel", "EnvctlTestSupport"], swiftSettings: settings),
    ]
)
