import Foundation
import WeightFormat

/// Converts a CompressAI `FactorizedPrior` state dict into a `bmshj2018-factorized` codec model
/// (spec/bitstream.md §10): the integer graphs g_a and g_s, the factorized table
/// `entropy_bottleneck` (one row per channel of y) and y's integer medians.
///
/// Activation formats come from a float run of the model on the calibration images through the
/// coding path the codec takes (x → y → ŷ = round(y − m) + m → x̂), the image padded as for the
/// hyperprior profiles (``HyperpriorConversion/paddedTensor(_:)``).
enum FactorizedConversion {
  static func convert(
    arrays: [String: NumPyArray], calibration: [CalibrationImage], threads: Int,
    activationBounds: [String: Int] = [:],
    progress: ModelConverter.CalibrationProgress = { _, _ in }
  ) throws -> HyperpriorConversion.Output {
    let profile = ModelProfile.bmshj2018Factorized
    guard !calibration.isEmpty else {
      throw ConverterError.profileMismatch(
        profile: profile.rawValue,
        reason: "codec profiles need calibration images (gic-convert --calibration DIR|PNG…)")
    }
    let model = try HyperpriorArchitecture(kind: profile, arrays: arrays)
    let ranges = calibrate(model, images: calibration, threads: threads, progress: progress)

    typealias Format = GraphQuantizer.Format
    let y = Format.power(GraphQuantizer.exponent(maxAbs: ranges["y"] ?? 0, range: 0...14))
    var quantizer = GraphQuantizer()
    quantizer.activationBounds = activationBounds
    let (ga, _) = try quantizer.graph(
      model.analysis, input: .pixels, fixed: ["y": y], ranges: ranges)
    let (gs, _) = try quantizer.graph(
      model.synthesis, input: y, fixed: ["x_hat": .pixels], ranges: ranges)

    let table: CDFTable
    do {
      table = try CompressAITables.table(prefix: CodecModelSchema.Table.factorized, in: arrays)
    } catch {
      throw ConverterError.profileMismatch(profile: profile.rawValue, reason: "\(error)")
    }
    let medians = model.medians.map { Int32(($0 * pow(2, Double(y.exponent))).rounded()) }
    quantizer.addInt32(
      CodecModelSchema.Tensor.medians, medians, shape: [medians.count],
      quantization: .perTensor(QuantizationParameters(multiplier: 1, shift: Int32(y.exponent))))

    let metadata = HyperpriorConversion.codecMetadata(
      profile: profile, sourceChannels: [model.n, model.m], calibration: calibration,
      graphs: [(CodecModelSchema.Graph.analysis, ga), (CodecModelSchema.Graph.synthesis, gs)])
    try quantizer.checkActivationBoundsUsed(profile: profile.rawValue)
    return HyperpriorConversion.Output(
      metadata: metadata, tensors: quantizer.tensors,
      cdfTables: [CodecModelSchema.Table.factorized: table], ranges: ranges)
  }

  /// Max |value| of every activation of g_a on the calibration images and of g_s on their
  /// quantized latents ŷ = round(y − m) + m (CompressAI's `EntropyBottleneck` dequantization).
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
      let a = model.analysis.run(HyperpriorConversion.paddedTensor(image), threads: threads)
      record(a)
      guard var yHat = a["y"] else { preconditionFailure("g_a gives y") }
      let plane = yHat.height * yHat.width
      for c in 0..<yHat.channels {
        let m = Float(model.medians[c])
        for p in 0..<plane {
          let v = yHat.values[c * plane + p]
          yHat.values[c * plane + p] = (v - m).rounded(.toNearestOrEven) + m
        }
      }
      record(model.synthesis.run(yHat, threads: threads))
    }
    return ranges
  }
}
