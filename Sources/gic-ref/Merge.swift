import ArgumentParser
import CLISupport
import Foundation
import ReferenceCodec
import WeightFormat

/// `gic-ref merge`: join shard manifests into one.
struct Merge: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Join the manifests of shards into one (docs/scaling.md).",
    discussion: """
      Batch manifests (JSON Lines from encode, decode or verify with --shard) are joined into \
      one sorted by input; an input in two manifests is refused. With --expect (a directory of \
      pictures, a list file, or a conformance set's manifest.json) the inputs that no manifest \
      has are listed and the merge fails. Conformance manifests (manifest.json of \
      'gic-ref vectors --shard') are joined into the whole set's manifest.json, in the order of \
      an unsharded run.
      """)

  @Argument(help: "The shard manifests (.jsonl, or manifest.json of vector sets).")
  var manifests: [String]

  @Option(name: .shortAndLong, help: "The merged manifest to write.")
  var output: String

  @Option(
    help: ArgumentHelp(
      "The whole set: a directory, a list file or a conformance manifest.json.",
      valueName: "set"))
  var expect: String?

  @OptionGroup var options: ReportOptions

  struct Report: Encodable {
    var output: String
    var entries: Int
    var failed: [String]
    var missing: [String]
    var unexpected: [String]
  }

  func run() throws {
    guard !manifests.isEmpty else { throw ValidationError("give at least one manifest") }
    if manifests.allSatisfy({ $0.lowercased().hasSuffix(".json") }) { return try mergeVectorSets() }
    let lists = try manifests.map { ($0, try BatchManifest.read($0)) }
    let extensions = Set(lists.flatMap { $0.1.map { ($0.input as NSString).pathExtension } })
    let expected = try expect.map { try Self.names(in: $0, extensions: Array(extensions)) }
    let merged = try BatchManifest.merge(lists, expected: expected)
    try ToolFiles.write(BatchManifest.serialized(merged.entries), to: output)
    let report = Report(
      output: output, entries: merged.entries.count,
      failed: merged.entries.filter { $0.error != nil }.map(\.input), missing: merged.missing,
      unexpected: merged.unexpected)
    options.print(report) {
      "merged \(manifests.count) manifests → \(output): \(report.entries) entries, "
        + "\(report.failed.count) with errors"
        + (expected.map { ", \(report.missing.count) of \($0.count) expected missing" } ?? "")
        + (report.unexpected.isEmpty ? "" : ", \(report.unexpected.count) not expected")
    }
    if !merged.missing.isEmpty {
      throw ToolError(
        "\(merged.missing.count) expected inputs are in no manifest: "
          + merged.missing.prefix(10).joined(separator: ", ")
          + (merged.missing.count > 10 ? ", …" : ""), code: "batch.missing")
    }
  }

  /// The names of the whole set: a conformance manifest's vector ids, or the pictures of a
  /// directory or list file.
  static func names(in set: String, extensions: [String]) throws -> [String] {
    if set.lowercased().hasSuffix(".json") { return try conformance(set).vectors.map(\.id) }
    let known = extensions.map { $0.lowercased() }.filter { !$0.isEmpty }
    return try BatchInput.resolve(set, extensions: known.isEmpty ? ["png", "gic"] : known)
      .map(\.name)
  }

  static func conformance(_ path: String) throws -> ConformanceManifest {
    do { return try ConformanceManifest(parsing: try ToolFiles.read(path)) } catch {
      throw LocatedError.attaching(path, to: error)
    }
  }

  func mergeVectorSets() throws {
    let merged = try ConformanceManifest.merged(
      try manifests.map { ($0, try Self.conformance($0)) })
    try ToolFiles.write([UInt8](merged.serialized()), to: output)
    options.print(["output": output, "vectors": "\(merged.vectors.count)"]) {
      "merged \(manifests.count) vector-set manifests → \(output): \(merged.vectors.count) vectors"
    }
  }
}
