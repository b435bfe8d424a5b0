import Foundation
import WeightFormat

/// An 8-bit RGB picture the converter calibrates activation ranges on.
public struct CalibrationImage: Sendable {
  public var name: String
  public var width: Int
  public var height: Int
  /// width · height · 3 samples, R G B interleaved, rows top to bottom.
  public var pixels: [UInt8]

  public init(name: String, width: Int, height: Int, pixels: [UInt8]) {
    precondition(width >= 1 && height >= 1 && pixels.count == width * height * 3, "RGB pixels")
    self.name = name
    self.width = width
    self.height = height
    self.pixels = pixels
  }
}

/// Converts a CompressAI hyperprior state dict into a codec model: integer graphs, entropy
/// tables and the codec metadata read by `ReferenceCodec.HyperpriorCodec`.
///
/// Activation formats come from a float run of the model on the calibration images, through the
/// same coding path the codec takes (x → y → z → ẑ → scales, means → ŷ → x̂), with the image
/// padded to a multiple of 64 by repeating its last row and column.
enum HyperpriorConversion {
  /// The hyper-latent's stride: coded sizes are multiples of it.
  static let hyperStride = 64
  static let latentStride = 16

  /// What the conversion produces.
  struct Output {
    var metadata: [String: MetadataValue]
    var tensors: [Tensor]
    var cdfTables: [String: CDFTable]
    /// Calibrated max |value| of every activation, by value name.
    var ranges: [String: Double]
  }

  static func convert(
    kind: HyperpriorArchitecture.Kind, arrays: [String: NumPyArray],
    calibration: [CalibrationImage], threads: Int,
    activationBounds: [String: Int] = [:],
    progress: ModelConverter.CalibrationProgress = { _, _ in }
  ) throws -> Output {
    guard !calibration.isEmpty else {
      throw ConverterError.profileMismatch(
        profile: kind.rawValue,
        reason: "codec profiles need calibration images (gic-convert --calibration DIR|PNG…)")
    }
    let model =
      Cheng2020Architecture.profiles.contains(kind)
      ? try Cheng2020Architecture.model(arrays: arrays, profile: kind)
      : try HyperpriorArchitecture(kind: kind, arrays: arrays)
    guard let hyperAnalysis = model.hyperAnalysis, let hyperSynthesis = model.hyperSynthesis
    else { preconditionFailure("\(kind.name) has a hyperprior") }
    let ranges = calibrate(model, images: calibration, threads: threads, progress: progress)

    // Formats of every value, graph by graph.
    typealias Format = GraphQuantizer.Format
    func range(_ name: String) -> Double { ranges[name] ?? 0 }
    let y = Format.power(GraphQuantizer.exponent(maxAbs: range("y"), range: 0...14))
    let z = Format.power(GraphQuantizer.exponent(maxAbs: range("z"), range: 0...14))
    var quantizer = GraphQuantizer()
    quantizer.activationBounds = activationBounds

    func graph(_ net: FloatNetwork, input: Format, fixed: [String: Format]) throws -> (
      GraphDescription, [String: Format]
    ) {
      try quantizer.graph(net, input: input, fixed: fixed, ranges: ranges)
    }

    let (ga, _) = try graph(model.analysis, input: .pixels, fixed: ["y": y])
    let (ha, _) = try graph(hyperAnalysis, input: y, fixed: ["z": z])
    let scaleExponent = GraphQuantizer.exponent(maxAbs: range("scales"), range: 0...14)
    var scales = Format.power(scaleExponent, nonNegative: kind == .bmshj2018Hyperprior)
    if kind != .bmshj2018Hyperprior { scales.lo = -GraphQuantizer.activationBound }
    let (hs, hsFormats) = try graph(
      hyperSynthesis, input: z, fixed: ["scales": scales, "means": y])
    let (gs, _) = try graph(model.synthesis, input: y, fixed: [model.pixelValue: .pixels])
    // The context-model profiles (spec/bitstream.md §11.1): ŷ → ctx, (params, ctx) → (scales, means).
    var contextGraphs: [(String, GraphDescription)] = []
    if let cp = model.contextPrediction, let ep = model.entropyParameters,
      let params = hsFormats["params"]
    {
      let (cpGraph, cpFormats) = try quantizer.graph(
        cp, input: y, fixed: [:], ranges: ranges)
      guard let ctx = cpFormats["ctx"] else { preconditionFailure("the context graph gives ctx") }
      let (epGraph, _) = try quantizer.graph(
        ep, input: params, extraInputs: ["ctx": ctx], fixed: ["scales": scales, "means": y],
        ranges: ranges)
      contextGraphs = [
        (CodecModelSchema.Graph.contextPrediction, cpGraph),
        (CodecModelSchema.Graph.entropyParameters, epGraph),
      ]
    }

    // Entropy models.
    let (tables, thresholds): ([String: CDFTable], [Int64])
    do {
      (tables, thresholds) = try entropyTables(arrays, scaleExponent: scaleExponent)
    } catch {
      throw ConverterError.profileMismatch(profile: kind.rawValue, reason: "\(error)")
    }
    quantizer.addInt32(
      CodecModelSchema.Tensor.scaleThresholds, thresholds.map { Int32($0) },
      shape: [thresholds.count],
      quantization: .perTensor(QuantizationParameters(multiplier: 1, shift: Int32(scaleExponent))))
    let medians = model.medians.map { Int32(($0 * pow(2, Double(z.exponent))).rounded()) }
    quantizer.addInt32(
      CodecModelSchema.Tensor.medians, medians, shape: [medians.count],
      quantization: .perTensor(QuantizationParameters(multiplier: 1, shift: Int32(z.exponent))))

    let metadata = codecMetadata(
      profile: kind, sourceChannels: [model.n, model.m], calibration: calibration,
      graphs: [
        (CodecModelSchema.Graph.analysis, ga), (CodecModelSchema.Graph.hyperAnalysis, ha),
        (CodecModelSchema.Graph.hyperSynthesis, hs), (CodecModelSchema.Graph.synthesis, gs),
      ] + contextGraphs)
    try quantizer.checkActivationBoundsUsed(profile: kind.rawValue)
    return Output(
      metadata: metadata, tensors: quantizer.tensors, cdfTables: tables, ranges: ranges)
  }

