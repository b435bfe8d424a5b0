import Foundation
import WeightFormat

/// Converts a gic-v1 export into a codec model: the four hyperprior graphs, the `reverse`
/// graph with per-level conditioning tables, the rate tables and the sampler tables
/// (spec/bitstream.md §7).
enum GICv1Conversion {
  /// Rate indices calibrated on (0, 51, …, 255).
  static let calibrationRates = stride(from: 0, through: 255, by: 51).map { $0 }
  /// Fraction bits of the mixing ratios and noise strengths.
  static let ratioBits = 15
  /// The reverse network's activation ranges are widened 4× beyond the calibrated maxima: at
  /// coarse rates its FiLM-modulated activations vary far more between pictures than the
  /// transforms' do (a held-out photograph reached 3.7× the calibration maximum in `film2`).
  static let reverseHeadroom = 4.0

  /// Clamp bounds of g_s's activations other than the default 4095, by value name.
  ///
  /// See docs/results-gicv2.md, "The integer decoder's precision". The values only an inverse GDN
  /// reads (g_s.0, g_s.2, g_s.4) get the full int16 bound, 3 more bits at no weight cost: an
  /// IGDN's γ is proven with U = rshift(X², t) ≤ 32767 whatever X is, and |x·r| ≤ 32767 · 46340
  /// < 2^31. The IGDN outputs, which convolutions read, get 1–2 more bits paid with weight bits
  /// of the convolution after them: the choice with the integer pictures closest to the float
  /// decoder's on training photographs (gic-v2 calibrated on its 29 training photographs: mean
  /// 53.3 dB against the float pictures with 4095 everywhere, 55.0 dB with these).
  static let synthesisBounds = [
    "g_s.0": 32767, "g_s.1": 8191, "g_s.2": 32767, "g_s.3": 16383, "g_s.4": 32767,
    "g_s.5": 8191,
  ]

  static func convert(
    arrays: [String: NumPyArray], calibration: [CalibrationImage], threads: Int,
    activationBounds: [String: Int] = [:],
    progress: ModelConverter.CalibrationProgress = { _, _ in }
  ) throws -> HyperpriorConversion.Output {
    guard !calibration.isEmpty else {
      throw ConverterError.profileMismatch(
        profile: "gic-v1",
        reason: "codec profiles need calibration images (gic-convert --calibration DIR|PNG…)")
    }
    let model = try GICv1Architecture(arrays: arrays)
    let ranges = calibrate(model, images: calibration, threads: threads, progress: progress)
    typealias Format = GraphQuantizer.Format
    func range(_ name: String) -> Double { ranges[name] ?? 0 }
    let y = Format.power(GraphQuantizer.exponent(maxAbs: range("y"), range: 0...14))
    let z = Format.power(GraphQuantizer.exponent(maxAbs: range("z"), range: 0...14))
    var scales = Format.power(GraphQuantizer.exponent(maxAbs: range("scales"), range: 0...14))
    scales.lo = -GraphQuantizer.activationBound
    var quantizer = GraphQuantizer()
    quantizer.activationBounds = activationBounds
    let base = model.base
    let (ga, _) = try quantizer.graph(
      base.analysis, input: .pixels, fixed: ["y": y], ranges: ranges)
    guard let hyperAnalysis = base.hyperAnalysis, let hyperSynthesis = base.hyperSynthesis else {
      preconditionFailure("gic-v1's base model is an mbt2018-mean")
    }
    let (ha, _) = try quantizer.graph(hyperAnalysis, input: y, fixed: ["z": z], ranges: ranges)
    let (hs, _) = try quantizer.graph(
      hyperSynthesis, input: z, fixed: ["scales": scales, "means": y], ranges: ranges)
    let (gs, _) = try quantizer.graph(
      base.synthesis, input: y, fixed: ["x_hat": .pixels], ranges: ranges,
      bounds: synthesisBounds)
    let (reverse, _) = try quantizer.graph(
      model.reverse, input: y, fixed: ["x_hat": y], ranges: ranges, headroom: reverseHeadroom)

    // Entropy tables.
    let tables: [String: CDFTable]
    let scaleTable: [Double]
    do {
      (tables, _) = try HyperpriorConversion.entropyTables(arrays, scaleExponent: 16)
      scaleTable = try CompressAITables.scaleTable(
        prefix: CodecModelSchema.Table.gaussian,
        in: try CompressAITables.strippingModulePrefix(arrays))
    } catch {
      throw ConverterError.profileMismatch(profile: "gic-v1", reason: "\(error)")
    }
    let levels = GICv1Architecture.rateLevels
    let total = levels + model.extraLevels
    // rate.q in units of 2^−(e_y + 8).
    let qBits = y.exponent + 8
    let q = try (0..<total).map { level -> Int32 in
      let v = (model.q(level) * pow(2, Double(qBits))).rounded()
      guard v >= 1, v < 2_147_483_648 else {
        throw ConverterError.profileMismatch(
          profile: "gic-v1", reason: "q(\(level)) = \(model.q(level)) does not fit the rate table")
      }
      return Int32(v)
    }
    quantizer.addInt32(
      CodecModelSchema.Tensor.rateQ, q, shape: [total],
      quantization: .perTensor(QuantizationParameters(multiplier: 1, shift: Int32(qBits))))
    // Row thresholds per rate index: t_k · q(r) in units of the scales (2^−e_σ).
    var thresholds: [Int32] = []
    for r in 0..<levels {
      for t in scaleTable.dropLast() {
        thresholds.append(Int32((t * model.q(r) * pow(2, Double(scales.exponent))).rounded()))
      }
    }
    quantizer.addInt32(
      CodecModelSchema.Tensor.scaleThresholdsByRate, thresholds,
      shape: [levels, scaleTable.count - 1],
      quantization: .perTensor(
        QuantizationParameters(multiplier: 1, shift: Int32(scales.exponent))))
    // Sampler tables, row n − 1.
    let n = GICv1Architecture.maxSteps
    var offsets = [Int32](repeating: 0, count: n * n)
    var ratios = [Int32](repeating: 0, count: n * n)
    var alphas = [Int32](repeating: 0, count: n * n)
    let one = Double(1 << ratioBits)
    for steps in 1...n {
      let d = model.offsets(steps: steps)
      for i in 0..<steps {
        offsets[(steps - 1) * n + i] = Int32(d[i])
        alphas[(steps - 1) * n + i] = Int32((model.alpha[steps - 1][i] * one).rounded())
        if i + 1 < steps {
          ratios[(steps - 1) * n + i] = Int32((model.q(d[i + 1]) / model.q(d[i]) * one).rounded())
        }
      }
    }
    quantizer.addInt32(CodecModelSchema.Tensor.samplerLevelOffsets, offsets, shape: [n, n])
    quantizer.addInt32(CodecModelSchema.Tensor.samplerRatio, ratios, shape: [n, n])
    quantizer.addInt32(CodecModelSchema.Tensor.samplerAlpha, alphas, shape: [n, n])
    let medians = base.medians.map { Int32(($0 * pow(2, Double(z.exponent))).rounded()) }
    quantizer.addInt32(
      CodecModelSchema.Tensor.medians, medians, shape: [medians.count],
      quantization: .perTensor(QuantizationParameters(multiplier: 1, shift: Int32(z.exponent))))

    let metadata = HyperpriorConversion.codecMetadata(
      profile: .gicV1, sourceChannels: [base.n, base.m, model.width], calibration: calibration,
      graphs: [
        (CodecModelSchema.Graph.analysis, ga), (CodecModelSchema.Graph.hyperAnalysis, ha),
        (CodecModelSchema.Graph.hyperSynthesis, hs), (CodecModelSchema.Graph.synthesis, gs),
        (CodecModelSchema.Graph.reverse, reverse),
      ],
      extra: [
        CodecModelSchema.Key.rateLevels: .integer(Int64(levels)),
        CodecModelSchema.Key.rateExtraLevels: .integer(Int64(model.extraLevels)),
      ])
    try quantizer.checkActivationBoundsUsed(profile: "gic-v1")
    return HyperpriorConversion.Output(
      metadata: metadata, tensors: quantizer.tensors, cdfTables: tables, ranges: ranges)
  }

