import Foundation

/// Runs the built command-line tools and captures their output.
struct CLIRunner {
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// The folder holding the built products (next to the test bundle).
  static let productsDirectory: URL = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0])
    while url.pathComponents.count > 1
      && !FileManager.default.fileExists(
        atPath: url.appendingPathComponent("gic-convert").path)
    {
      url.deleteLastPathComponent()
    }
    return url
  }()

  /// Runs `tool` with `arguments` in `directory`.
  static func run(_ tool: String, _ arguments: [String], in directory: URL) throws -> Result {
    let process = Process()
    process.executableURL = productsDirectory.appendingPathComponent(tool)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  /// Starts `executable` with `arguments` in `directory`, adding `environment` to this
  /// process's; its stdout goes to `output` when given, else to this process's.
  static func start(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:],
    in directory: URL, output: Pipe? = nil
  ) throws -> Process {
    let process = Process()
    if let output { process.standardOutput = output }
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    try process.run()
    return process
  }

  /// Whether ``runOnTerminal(_:_:in:)`` can run (util-linux `script` is installed).
  static let hasTerminal = FileManager.default.isExecutableFile(atPath: "/usr/bin/script")

  /// Runs `tool` with `arguments` in `directory` with a terminal as its stdout and stderr
  /// (util-linux `script`), so progress meters show; returns its status and everything it
  /// wrote.
  static func runOnTerminal(_ tool: String, _ arguments: [String], in directory: URL) throws
    -> (status: Int32, text: String)
  {
    let words = [productsDirectory.appendingPathComponent(tool).path] + arguments
    let command = words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
      .joined(separator: " ")
    let out = Pipe()
    let process = try start(
      "/usr/bin/script", ["-qec", command, "/dev/null"], in: directory, output: out)
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
  }

  /// A fresh temporary directory.
  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "gic-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// The repository's root folder.
  static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
}
