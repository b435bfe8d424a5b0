import ArgumentParser
import CLISupport
import Foundation
import ReferenceCodec
import WeightFormat

/// `gic-ref decode`: `.gic` → PNG.
struct Decode: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Decode a .gic bitstream into a PNG image.",
    discussion: """
      The model must be the one the stream was encoded with (its digest is in the stream's \
      header; see 'gic-ref info'). The PNG is 8-bit RGB, or grayscale when the source was \
      grayscale (gray = ⌊(R + G + B + 1) / 3⌋). With an output name ending in .rgb, the raw 8-bit \
      RGB samples are written instead (R G B interleaved, rows top to bottom, no header). The \
      output is written to a temporary file and renamed into place; --json reports the SHA-256 \
      of the decoded RGB samples, the value conformance compares.

      Batches: given a directory (every .gic below it) or a list file (.txt, .list, .lst: one \
      path per line), decode writes each picture as a PNG into -o DIR (same relative name), \
      --threads pictures at a time, and a JSON Lines manifest with the decoded samples' SHA-256; \
      a rerun skips the pictures done already (docs/scaling.md).
      """)

  @Argument(help: "The .gic bitstream, or a directory or list file of them (a batch).")
  var input: String

  @OptionGroup var options: CodecOptions

  @Option(name: .shortAndLong, help: "The PNG to write (default: input.png), a batch's directory.")
  var output: String?

  @Option(
    name: .customLong("dump-symbols"),
    help: ArgumentHelp(
      "Also write the decoded symbols and coding parameters to a .npz (for float decoders).",
      valueName: "npz"))
  var dumpSymbols: String?

  @OptionGroup(title: "Batches") var batch: BatchOptions

  struct Report: Encodable {
    var decodeSeconds: Double
    /// SHA-256 of the decoded 8-bit RGB samples (R G B interleaved, rows top to bottom) — the
    /// value conformance compares.
    var rgbSha256: String
  }

  func validate() throws {
    if BatchOptions.isBatch(input) {
      guard dumpSymbols == nil else { throw ValidationError("--dump-symbols takes one stream") }
    } else {
      try batch.checkSinglePicture()
    }
  }

  func run() throws {
    let start = DispatchTime.now()
    let destination = output ?? Self.defaultOutput(for: input)
    let codec = try options.loadCodec()
    if BatchOptions.isBatch(input) {
      return try batch.run(
        "decode", input: input, output: output, extensions: ["gic"], outputExtension: "png",
        options: "", codec: codec, threads: options.threads, report: options.report,
        work: BatchCoding.decode(codec: codec))
    }
    let (stream, count) = try ToolInput.readBitstream(input)
    let coding = DispatchTime.now()
    let image: RGBImage
    let symbols: (z: [Int32], y: [Int32])
    do {
      (image, symbols) = try codec.decodeWithSymbols(stream, threads: max(1, options.threads))
    } catch {
      throw LocatedError.attaching(input, to: error)
    }
    if let dumpSymbols {
      try SymbolDump.write(
        symbols, stream: stream, codec: codec, to: dumpSymbols)
    }
    let decodeSeconds = seconds(since: coding)
    if destination.lowercased().hasSuffix(".rgb") {
      try ToolFiles.write(image.pixels, to: destination)
    } else {
      try PNGCodec.write(
        image, to: destination, grayscale: stream.grayscale, threads: max(1, options.threads))
    }
    let run = RunSummary(
      input: input, output: destination, threads: max(1, options.threads),
      seconds: seconds(since: start))
    let report = Report(decodeSeconds: decodeSeconds, rgbSha256: SHA256Hex.of(Data(image.pixels)))
    options.report.print(StreamSummary(stream, bytes: count), run, report) {
      "decoded \(input) → \(destination) (\(image.width)×\(image.height)"
        + "\(stream.grayscale ? ", gray" : "")): "
        + "\(String(format: "%.3f", decodeSeconds)) s decoding, "
        + "\(String(format: "%.3f", run.seconds)) s total"
    }
  }

  static func defaultOutput(for input: String) -> String {
    let stem = input.lowercased().hasSuffix(".gic") ? String(input.dropLast(4)) : input
    return stem + ".png"
  }
}
