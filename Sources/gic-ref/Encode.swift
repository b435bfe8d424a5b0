import ArgumentParser
import CLISupport
import Foundation
import ReferenceCodec
import WeightFormat

/// `gic-ref encode`: PNG → `.gic`.
struct Encode: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Encode a PNG image into a .gic bitstream.",
    discussion: """
      Takes 8-bit PNGs of any size: RGB, RGBA (alpha is dropped, colours kept as stored, nothing \
      composited), grayscale (coded as RGB with R = G = B and decoded back to gray; so is a \
      picture of any colour type whose every pixel has R = G = B) and palette. \
      16-bit PNGs are refused. The picture is padded to a multiple of the model's stride (64) by \
      repeating its last column and row; the decoder crops the padding away (spec/bitstream.md).

      The output is written to a temporary file and renamed into place.

      Batches: given a directory (every .png below it) or a list file (.txt, .list, .lst: one \
      path per line), encode codes each picture into -o DIR (same relative name, .gic), \
      --threads pictures at a time, and writes a JSON Lines manifest; a rerun skips the pictures \
      done already (docs/scaling.md).

      Rate control (gic-v1 models only; other profiles refuse these options): --rate R in 0…1 \
      (1 = most bits) picks rate index round(255·R); --target-bpp B picks the rate index whose \
      file is closest to B bits per pixel; --steps N (0…4, default 2) sets the decoder's \
      reverse-process steps and --seed S turns on the sampler's noise with seed S. --detail on \
      adds the detail stages (bitstream 1.3; spec/bitstream.md §7.7, §7.6, §7.5), per 32×32 \
      block: a mean colour correction, interpolated smoothly; gains that restore the energy of \
      the two finest bands the decoded picture has too weakly, or remove them where it has \
      them too strongly (false grain and blotches); the amplitude of the fine detail \
      it still lacks, which the decoder fills with noise. --detail gains leaves out the \
      correction, --detail fill sends the fill alone (bitstream 1.1, for 1.1 decoders). The \
      encoder decodes its own stream once more for them, and --target-bpp counts them.
      """)

  @Argument(help: "The PNG image, or a directory or list file of them (a batch).")
  var input: String

  @OptionGroup var options: CodecOptions

  @Option(name: .shortAndLong, help: "The .gic to write (default: input.gic), a batch's directory.")
  var output: String?

  @Option(help: "Rate in 0…1, 1 = most bits (gic-v1; default 0.5).")
  var rate: Double?

  @Option(name: .customLong("target-bpp"), help: "Target bits per pixel (gic-v1).")
  var targetBPP: Double?

  @Option(help: "Reverse-process steps the decoder runs, 0…4 (gic-v1; default 2).")
  var steps: Int?

  @Option(help: "Sampler noise seed (gic-v1; no noise without it).")
  var seed: UInt64?

  @Option(
    help: ArgumentHelp(
      "The detail stages: on (residual, gains and fill), gains (gains and fill), fill (the fill alone) or off (gic-v1; default \(EncodeSettings.defaultDetail)).",
      valueName: "on|gains|fill|off"))
  var detail: DetailMode?

  @OptionGroup(title: "Batches") var batch: BatchOptions

  func validate() throws {
    if !BatchOptions.isBatch(input) { try batch.checkSinglePicture() }
    if let rate, !(0...1).contains(rate) { throw ValidationError("--rate must be within 0…1") }
    if rate != nil && targetBPP != nil {
      throw ValidationError("--rate and --target-bpp exclude each other")
    }
    if let targetBPP, !(targetBPP > 0) { throw ValidationError("--target-bpp must be positive") }
  }

  struct Report: Encodable {
    var sourceFormat: String
    var droppedAlpha: Bool
    var payloadBytes: Int
    var modelDigest: String
    var encodeSeconds: Double
  }

  var settings: EncodeSettings {
    EncodeSettings(
      rate: rate, targetBitsPerPixel: targetBPP, steps: steps, seed: seed,
      detail: detail)
  }

  func run() throws {
    // The analysis transform's layer outputs then reuse freed heap pages instead of faulting in
    // fresh ones (docs/benchmarks.md). Not for decode: its peak memory grew by 15 MiB with it.
    SystemCalls.reuseFreedMemory()
    let start = DispatchTime.now()
    let codec = try options.loadCodec()
    guard codec.rateVariable != nil || settings.isEmpty else {
      throw ToolError(
        "\(options.model): profile \(codec.profile.name) has a fixed rate and no reverse process; --rate, --target-bpp, --steps, --seed and --detail on apply to gic-v1 models",
        code: "tool.profile")
    }
    if BatchOptions.isBatch(input) {
      return try batch.run(
        "encode", input: input, output: output, extensions: ["png"], outputExtension: "gic",
        options: settings.description, codec: codec, threads: options.threads,
        report: options.report, work: BatchCoding.encode(codec: codec, settings: settings))
    }
    let destination = output ?? Self.defaultOutput(for: input)
    let decoded = try ToolInput.readPNG(input)
    let coding = DispatchTime.now()
    let threads = max(1, options.threads)
    let stream = try codec.encode(
      decoded.image, grayscale: decoded.codesAsGray, settings: settings, threads: threads)
    let encodeSeconds = seconds(since: coding)
    let bytes = stream.serialized()
    try ToolFiles.write(bytes, to: destination)
    let summary = StreamSummary(stream, bytes: bytes.count)
    let run = RunSummary(
      input: input, output: destination, threads: threads, seconds: seconds(since: start))
    let report = Report(
      sourceFormat: decoded.sourceFormat.rawValue, droppedAlpha: decoded.droppedAlpha,
      payloadBytes: stream.substreams.reduce(0) { $0 + $1.count },
      modelDigest: codec.modelDigest, encodeSeconds: encodeSeconds)
    options.report.print(summary, run, report) {
      let note = decoded.droppedAlpha ? " (alpha dropped)" : ""
      let rateNote =
        codec.rateVariable == nil
        ? ""
        : ", rate index \(stream.rateIndex), \(stream.steps) steps"
          + (stream.seed.map { ", seed \($0)" } ?? "")
          + (stream.detailSubstream.map { ", detail \($0.count) bytes" } ?? "")
          + (stream.gainsSubstream.map { ", gains \($0.count) bytes" } ?? "")
          + (stream.residualSubstream.map { ", residual \($0.count) bytes" } ?? "")
      return
        "encoded \(input) (\(summary.width)×\(summary.height), \(report.sourceFormat)\(note)) → "
        + "\(destination): \(summary.bytes) bytes, \(String(format: "%.4f", summary.bpp)) bpp\(rateNote), "
        + "\(String(format: "%.3f", report.encodeSeconds)) s encoding, "
        + "\(String(format: "%.3f", run.seconds)) s total"
    }
  }

  static func defaultOutput(for input: String) -> String {
    let stem = input.lowercased().hasSuffix(".png") ? String(input.dropLast(4)) : input
    return stem + ".gic"
  }
}

extension DetailMode: ExpressibleByArgument {}
