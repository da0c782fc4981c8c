import CCurl
import CCurlShims
import Foundation

/// One `CURL *` easy handle. Handles are pooled: `curl_easy_reset` keeps the connection cache, so
/// consecutive requests to a registry reuse their TCP/TLS connection.
final class EasyHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer  // CURL *
    /// Strings handed to curl must outlive the transfer.
    private var retained: [UnsafeMutablePointer<CChar>] = []

    init() {
        CurlGlobal.ensureInitialized()
        guard let h = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        raw = h
    }

    deinit {
        curl_easy_cleanup(raw)
        freeRetained()
    }

    private var handle: UnsafeMutableRawPointer { raw }

    func reset() {
        curl_easy_reset(handle)
        freeRetained()
    }

    private func freeRetained() {
        for p in retained { free(p) }
        retained.removeAll()
    }

    func set(_ option: CURLoption, _ value: Int) {
        _ = CCurlShims_easy_setopt_long(handle, option, value)
    }

    func set(_ option: CURLoption, _ value: Bool) { set(option, value ? 1 : 0) }

    func set(_ option: CURLoption, offset value: Int64) {
        _ = CCurlShims_easy_setopt_off_t(handle, option, curl_off_t(value))
    }

    func set(_ option: CURLoption, _ value: String) {
        let copy = strdup(value)!
        retained.append(copy)
        _ = CCurlShims_easy_setopt_string(handle, option, copy)
    }

    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) {
        _ = CCurlShims_easy_setopt_ptr(handle, option, value)
    }

    func responseCode() -> Int {
        var code = 0
        _ = CCurlShims_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    func perform() -> CURLcode { curl_easy_perform(handle) }
}

enum CurlGlobal {
    private static let initialized: Bool = {
        curl_global_init(CCurlShims_GLOBAL_ALL) == CURLE_OK
    }()

    static func ensureInitialized() { _ = initialized }

    /// `libcurl/7.88.1 OpenSSL/3.0.x ...`
    static var version: String { String(cString: curl_version()) }
}

/// Idle easy handles, reused to keep connections warm.
final class HandlePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [EasyHandle] = []
    private let maxIdle: Int

    init(maxIdle: Int = 16) { self.maxIdle = maxIdle }

    func take() -> EasyHandle {
        lock.lock()
        defer { lock.unlock() }
        return idle.popLast() ?? EasyHandle()
    }

    func giveBack(_ handle: EasyHandle) {
        handle.reset()
        lock.lock()
        defer { lock.unlock() }
        if idle.count < maxIdle { idle.append(handle) }
    }
}
