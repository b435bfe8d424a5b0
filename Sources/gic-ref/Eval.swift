import ArgumentParser
import CLISupport
import Foundation
import ReferenceCodec
import WeightFormat

/// `gic-ref eval`: rate, PSNR, MS-SSIM and times over pictures, as CompressAI reports them.
struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Code pictures at several rates; report bpp, PSNR, MS-SSIM and times as CompressAI.",
    discussion: """
      Encodes and decodes each picture at each operating point and writes the means over the \
      pictures in the JSON layout of CompressAI's 'compressai.utils.eval_model' ("name", \
      "description", "results": {"bpp", "psnr-rgb", "ms-ssim-rgb", "encoding_time", \
      "decoding_time"}, one list entry per point), so 'python -m compressai.utils.plot -f FILE' \
      plots it unchanged (docs/evaluation.md). bpp counts the whole .gic file over the original \
      pixels; PSNR is over the 8-bit R, G, B samples; MS-SSIM is pytorch-msssim's ms_ssim with \
      data_range 1 on samples / 255 (pictures need both sides ≥ 161); times are seconds per \
      picture (encode: analysis and entropy coding; decode: parsing to pixels).

      Points: gic-v1 models take --rates (rate indices, default six evenly spaced from 0 to the \
      highest) or --target-bpp values, and --steps; the other profiles have one fixed rate.

      --padding compressai pads with zeros, centred, to a multiple of 64 as eval_model does and \
      crops after decoding; the default, gic, is the codec's own padding. The padding is \
      recorded in "description" and "padding". --per-image adds "per_image": each picture's \
      results (the plot ignores it).
      """)

  @Argument(help: "PNG pictures, directories (every .png below them) or list files.")
  var inputs: [String]

  @OptionGroup var options: CodecOptions

  @Option(help: ArgumentHelp("gic-v1 rate indices, comma-separated.", valueName: "r,r,…"))
  var rates: String?

  @Option(
    name: .customLong("target-bpp"),
    help: ArgumentHelp("gic-v1 target rates (bits per pixel), comma-separated.", valueName: "b,b,…")
  )
  var targetBPP: String?

  @Option(help: "Reverse-process steps the decoder runs, 0…4 (gic-v1; default 2).")
  var steps: Int?

  @Option(help: "gic (the codec's padding, default) or compressai (eval_model's zero padding).")
  var padding: EvaluationPadding = .gic

  @Option(help: "The results' \"name\" (the plot's legend; default: gic-ref <model file stem>).")
  var name: String?

  @Flag(name: .customLong("per-image"), help: "Add each picture's results (\"per_image\").")
  var perImage = false

  @Option(name: .shortAndLong, help: "Also write the JSON results to this file.")
  var output: String?

  func validate() throws {
    guard rates == nil || targetBPP == nil else {
      throw ValidationError("--rates and --target-bpp exclude each other")
    }
    if let rates, Self.list(rates, Int.init) == nil {
      throw ValidationError("--rates takes comma-separated integers, such as 0,128,255")
    }
    if let targetBPP, Self.list(targetBPP, Double.init)?.allSatisfy({ $0 > 0 }) != true {
      throw ValidationError("--target-bpp takes comma-separated positive numbers")
    }
  }

  /// The comma-separated values of `text`, nil if one does not parse or there is none.
  static func list<T>(_ text: String, _ parse: (String) -> T?) -> [T]? {
    let values = text.split(separator: ",").map { parse($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { return nil }
    return values.compactMap { $0 }
  }

  /// The operating points the options ask of `codec`.
  func points(_ codec: HyperpriorCodec) throws -> [Evaluator.Point] {
    guard let rate = codec.rateVariable else {
      guard rates == nil, targetBPP == nil, steps == nil else {
        throw ToolError(
          "\(options.model): profile \(codec.profile.name) has a fixed rate and no reverse process; --rates, --target-bpp and --steps apply to gic-v1 models",
          code: "tool.profile")
      }
      return [.fixed]
    }
    if let targetBPP {
      return (Self.list(targetBPP, Double.init) ?? []).map { .targetBitsPerPixel($0) }
    }
    let top = rate.rateLevels - 1
    let indices = rates.flatMap { Self.list($0, Int.init) } ?? (0...5).map { (top * $0 + 2) / 5 }
    if let bad = indices.first(where: { !(0...top).contains($0) }) {
      throw ToolError("rate index \(bad) is outside 0…\(top)", code: "tool.rate")
    }
    return indices.map { .rateIndex($0) }
  }

  /// The pictures named by the arguments, in order (a directory's sorted by name).
  func pictures() throws -> [BatchInput] {
    try inputs.flatMap { input -> [BatchInput] in
      guard BatchOptions.isBatch(input) else {
        return [BatchInput(name: (input as NSString).lastPathComponent, path: input)]
      }
      let base = (input as NSString).lastPathComponent
      return try BatchInput.resolve(input, extensions: ["png"]).map {
        BatchInput(name: BatchInput.isList(input) ? $0.name : base + "/" + $0.name, path: $0.path)
      }
    }
  }

  func run() throws {
    let codec = try options.loadCodec()
    let points = try points(codec)
    let pictures = try pictures()
    let steps = codec.rateVariable == nil ? nil : (self.steps ?? 2)
    let evaluator = Evaluator(
      codec: codec, padding: padding, steps: steps, threads: options.threads)
    let meter = ProgressMeter(label: "eval", enabled: !options.report.quiet)
    var measures: [[Evaluator.Measure]] = []
    for picture in pictures {
      let decoded = try ToolInput.readPNG(picture.path)
      var row: [Evaluator.Measure] = []
      for point in points {
        do {
          row.append(
            try evaluator.measure(
              decoded.image, grayscale: decoded.codesAsGray, name: picture.name, at: point))
        } catch { throw LocatedError.attaching(picture.path, to: error) }
      }
      measures.append(row)
      meter.pictures(done: measures.count, total: pictures.count)
    }
    meter.finish()
    var results = EvaluationReport.Results()
    for p in points.indices { results.append(Evaluator.mean(measures.map { $0[p] })) }
    let perPicture = zip(pictures, measures).map { picture, row in
      var r = EvaluationReport.Results()
      for measure in row { r.append(measure) }
      return EvaluationReport.PictureResults(source: picture.name, results: r)
    }
    let stem = ((options.model as NSString).lastPathComponent as NSString).deletingPathExtension
    let report = EvaluationReport(
      name: name ?? "gic-ref \(stem)", padding: padding,
      model: .init(path: options.model, profile: codec.profile.name, digest: codec.modelDigest),
      steps: steps, points: points, pictures: pictures.map(\.name), results: results,
      perImage: perImage ? perPicture : nil)
    if let output {
      try ToolFiles.write(Array(JSONOutput.encode(report).utf8) + [10], to: output)
    }
    options.report.print(report) { Self.table(report, points: points, output: output) }
  }

  /// The human report: one line per point.
  static func table(_ r: EvaluationReport, points: [Evaluator.Point], output: String?) -> String {
    var lines = ["\(r.name): \(r.pictures.count) pictures, \(r.description)"]
    for (i, point) in points.enumerated() {
      let label: String
      switch point {
      case .fixed: label = "fixed rate"
      case .rateIndex(let k): label = "rate index \(k)"
      case .targetBitsPerPixel(let b): label = "target \(b) bpp"
      }
      let res = r.results
      lines.append(
        "  \(label): "
          + String(
            format: "%.4f bpp, %.3f dB, MS-SSIM %.5f, %.3f s encoding, %.3f s decoding",
            res.bpp[i], res.psnrRGB[i], res.msSSIMRGB[i], res.encodingTime[i],
            res.decodingTime[i]))
    }
    if let output { lines.append("wrote \(output)") }
    return lines.joined(separator: "\n")
  }
}

extension EvaluationPadding: ExpressibleByArgument {}
