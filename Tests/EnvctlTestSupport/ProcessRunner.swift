import Foundation

/// The result of running a program to completion.
package struct ProcessResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
}

/// Runs a program synchronously, capturing output; tests use it to drive the built `envctl` and real tools.
package func runProcess(
    _ executable: String, _ arguments: [String], cwd: String? = nil, environment: [String: String]? = nil,
    stdin: String? = nil
) throws -> ProcessResult {
    let p = Process()
    if executable.contains("/") {
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
    } else {
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [executable] + arguments
    }
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    if let environment {
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    }
    // Output goes to temporary files, not pipes: a daemon the program starts in the background (a registry,
    // an index server) can inherit a pipe's write end and keep it open forever, and a reader waiting for EOF
    // would hang. Files also can't fill up and block a chatty child.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("envctl-proc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let outURL = dir.appendingPathComponent("stdout"), errURL = dir.appendingPathComponent("stderr")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
    let input = Pipe()
    p.standardOutput = outHandle
    p.standardError = errHandle
    p.standardInput = input
    try p.run()
    try? outHandle.close()
    try? errHandle.close()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    p.waitUntilExit()
    let outData = (try? Data(contentsOf: outURL)) ?? Data()
    let errData = (try? Data(contentsOf: errURL)) ?? Data()
    return ProcessResult(
        status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}
