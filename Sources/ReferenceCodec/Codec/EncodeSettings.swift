/// What `gic-ref encode` asks of the encoder: gic-v1's rate (`--rate` or `--target-bpp`),
/// reverse-process steps and sampler seed; all nil for the fixed-rate profiles.
///
/// The two `Double`s are encoder policy (which rate index to code at), chosen before coding; the
/// index written to the stream is an integer and no coded bit is computed in floating point.
public struct EncodeSettings: Sendable, Equatable, CustomStringConvertible {
  /// Rate in 0…1, 1 = most bits: rate index round((L − 1)·R) (default 0.5).
  public var rate: Double?
  /// Target bits per pixel: the rate index whose file is closest.
  public var targetBitsPerPixel: Double?
  /// Reverse-process steps the decoder runs (default 2).
  public var steps: Int?
  /// Sampler noise seed (no noise without it).
  public var seed: UInt64?

  public init(
    rate: Double? = nil, targetBitsPerPixel: Double? = nil, steps: Int? = nil,
    seed: UInt64? = nil
  ) {
    self.rate = rate
    self.targetBitsPerPixel = targetBitsPerPixel
    self.steps = steps
    self.seed = seed
  }

  /// Whether no option is given (what the fixed-rate profiles accept).
  public var isEmpty: Bool { self == EncodeSettings() }

  /// The options as given, such as `rate=0.5 steps=2`; empty when none is.
  public var description: String {
    [
      rate.map { "rate=\($0)" }, targetBitsPerPixel.map { "target-bpp=\($0)" },
      steps.map { "steps=\($0)" }, seed.map { "seed=\($0)" },
    ].compactMap { $0 }.joined(separator: " ")
  }
}

extension HyperpriorCodec {
  /// Encodes `image` as `settings` ask.
  ///
  /// gic-v1 codes at the index closest to `targetBitsPerPixel` when given, else at round((L −
  /// 1)·rate) (an encoder policy: floating point picks the index, the coding is integer), with
  /// `steps` (default 2) and `seed`. The fixed-rate profiles take no setting.
  ///
  /// - Throws: ``BitstreamError/incompatible(reason:)`` if a setting does not fit the profile;
  ///   as ``encode(_:grayscale:rateIndex:steps:seed:threads:path:)``.
  public func encode(
    _ image: RGBImage, grayscale: Bool, settings: EncodeSettings, threads: Int
  ) throws -> Bitstream {
    guard let rate = rateVariable else {
      guard settings.isEmpty else {
        throw BitstreamError.incompatible(
          reason: "profile \(profile.name) has a fixed rate and no reverse process; "
            + "--rate, --target-bpp, --steps and --seed apply to gic-v1 models")
      }
      return try encode(image, grayscale: grayscale, threads: threads)
    }
    let (steps, seed) = (settings.steps ?? 2, settings.seed)
    if let target = settings.targetBitsPerPixel {
      return try encode(
        image, grayscale: grayscale, targetBitsPerPixel: target, steps: steps, seed: seed,
        threads: threads)
    }
    let index = Int((Double(rate.rateLevels - 1) * (settings.rate ?? 0.5)).rounded())
    return try encode(
      image, grayscale: grayscale, rateIndex: index, steps: steps, seed: seed, threads: threads)
  }
}
