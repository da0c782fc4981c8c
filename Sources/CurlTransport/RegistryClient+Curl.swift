package import OCIRegistry

extension RegistryClient {
    /// A client that talks over libcurl: the one envctl's commands (and `envctl lock`) use.
    ///
    /// ```swift
    /// let client = RegistryClient.curl(options: .init(configuration: try .load()))
    /// let pin = try await client.pin("docker.io/nvidia/cuda:12.4.1-base-ubuntu22.04", platform: "linux/amd64")
    /// ```
    package static func curl(options: RegistryClient.Options = .init(), userAgent: String = "envctl") -> RegistryClient
    {
        RegistryClient(transport: CurlTransport(userAgent: userAgent), options: options)
    }
}
