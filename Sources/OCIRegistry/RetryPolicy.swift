package import Foundation

/// Exponential backoff with full jitter, honouring `Retry-After` up to `maxDelay`.
package struct RetryPolicy: Sendable, Hashable {
    /// Attempts in total (1 = no retry).
    package var maxAttempts: Int
    package var baseDelay: Double
    package var maxDelay: Double
    /// Seconds one request may take over all its attempts: no retry starts past this budget.
    package var maxElapsed: Double

    package init(maxAttempts: Int = 6, baseDelay: Double = 0.5, maxDelay: Double = 30, maxElapsed: Double = 300) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxElapsed = max(0, maxElapsed)
    }

    /// Whether another attempt may start `delay` seconds from now, `elapsed` seconds after the first began.
    package func mayRetry(attempt: Int, elapsed: Double, delay: Double) -> Bool {
        attempt < maxAttempts && elapsed + delay < maxElapsed
    }

    package static let `default` = RetryPolicy()

    /// Delay before retry number `attempt` (1-based): random in [d/2, d] with d = base·2^(attempt-1),
    /// or the server's `Retry-After` when it asks for longer (capped at `maxDelay`).
    package func delay(attempt: Int, retryAfter: Double? = nil) -> Double {
        let d = min(maxDelay, baseDelay * pow(2, Double(max(0, attempt - 1))))
        let jittered = d / 2 + Double.random(in: 0...(d / 2))
        if let retryAfter { return min(maxDelay, max(retryAfter, jittered)) }
        return jittered
    }

    /// Statuses worth retrying: 408, 429, 5xx except 501/505 (and the CDN 499/522 seen in the wild).
    package static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || status == 499
            || ((500...599).contains(status) && status != 501 && status != 505)
    }

    /// Parses `Retry-After`: delta-seconds or an HTTP-date.
    package static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let v = value?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        if let s = Double(v), s >= 0, s.isFinite { return s }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        if let d = f.date(from: v) { return max(0, d.timeIntervalSince(now)) }
        return nil
    }
}
