/// What `gic-ref encode` asks of the encoder: gic-v1's rate (`--rate` or `--target-bpp`),
/// reverse-process steps, sampler seed and detail substream; all nil (detail nil or off) for the
/// fixed-rate profiles.
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
  /// The detail stages to send (spec/bitstream.md §7.5, §7.6; gic-v1 models); nil for
  /// ``defaultDetail``.
  public var detail: DetailMode?

  /// Whether gic-v1 streams carry the detail substream when `detail` is not given.
  ///
  /// The one place that decides `gic-ref encode`'s default `--detail` (and the batch
  /// encoder's); the fixed-rate profiles never send it.
  public static let defaultDetail = DetailMode.off

  public init(
    rate: Double? = nil, targetBitsPerPixel: Double? = nil, steps: Int? = nil,
    seed: UInt64? = nil, detail: DetailMode? = nil
  ) {
    self.rate = rate
    self.targetBitsPerPixel = targetBitsPerPixel
    self.steps = steps
    self.seed = seed
    self.detail = detail
  }

  /// Whether no gic-v1 option is given (what the fixed-rate profiles accept): `detail` may be
  /// off, not on.
  public var isEmpty: Bool {
    var s = self
    if s.detail == .off { s.detail = nil }
    return s == EncodeSettings()
  }

  /// The options as given, such as `rate=0.5 steps=2`; empty when none is.
  public var description: String {
    [
      rate.map { "rate=\($0)" }, targetBitsPerPixel.map { "target-bpp=\($0)" },
      steps.map { "steps=\($0)" }, seed.map { "seed=\($0)" },
      detail.map { "detail=\($0)" },
    ].compactMap { $0 }.joined(separator: " ")
  }
}

extension HyperpriorCodec {
  /// Encodes `image` as `settings` ask.
  ///
  /// gic-v1 codes at the index closest to `targetBitsPerPixel` when given, else at round((L −
  /// 1)·rate) (an encoder policy: floating point picks the index, the coding is integer), with
  /// `steps` (default 2) and `seed`, with the detail substream when `detail` (default
  /// ``EncodeSettings/defaultDetail``) is on. The fixed-rate profiles take no setting but
  /// `detail` off.
  ///
  /// - Throws: ``BitstreamError/incompatible(reason:)`` if a setting does not fit the profile;
  ///   as ``encode(_:grayscale:rateIndex:steps:seed:detail:threads:path:)``.
  public func encode(
    _ image: RGBImage, grayscale: Bool, settings: EncodeSettings, threads: Int
  ) throws -> Bitstream {
    guard let rate = rateVariable else {
      guard settings.isEmpty else {
        throw BitstreamError.incompatible(
          reason: "profile \(profile.name) has a fixed rate and no reverse process; "
            + "--rate, --target-bpp, --steps, --seed and --detail on apply to gic-v1 models")
      }
      return try encode(image, grayscale: grayscale, threads: threads)
    }
    let (steps, seed) = (settings.steps ?? 2, settings.seed)
    let detail = settings.detail ?? EncodeSettings.defaultDetail
    if let target = settings.targetBitsPerPixel {
      return try encode(
        image, grayscale: grayscale, targetBitsPerPixel: target, steps: steps, seed: seed,
        detail: detail, threads: threads)
    }
    let index = Int((Double(rate.rateLevels - 1) * (settings.rate ?? 0.5)).rounded())
    return try encode(
      image, grayscale: grayscale, rateIndex: index, steps: steps, seed: seed, detail: detail,
      threads: threads)
  }
}