  /// The metadata of a codec model (spec/bitstream.md §6): profile, strides, source channels,
  /// calibration images and the graphs, plus `extra` entries.
  static func codecMetadata(
    profile: ModelProfile, sourceChannels: [Int], calibration: [CalibrationImage],
    graphs: [(String, GraphDescription)], extra: [String: MetadataValue] = [:]
  ) -> [String: MetadataValue] {
    var metadata: [String: MetadataValue] = [
      CodecModelSchema.Key.profile: .string(profile.name),
      CodecModelSchema.Key.hyperStride: .integer(Int64(hyperStride)),
      CodecModelSchema.Key.latentStride: .integer(Int64(latentStride)),
      CodecModelSchema.Key.sourceChannels: .list(sourceChannels.map { .integer(Int64($0)) }),
      CodecModelSchema.Key.calibrationImages: .list(
        calibration.map {
          .list([.string($0.name), .integer(Int64($0.width)), .integer(Int64($0.height))])
        }),
    ]
    metadata.merge(extra) { _, new in new }
    for (name, g) in graphs { metadata[GraphDescription.metadataKey(name)] = g.metadataValue }
    return metadata
  }

  /// CompressAI's stored tables and the scale thresholds in units of 2^−scaleExponent.
  static func entropyTables(_ arrays: [String: NumPyArray], scaleExponent: Int)
    throws(EntropyTableError) -> ([String: CDFTable], [Int64])
  {
    var tables: [String: CDFTable] = [:]
    tables[CodecModelSchema.Table.factorized] = try CompressAITables.table(
      prefix: CodecModelSchema.Table.factorized, in: arrays)
    tables[CodecModelSchema.Table.gaussian] = try CompressAITables.table(
      prefix: CodecModelSchema.Table.gaussian, in: arrays)
    let scaleTable = try CompressAITables.scaleTable(
      prefix: CodecModelSchema.Table.gaussian,
      in: try CompressAITables.strippingModulePrefix(arrays))
    let thresholds = try CompressAITables.scaleThresholds(
      scaleTable: scaleTable, fractionBits: scaleExponent)
    return (tables, thresholds)
  }

