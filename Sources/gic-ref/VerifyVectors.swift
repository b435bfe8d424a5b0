import ArgumentParser
import CLISupport
import Foundation
import NumPyIO
import ReferenceCodec
import WeightFormat

/// `gic-ref verify`: decode a conformance vector set and compare every picture.
struct VerifyVectors: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Verify a conformance vector set (a directory or a tar archive with manifest.json).",
    discussion: """
      Decodes every vector and compares the SHA-256 and MD5 of the decoded RGB samples with the \
      manifest; also checks every model's and bitstream's SHA-256. Prints one line per vector \
      (id, result, time), progress on stderr when it is a terminal, and exits 1 naming the vectors that failed.

      With --shard i/n only the vectors whose id hashes to i are checked, and --manifest writes \
      the results as JSON Lines for 'gic-ref merge' (docs/scaling.md).
      """)

  @Argument(help: "The vector set: a directory, or a .tar written by 'gic-ref vectors --archive'.")
  var set: String

  @OptionGroup var options: ReportOptions

  @Option(help: "Worker threads for decoding (the pictures do not depend on it).")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  @OptionGroup(title: "Resource limits") var limits: BudgetOptions

  @Option(help: ArgumentHelp("Check only shard i of n (by vector id).", valueName: "i/n"))
  var shard: String?

  @Option(
    name: .customLong("manifest"),
    help: ArgumentHelp("Also write the results as a JSON Lines manifest.", valueName: "file"))
  var resultsManifest: String?

  struct Report: Encodable {
    var set: String
    var vectors: Int
    var passed: Int
    var failed: [String]
    var results: [ConformanceVerifier.Result]
  }

  func run() throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: set, isDirectory: &isDirectory) else {
      throw ToolError("\(set): no such file or directory", code: "tool.io")
    }
    let file: (String) throws -> Data
    if isDirectory.boolValue {
      let directory = try ConformanceSetDirectory(set)
      file = directory.read
    } else {
      let members: [String: Data]
      members = try TarArchive.read(path: set)
      file = { name in
        guard let data = members[name] else { throw ConformanceError.missingFile(path: name) }
        return data
      }
    }
    var manifest: ConformanceManifest
    do { manifest = try ConformanceManifest(parsing: try file("manifest.json")) } catch {
      throw LocatedError.attaching(set, to: error)
    }
    let shard = try shard.map { try Shard(parsing: $0) } ?? .all
    manifest.vectors = manifest.vectors.filter { shard.contains($0.id) }
    let meter = ProgressMeter(label: "verify", enabled: !options.quiet)
    let results = ConformanceVerifier.verify(
      manifest, file: file, threads: max(1, threads), budget: limits.budget,
      progress: { done, total, _ in meter.pictures(done: done, total: total) })
    meter.finish()
    let failed = results.filter { $0.status != .pass }.map(\.id)
    if let path = resultsManifest {
      try ToolFiles.write(
        BatchManifest.serialized(zip(manifest.vectors, results).map(Self.entry)), to: path,
        createDirectories: true)
    }
    let report = Report(
      set: set, vectors: results.count, passed: results.count - failed.count, failed: failed,
      results: results)
    options.print(report) {
      let width = max(2, results.map(\.id.count).max() ?? 2)
      let lines = results.map { r in
        r.id.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
          + r.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
          + String(format: "  %.3f s", r.seconds) + (r.detail.isEmpty ? "" : "  " + r.detail)
      }
      return
        (["id".padding(toLength: width, withPad: " ", startingAt: 0) + "  result    time"]
        + lines + ["\(report.passed) of \(results.count) vectors pass"]).joined(separator: "\n")
    }
    if !failed.isEmpty {
      throw ToolError(
        "\(failed.count) of \(results.count) vectors failed: \(failed.prefix(10).joined(separator: ", "))"
          + (failed.count > 10 ? ", …" : ""), code: "conformance.failed")
    }
  }
}

extension VerifyVectors {
  /// The manifest line of a vector's result (input: the vector id).
  static func entry(_ v: ConformanceManifest.Vector, _ r: ConformanceVerifier.Result) -> BatchEntry
  {
    var entry = BatchEntry(input: r.id, seconds: r.seconds)
    if r.status == .pass {
      entry.rgbSha256 = v.decodedRgbSha256
    } else {
      entry.error = .init(code: "conformance.\(r.status.rawValue)", message: r.detail)
    }
    entry.modelDigest = v.modelDigest
    return entry
  }
}