  /// Max |value| of every activation over the calibration images, along the rate-variable
  /// coding path: for several rate indices, ŷ = round((y − μ)/q)·q + μ, the reverse process
  /// with 2 steps (noise on, α of the model) and the synthesis of both ŷ and the final state.
  static func calibrate(
    _ model: GICv1Architecture, images: [CalibrationImage], threads: Int,
    progress: ModelConverter.CalibrationProgress = { _, _ in }
  ) -> [String: Double] {
    var ranges: [String: Double] = [:]
    func record(_ values: [String: FloatTensor]) {
      for (name, t) in values { ranges[name] = max(ranges[name] ?? 0, Double(t.maxAbs())) }
    }
    var generator = SplitMix64(seed: 0x6769_632D_7631)
    let base = model.base
    for (done, image) in images.enumerated() {
      defer { progress(done + 1, images.count) }
      let (y, s) = HyperpriorConversion.analyze(base, image, threads: threads, record: record)
      guard let means = s["means"] else { preconditionFailure("h_s gives means") }
      let d = model.offsets(steps: 2)
      for r in calibrationRates {
        let q = Float(model.q(r))
        var yHat = y
        for i in yHat.values.indices {
          let mu = means.values[i]
          yHat.values[i] = ((yHat.values[i] - mu) / q).rounded(.toNearestOrEven) * q + mu
        }
        ranges["y"] = max(ranges["y"] ?? 0, Double(yHat.maxAbs()))
        record(base.synthesis.run(yHat, threads: threads))
        let first = model.reverse.run(yHat, level: r + d[0], threads: threads)
        record(first)
        guard let estimate = first["x_hat"] else { preconditionFailure("reverse gives x_hat") }
        let ratio = Float(model.q(r + d[1]) / model.q(r + d[0]))
        let noise = Float(model.alpha[1][0] * model.q(r + d[1]))
        var state = estimate
        for i in state.values.indices {
          let u = Float(generator.next() >> 40) / Float(1 << 24) - 0.5
          state.values[i] =
            estimate.values[i] + ratio * (yHat.values[i] - estimate.values[i])
            + noise * u
        }
        ranges["y"] = max(ranges["y"] ?? 0, Double(state.maxAbs()))
        let second = model.reverse.run(state, level: r + d[1], threads: threads)
        record(second)
        if let final = second["x_hat"] {
          ranges["y"] = max(ranges["y"] ?? 0, Double(final.maxAbs()))
          record(base.synthesis.run(final, threads: threads))
        }
      }
    }
    ranges["x_hat"] = nil
    return ranges
  }
}