  /// Max |value| of every activation over the calibration images.
  static func calibrate(
    _ model: HyperpriorArchitecture, images: [CalibrationImage], threads: Int,
    progress: ModelConverter.CalibrationProgress = { _, _ in }
  ) -> [String: Double] {
    var ranges: [String: Double] = [:]
    func record(_ values: [String: FloatTensor]) {
      for (name, t) in values { ranges[name] = max(ranges[name] ?? 0, Double(t.maxAbs())) }
    }
    for (done, image) in images.enumerated() {
      defer { progress(done + 1, images.count) }
      let (y, s) = analyze(model, image, threads: threads, record: record)
      var yHat = y
      var means = s["means"]
      if let cp = model.contextPrediction, let ep = model.entropyParameters,
        let params = s["params"]
      {
        // mbt2018: the context read from ŷ ≈ round(y) (ranges only; the codec reads the
        // exact ŷ position by position).
        var rounded = y
        for i in rounded.values.indices {
          rounded.values[i] = rounded.values[i].rounded(.toNearestOrEven)
        }
        guard let ctx = cp.run(rounded, threads: threads)["ctx"] else {
          preconditionFailure("the context graph gives ctx")
        }
        let e = ep.run(params, extras: ["ctx": ctx], threads: threads)
        record(e)
        means = e["means"]
      }
      for i in yHat.values.indices {
        let mu = means?.values[i] ?? 0
        yHat.values[i] = (yHat.values[i] - mu).rounded(.toNearestOrEven) + mu
      }
      record(model.synthesis.run(yHat, threads: threads))
    }
    return ranges
  }

  /// The float coding path up to the hyper-synthesis: y, and h_s's outputs on ẑ = round(z − m) + m;
  /// every value computed is passed to `record`.
  static func analyze(
    _ model: HyperpriorArchitecture, _ image: CalibrationImage, threads: Int,
    record: ([String: FloatTensor]) -> Void
  ) -> (y: FloatTensor, hyper: [String: FloatTensor]) {
    let a = model.analysis.run(paddedTensor(image), threads: threads)
    record(a)
    guard let y = a["y"] else { preconditionFailure("g_a gives y") }
    guard let hyperAnalysis = model.hyperAnalysis, let hyperSynthesis = model.hyperSynthesis
    else { preconditionFailure("\(model.kind.name) has a hyperprior") }
    let h = hyperAnalysis.run(y, threads: threads)
    record(h)
    guard var zHat = h["z"] else { preconditionFailure("h_a gives z") }
    let plane = zHat.height * zHat.width
    for c in 0..<zHat.channels {
      let m = Float(model.medians[c])
      for p in 0..<plane {
        let v = zHat.values[c * plane + p]
        zHat.values[c * plane + p] = (v - m).rounded(.toNearestOrEven) + m
      }
    }
    let s = hyperSynthesis.run(zHat, threads: threads)
    record(s)
    return (y, s)
  }

  /// The image as a (3, H, W) tensor of samples / 255, padded to a multiple of 64 by
  /// repeating the last row and column.
  static func paddedTensor(_ image: CalibrationImage) -> FloatTensor {
    let w = (image.width + hyperStride - 1) / hyperStride * hyperStride
    let h = (image.height + hyperStride - 1) / hyperStride * hyperStride
    var values = [Float](repeating: 0, count: 3 * w * h)
    for y in 0..<h {
      let sy = min(y, image.height - 1)
      for x in 0..<w {
        let sx = min(x, image.width - 1)
        for c in 0..<3 {
          values[(c * h + y) * w + x] = Float(image.pixels[(sy * image.width + sx) * 3 + c]) / 255
        }
      }
    }
    return FloatTensor(channels: 3, height: h, width: w, values: values)
  }
}
