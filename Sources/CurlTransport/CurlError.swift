import CCurl
import OCIRegistry

/// Maps libcurl result codes onto the transport-neutral `TransportError` codes.
enum CurlError {
    static func transportError(code: CURLcode, detail: String, context: TransferContext) -> TransportError {
        let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let message = "\(text) (curl \(code.rawValue))"
        if context.cancelled { return TransportError(.cancelled, "transfer cancelled") }
        if context.tooLarge { return TransportError(.responseTooLarge, context.limitDescription) }
        if let local = context.localFailure { return TransportError(.localFile, local) }
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return TransportError(.couldNotResolve, message)
        case CURLE_COULDNT_CONNECT:
            return TransportError(.couldNotConnect, message)
        case CURLE_OPERATION_TIMEDOUT:
            return TransportError(.timedOut, message)
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM, CURLE_WEIRD_SERVER_REPLY:
            return TransportError(.connectionLost, message)
        case CURLE_SSL_CONNECT_ERROR:
            return TransportError(.tlsHandshake, message)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            return TransportError(.tlsCertificate, message)
        case CURLE_ABORTED_BY_CALLBACK:
            return TransportError(.cancelled, message)
        case CURLE_READ_ERROR, CURLE_WRITE_ERROR:
            return TransportError(.localFile, message)
        default:
            return TransportError(.other, message)
        }
    }
}
