import ArgumentParser
import Foundation
import WeightFormat

/// The options of every subcommand that prints a report: `--json` and `--quiet`.
public struct ReportOptions: ParsableArguments {
  @Flag(help: "Print the report as JSON on stdout.")
  public var json = false

  @Flag(name: .shortAndLong, help: "Print nothing but errors.")
  public var quiet = false

  public init() {}

  /// Prints the report made of `parts` (their fields in one JSON object, ``JSONOutput``) with
  /// `--json`, otherwise `text()` unless `--quiet`.
  public func print(_ parts: any Encodable..., text: () -> String) {
    if json {
      JSONOutput.print(Report(parts: parts))
    } else if !quiet {
      Swift.print(text())
    }
  }

  /// The fields of several values as one JSON object.
  struct Report: Encodable {
    var parts: [any Encodable]

    func encode(to encoder: any Encoder) throws {
      for part in parts { try part.encode(to: encoder) }
    }
  }
}

/// The tools' file reads and writes, with messages that name the file.
public enum ToolFiles {
  /// The bytes of the regular file at `path`, opened without blocking and recorded as an
  /// input (``InputFiles``); a file over `maxBytes` is refused from its size, unread.
  ///
  /// - Throws: ``ToolError`` `<path>: cannot read file: <why>`.
  public static func read(_ path: String, maxBytes: Int = 1 << 32) throws -> Data {
    do { return try InputFiles.read(path, maxBytes: maxBytes) } catch {
      guard case .io(_, let reason) = error else { throw error }
      throw ToolError("\(path): cannot read file: \(reason)", code: "tool.io")
    }
  }

  /// Writes `bytes` to `path` through a temporary file renamed into place (no partial file on
  /// failure), creating the directories on the way when `createDirectories` is set.
  ///
  /// - Throws: ``WeightFormatError/io(path:reason:)`` naming the file, or ``ToolError``.
  public static func write(_ bytes: [UInt8], to path: String, createDirectories: Bool = false)
    throws
  {
    let directory = (path as NSString).deletingLastPathComponent
    if createDirectories, !directory.isEmpty {
      do {
        try FileManager.default.createDirectory(
          atPath: directory, withIntermediateDirectories: true)
      } catch { throw ToolError("\(directory): cannot create directory", code: "tool.io") }
    }
    try AtomicFileOutput.write(bytes, to: path)
  }
}
