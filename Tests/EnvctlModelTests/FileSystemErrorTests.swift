import EnvctlModel
import EnvctlTestSupport
import Foundation
import Testing

@Suite struct FileSystemErrorTests {
    @Test func foundationAndPOSIXErrorsInWords() {
        typealias R = FileSystemError.Reason
        #expect(R(CocoaError(.fileWriteFileExists)) == .exists)
        #expect(R(CocoaError(.fileReadNoSuchFile)) == .noSuchFile)
        #expect(R(CocoaError(.fileNoSuchFile)) == .noSuchFile)
        #expect(R(CocoaError(.fileWriteNoPermission)) == .noPermission)
        #expect(R(CocoaError(.fileWriteVolumeReadOnly)) == .readOnlyVolume)
        #expect(R(CocoaError(.fileWriteOutOfSpace)) == .noSpace)
        #expect(R(POSIXError(.EISDIR)) == .isDirectory)
        #expect(R(POSIXError(.ENOTDIR)) == .notDirectory)
        #expect(R(NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))) == .noPermission)
        let wrapped = NSError(
            domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue,
            userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))])
        #expect(R(wrapped) == .noSpace)
        #expect(R(errno: EROFS) == .readOnlyVolume)
        #expect("\(R(errno: EEXIST))" == "a file of that name already exists")
        #expect(!"\(R(CocoaError(.fileWriteUnknown)))".contains("(null)"))
    }

    @Test func unknownCodeOnADirectoryIsExplained() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        #expect(FileSystemError.Reason(CocoaError(.fileWriteUnknown), path: dir.path) == .isDirectory)
        let e = FileSystemError("write", "envctl.lock", error: CocoaError(.fileWriteUnknown))
        #expect(e.failureKind == .failure)
        #expect(e.description.hasPrefix("cannot write envctl.lock: "))
    }

    @Test func atomicWriteNamesThePathAndReason() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.path + "/envctl.lock", withIntermediateDirectories: true)
        let overDirectory = #expect(throws: FileSystemError.self) {
            try AtomicFile.write("x", to: dir.path + "/envctl.lock")
        }
        #expect(overDirectory?.description == "cannot write \(dir.path)/envctl.lock: it is a directory")
        let noParent = #expect(throws: FileSystemError.self) {
            try AtomicFile.write("x", to: dir.path + "/missing/envctl.lock")
        }
        #expect(noParent?.reason == .noSuchFile)
        try AtomicFile.write("hello\n", to: dir.path + "/ok.txt")
        #expect(try String(contentsOfFile: dir.path + "/ok.txt", encoding: .utf8) == "hello\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["envctl.lock", "ok.txt"])

        try FileManager.default.createDirectory(atPath: dir.path + "/lockdir", withIntermediateDirectories: true)
        let read = #expect(throws: DiagnosticsError.self) { try Lockfile.load(fileAt: dir.path + "/lockdir") }
        #expect(read?.diagnostics.first?.message.contains("lockdir': it is a directory") == true)
    }
}
