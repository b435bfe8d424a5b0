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
