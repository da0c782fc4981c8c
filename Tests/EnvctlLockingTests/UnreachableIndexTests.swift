import EnvctlModel
import EnvctlPython
import Testing

/// uv's connection and certificate failures become errors that name the index and the fix.
@Suite struct UnreachableIndexTests {
    static let request = PinRequest(
        requirements: ["torch==2.5.1"], python: "3.11", frameworkIndex: "https://download.pytorch.org/whl/cu124",
        mirrors: ["https://pypi.org/simple": "http://mirror.corp.example/pypi"])

    @Test func theFrameworksCUDAIndexIsNamedWithTheMirrorOption() throws {
        let stderr = """
            error: Request failed after 3 retries in 10.6s
              cause: Failed to fetch: https://download.pytorch.org/whl/cu124/torch/
              cause: client error (Connect)
              cause: dns error
              cause: failed to lookup address information: Name or service not known
            """
        let e = try #require(UVPinner.unreachableIndex(stderr, request: Self.request))
        #expect(e.code == .indexUnreachable)
        #expect(
            e.message.hasPrefix(
                "uv could not connect to the framework's CUDA index https://download.pytorch.org/whl/cu124:"))
        #expect(e.hint?.contains("--index-mirror https://download.pytorch.org/whl/cu124=MIRROR_URL") == true)
        #expect(e.hint?.contains("python_index.mirrors") == true)
    }

    @Test func pypiThroughAMirrorAndAnUntrustedCertificate() throws {
        let stderr = """
            error: Failed to fetch: http://mirror.corp.example/pypi/numpy/
              cause: client error (Connect)
              cause: invalid peer certificate: UnknownIssuer
            """
        let e = try #require(UVPinner.unreachableIndex(stderr, request: Self.request))
        #expect(
            e.message.hasPrefix(
                "uv did not trust the TLS certificate of PyPI https://pypi.org/simple (through the mirror http://mirror.corp.example/pypi)"
            ))
        #expect(e.hint?.contains("network.ca_bundle") == true)
        // Other failures are not network failures.
        #expect(
            UVPinner.unreachableIndex("error: No solution found when resolving dependencies", request: Self.request)
                == nil)
    }
}
