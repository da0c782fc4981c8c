import CCurl
import CCurlShims
import Foundation
package import OCIRegistry

/// `HTTPTransport` over libcurl's easy interface.
///
/// Each transfer runs `curl_easy_perform` on a worker thread; request bodies stream from files through
/// a read callback (constant memory), and both directions are hashed while they stream. Redirects are
/// never followed here: `RegistryClient` follows them itself so it can drop `Authorization` when the
/// host changes. Nothing in this type logs header values.
package final class CurlTransport: HTTPTransport {
    private let pool = HandlePool()
    private let queue = DispatchQueue(label: "envctl.curl", qos: .userInitiated, attributes: .concurrent)
    private let userAgent: String

    package init(userAgent: String = "envctl") {
        self.userAgent = userAgent
        CurlGlobal.ensureInitialized()
    }

    /// The libcurl version string, e.g. `libcurl/7.88.1 OpenSSL/3.0.17 ...`.
    package static var libraryVersion: String { CurlGlobal.version }

    package func execute(_ request: HTTPRequest, sink: HTTPResponseSink) async throws(TransportError) -> HTTPResponse {
        // CR/LF in a value would let it end the header block early or add a header of its own.
        if let name = request.headers.unsafeFieldName {
            throw TransportError(.unsafeHeader, "header \(name) holds control characters; the request was not sent")
        }
        let context = TransferContext(
            body: request.body, sink: sink, progress: request.progress, maxResponseBytes: request.maxResponseBytes)
        try context.open()
        let result: Result<HTTPResponse, TransportError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.async { [pool, userAgent] in
                    let handle = pool.take()
                    let r = Self.perform(request, handle: handle, context: context, userAgent: userAgent)
                    pool.giveBack(handle)
                    continuation.resume(returning: r)
                }
            }
        } onCancel: {
            context.cancelled = true
        }
        return try result.get()
    }

    private static func perform(
        _ request: HTTPRequest, handle: EasyHandle, context: TransferContext, userAgent: String
    ) -> Result<HTTPResponse, TransportError> {
        let unmanaged = Unmanaged.passRetained(context)
        defer { unmanaged.release() }
        let userdata = unmanaged.toOpaque()

        handle.set(CURLOPT_URL, request.url.absoluteString)
        handle.set(CURLOPT_NOSIGNAL, true)
        handle.set(CURLOPT_FOLLOWLOCATION, false)
        handle.set(CURLOPT_USERAGENT, userAgent)
        handle.set(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        handle.set(CURLOPT_TCP_KEEPALIVE, true)
        handle.set(CURLOPT_CONNECTTIMEOUT, request.connectTimeout)
        handle.set(CURLOPT_TIMEOUT, max(0, request.timeout))
        handle.set(CURLOPT_LOW_SPEED_LIMIT, 1)
        handle.set(CURLOPT_LOW_SPEED_TIME, request.stallTimeout)
        handle.set(CURLOPT_BUFFERSIZE, 512 * 1024)
        handle.set(CURLOPT_UPLOAD_BUFFERSIZE, 2 * 1024 * 1024)
        handle.set(CURLOPT_PROTOCOLS_STR, "http,https")

        // TLS
        handle.set(CURLOPT_SSL_VERIFYPEER, request.tls.verify)
        handle.set(CURLOPT_SSL_VERIFYHOST, request.tls.verify ? 2 : 0)
        if let ca = request.tls.caFile { handle.set(CURLOPT_CAINFO, ca) }
        if let cert = request.tls.clientCertificate { handle.set(CURLOPT_SSLCERT, cert) }
        if let key = request.tls.clientKey { handle.set(CURLOPT_SSLKEY, key) }

        // Method and body
        let method = request.method.uppercased()
        switch method {
        case "GET":
            handle.set(CURLOPT_HTTPGET, true)
        case "HEAD":
            handle.set(CURLOPT_NOBODY, true)
        default:
            if case .none = request.body, method == "DELETE" {
                handle.set(CURLOPT_CUSTOMREQUEST, method)
            } else {
                // UPLOAD sends Content-Length from INFILESIZE and streams through READFUNCTION;
                // CUSTOMREQUEST keeps the verb (PUT, PATCH or POST).
                handle.set(CURLOPT_UPLOAD, true)
                handle.set(CURLOPT_INFILESIZE_LARGE, offset: request.body.length)
                handle.set(CURLOPT_CUSTOMREQUEST, method)
            }
        }

        // Headers (values go to curl only; never logged here)
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for (name, value) in request.headers {
            list = curl_slist_append(list, "\(name): \(value)")
        }
        if request.body.length > 0, request.headers["Content-Type"] == nil {
            list = curl_slist_append(list, "Content-Type: application/octet-stream")
        }
        defer { curl_slist_free_all(list) }
        handle.set(CURLOPT_HTTPHEADER, pointer: list.map { UnsafeMutableRawPointer($0) })

        // Callbacks
        _ = CCurlShims_easy_setopt_header_function(handle.raw) { buf, size, n, ud in
            let ctx = Unmanaged<TransferContext>.fromOpaque(ud!).takeUnretainedValue()
            let count = size * n
            ctx.header(String(decoding: UnsafeRawBufferPointer(start: buf, count: count), as: UTF8.self))
            return count
        }
        handle.set(CURLOPT_HEADERDATA, pointer: userdata)
        _ = CCurlShims_easy_setopt_write_function(handle.raw) { buf, size, n, ud in
            let ctx = Unmanaged<TransferContext>.fromOpaque(ud!).takeUnretainedValue()
            let count = size * n
            return ctx.write(UnsafeRawBufferPointer(start: buf, count: count)) ? count : 0
        }
        handle.set(CURLOPT_WRITEDATA, pointer: userdata)
        _ = CCurlShims_easy_setopt_read_function(handle.raw) { buf, size, n, ud in
            let ctx = Unmanaged<TransferContext>.fromOpaque(ud!).takeUnretainedValue()
            return ctx.read(into: buf!, capacity: size * n)
        }
        handle.set(CURLOPT_READDATA, pointer: userdata)
        _ = CCurlShims_easy_setopt_seek_function(handle.raw) { ud, offset, origin in
            let ctx = Unmanaged<TransferContext>.fromOpaque(ud!).takeUnretainedValue()
            guard origin == SEEK_SET else { return 2 }  // CURL_SEEKFUNC_CANTSEEK
            return ctx.seek(to: Int64(offset)) ? 0 : 1  // CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL
        }
        handle.set(CURLOPT_SEEKDATA, pointer: userdata)
        _ = CCurlShims_easy_setopt_xferinfo_function(handle.raw) { ud, _, dlnow, _, ulnow in
            let ctx = Unmanaged<TransferContext>.fromOpaque(ud!).takeUnretainedValue()
            if ctx.cancelled { return 1 }
            ctx.progress?(TransferProgress(sent: Int64(ulnow), received: Int64(dlnow)))
            return 0
        }
        handle.set(CURLOPT_XFERINFODATA, pointer: userdata)
        handle.set(CURLOPT_NOPROGRESS, false)

        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code = errorBuffer.withUnsafeMutableBufferPointer { eb -> CURLcode in
            handle.set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(eb.baseAddress))
            defer { handle.set(CURLOPT_ERRORBUFFER, pointer: nil) }
            return handle.perform()
        }
        if code == CURLE_OK {
            return .success(context.finish(status: handle.responseCode()))
        }
        let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return .failure(CurlError.transportError(code: code, detail: detail, context: context))
    }
}
