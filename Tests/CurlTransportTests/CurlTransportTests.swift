import CurlTransport
import EnvctlTestSupport
import Foundation
import OCIRegistry
import Testing

@Suite struct CurlTransportBasicsTests {
    @Test func reportsLibcurlWithOpenSSL() {
        #expect(CurlTransport.libraryVersion.contains("libcurl/"))
        #expect(CurlTransport.libraryVersion.contains("OpenSSL"))
    }

    @Test(.requires("python3")) func connectionRefusedIsARetryableTransportError() async throws {
        // Bind and close a port so nothing listens there.
        let port = try freeLoopbackPort()
        let t = CurlTransport()
        do {
            _ = try await t.execute(
                HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(port)/v2/")!), sink: .discard)
            Issue.record("expected a transport error")
        } catch {
            #expect(error.code == .couldNotConnect)
            #expect(error.isRetryable)
        }
    }

    @Test(arguments: ["Bearer a b\r\nX-Evil: injected", "a\nb", "a\rb", "a\u{0}b", "a\u{7F}b"])
    func headerValueWithControlCharactersIsNeverSent(_ value: String) async {
        // Port 9 (discard): a request that got as far as connecting would fail with could-not-connect instead.
        var headers = HTTPHeaders()
        headers.add("Authorization", value)
        do {
            _ = try await CurlTransport().execute(
                HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:9/v2/")!, headers: headers),
                sink: .discard)
            Issue.record("sent a header value with control characters")
        } catch {
            #expect(error.code == .unsafeHeader)
            #expect(!error.message.contains("X-Evil"), "the header value leaked into the message")
        }
    }

    @Test func missingUploadFileIsALocalError() async {
        let t = CurlTransport()
        do {
            _ = try await t.execute(
                HTTPRequest(
                    method: "PUT", url: URL(string: "http://127.0.0.1:9/x")!,
                    body: .file(path: "/nonexistent/envctl", offset: 0, length: 10)), sink: .discard)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .localFile)
        }
    }
}

func freeLoopbackPort() throws -> Int {
    let r = try runProcess(
        "python3", ["-c", "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"])
    return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))!
}
