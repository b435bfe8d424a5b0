import ArgumentParser
import CLISupport
import Foundation
import ReferenceCodec
import WeightFormat

/// The batch options of encode and decode, and the batch run both share.
struct BatchOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "The batch manifest (JSON Lines; default: manifest.jsonl in the output directory, "
        + "manifest-<i>-of-<n>.jsonl with --shard).", valueName: "file"))
  var manifest: String?

  @Option(
    help: ArgumentHelp(
      "Code only shard i of n: the pictures whose name hashes to i (docs/scaling.md).",
      valueName: "i/n"))
  var shard: String?

  /// Whether `input` names a batch: a directory, or a list file (`.txt`, `.list`, `.lst`).
  static func isBatch(_ input: String) -> Bool {
    BatchInput.isDirectory(input) || BatchInput.isList(input)
  }

  /// Refuses the batch options for a single picture.
  func checkSinglePicture() throws {
    guard manifest == nil, shard == nil else {
      throw ValidationError(
        "--manifest and --shard apply to batches (a directory or a list file as input)")
    }
  }

  /// The shard to code (the whole set without --shard).
  func parsedShard() throws -> Shard {
    try shard.map { try Shard(parsing: $0) } ?? .all
  }

  /// Where a batch ran (its counts are the runner's summary).
  struct Report: Encodable {
    var input: String
    var output: String
    var manifest: String
    var shard: String
    var seconds: Double
  }

  /// Codes the pictures of `input` (a directory or list file) in this shard into `output`,
  /// `threads` pictures at a time, and prints the report.
  ///
  /// - Throws: ``ToolError`` `batch.failed` naming the pictures that failed (after writing the
  ///   manifest), or the error that stopped the batch.
  func run(
    _ verb: String, input: String, output: String?, extensions: [String], outputExtension: String,
    options: String, codec: HyperpriorCodec, threads: Int, report: ReportOptions,
    work: @escaping BatchRunner.Work
  ) throws {
    let start = DispatchTime.now()
    guard let output else { throw ValidationError("a batch needs an output directory (-o DIR)") }
    let shard = try parsedShard()
    let inputs = try BatchInput.resolve(input, extensions: extensions, excluding: output)
      .filter { shard.contains($0.name) }
    let manifestName =
      shard.count == 1 ? "manifest.jsonl" : "manifest-\(shard.index)-of-\(shard.count).jsonl"
    let runner = BatchRunner(
      inputs: inputs, outputDirectory: output, outputExtension: outputExtension,
      manifest: manifest ?? (output as NSString).appendingPathComponent(manifestName),
      options: ([verb, options].filter { !$0.isEmpty }).joined(separator: " "),
      modelDigest: codec.modelDigest, threads: max(1, threads))
    let meter = ProgressMeter(label: verb, enabled: !report.quiet)
    let summary = try runner.run(work) { done, total in meter.pictures(done: done, total: total) }
    meter.finish()
    let result = Report(
      input: input, output: output, manifest: runner.manifest, shard: shard.description,
      seconds: seconds(since: start))
    report.print(result, summary) {
      "\(verb)d \(inputs.count) pictures\(shard.count > 1 ? " (shard \(shard))" : "") → "
        + "\(output), manifest \(runner.manifest): \(summary.coded) coded, "
        + "\(summary.skipped) skipped, \(summary.failed.count) failed, "
        + String(format: "%.3f s", result.seconds)
    }
    if !summary.failed.isEmpty {
      throw ToolError(
        "\(summary.failed.count) of \(inputs.count) pictures failed (see \(runner.manifest)): "
          + summary.failed.prefix(10).joined(separator: ", ")
          + (summary.failed.count > 10 ? ", …" : ""), code: "batch.failed")
    }
  }
}
