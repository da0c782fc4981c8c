import Digest
import Foundation
import Testing

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func knownVectors(_ input: String, _ expected: String) {
        #expect(SHA256.hex(input) == expected)
    }

    @Test func streamingEqualsOneShotAndOpenSSL() throws {
        var bytes = [UInt8](repeating: 0, count: 3 << 20 + 17)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        let data = Data(bytes)
        var h = SHA256()
        var offset = 0
        while offset < data.count {
            let n = min(65_521, data.count - offset)
            h.update(data[offset..<offset + n])
            offset += n
        }
        let streamed = h.finalizeHex()
        #expect(streamed == SHA256.hex(data))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)").path
        try data.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try SHA256.hex(fileAt: path) == streamed)
        // Buffer boundaries that don't divide the file, and one larger than it.
        for size in [4096, 65_537, 8 << 20] {
            #expect(try SHA256.hex(fileAt: path, bufferSize: size) == streamed, "\(size)")
        }
        // Cross-check with the openssl command, an independent implementation.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["openssl", "dgst", "-sha256", "-r", path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.split(separator: " ").first.map(String.init) == streamed)
    }

    @Test func missingFileThrowsAndEmptyFileHashes() throws {
        #expect(throws: (any Error).self) { try SHA256.hex(fileAt: "/nonexistent/envctl-\(UUID().uuidString)") }
        #expect(throws: (any Error).self) { try SHA256.hex(fileAt: "/") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha-empty-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try SHA256.hex(fileAt: path) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
