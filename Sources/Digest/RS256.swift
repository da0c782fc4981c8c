import CCrypto
package import Foundation

/// RSASSA-PKCS1-v1_5 with SHA-256 (JWS `RS256`) over libcrypto's EVP interface: signs a Google service-account
/// JWT assertion with the account's PEM private key.
package enum RS256 {
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// The signature of `message` with the PEM (PKCS#8 or PKCS#1) RSA private key `pem`.
    package static func sign(_ message: Data, privateKeyPEM pem: String) throws(Failure) -> Data {
        let keyBytes = Array(pem.utf8)
        guard let bio = keyBytes.withUnsafeBytes({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else {
            throw Failure(description: "out of memory")
        }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
            throw Failure(description: "the private key is not a PEM RSA key")
        }
        defer { EVP_PKEY_free(key) }
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA else {
            throw Failure(description: "the private key is not an RSA key")
        }
        guard let ctx = EVP_MD_CTX_new() else { throw Failure(description: "out of memory") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, key) == 1 else {
            throw Failure(description: "EVP_DigestSignInit failed")
        }
        var length = 0
        let bytes = Array(message)
        guard EVP_DigestSign(ctx, nil, &length, bytes, bytes.count) == 1 else {
            throw Failure(description: "EVP_DigestSign (size) failed")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(ctx, &signature, &length, bytes, bytes.count) == 1 else {
            throw Failure(description: "EVP_DigestSign failed")
        }
        return Data(signature.prefix(length))
    }
}
