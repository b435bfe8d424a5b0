/// Rate control of the rate-variable profile gic-v1 (spec/bitstream.md §7): which rate index a
/// request codes at, the `--target-bpp` search, the size table of `gic-ref rates`, and the
/// parameter checks every profile applies.
extension HyperpriorCodec {
  /// How far above a requested rate index the encoder looks for a smaller file.
  public static let rateSearchWindow = 8

  /// Codes at the rate index in r … r + ``rateSearchWindow`` (within range) whose bitstream is
  /// smallest, the lowest such index on ties: never more bytes, never a coarser step than r.
  ///
  /// The size at a single index is not exactly monotone in the index (the Gaussian rows of the
  /// scales σ/q change with q; dips of up to 0.2 % between neighbours occur), so this encoder
  /// policy is what makes the file size non-decreasing in the requested index. Fixed-rate
  /// profiles code at their only rate.
  public func codeBest(_ a: Analysis, rateIndex: Int?, steps: Int = 0, seed: UInt64? = nil)
    throws -> Bitstream
  {
    guard let rate = rateVariable, let r = rateIndex else {
      return try code(a, rateIndex: rateIndex, steps: steps, seed: seed)
    }
    var best = try code(a, rateIndex: r, steps: steps, seed: seed)
    var bestSize = best.serialized().count
    for candidate in (r + 1)..<min(r + Self.rateSearchWindow + 1, rate.rateLevels) {
      let s = try code(a, rateIndex: candidate, steps: steps, seed: seed)
      let size = s.serialized().count
      if size < bestSize {
        best = s
        bestSize = size
      }
    }
    return best
  }

  /// Encodes an image.
  ///
  /// gic-v1 picks the index as ``codeBest(_:rateIndex:steps:seed:)`` does (on the latent
  /// substreams' size), then, with `detail` other than ``DetailMode/off``, adds the detail
  /// stages' substreams of the chosen stream (``addingDetail(to:source:mode:threads:path:)``: one
  /// more decode).
  ///
  /// - Parameters:
  ///   - image: the picture.
  ///   - grayscale: record that the source was grayscale (the decoder then writes gray).
  ///   - rateIndex: the rate index (gic-v1; nil for the fixed-rate profiles).
  ///   - steps: reverse-process steps the decoder runs (gic-v1).
  ///   - seed: the sampler's noise seed, nil for no noise (gic-v1).
  ///   - detail: the detail stages to send, spec/bitstream.md §7.5 and §7.6 (gic-v1).
  ///   - threads: worker threads for the network kernels; the bytes do not depend on it.
  ///   - path: the kernel implementation; the bytes do not depend on it.
  /// - Returns: the bitstream.
  /// - Throws: ``BitstreamError`` if the image is too large or the parameters do not fit the
  ///   profile, ``EntropyError`` if a symbol cannot be coded.
  public func encode(
    _ image: RGBImage, grayscale: Bool = false, rateIndex: Int? = nil, steps: Int = 0,
    seed: UInt64? = nil, detail: DetailMode = .off, threads: Int = 1,
    path: KernelPath = .automatic
  ) throws -> Bitstream {
    try checkParameters(
      rateIndex: rateIndex ?? 0, steps: steps, seed: seed, given: rateIndex != nil)
    try checkDetail(detail)
    let a = try analyze(image, grayscale: grayscale, threads: threads, path: path)
    let stream = try codeBest(a, rateIndex: rateIndex, steps: steps, seed: seed)
    return try addingDetail(to: stream, source: image, mode: detail, threads: threads, path: path)
  }

  /// Refuses the detail fill for a profile without it.
  func checkDetail(_ detail: DetailMode) throws {
    guard detail == .off || rateVariable != nil else {
      throw BitstreamError.incompatible(
        reason: "the detail stages (--detail \(detail)) apply to gic-v1 models (profile 3) only; "
          + "the model is \(profile.name)")
    }
  }

  /// Encodes at the rate index whose file size is closest to `bitsPerPixel` (gic-v1).
  ///
  /// The size of ``codeBest(_:rateIndex:steps:seed:)`` is non-decreasing in the requested
  /// index, so a binary search finds the crossing; both neighbours of it are coded and the
  /// closer one (the smaller on a tie) kept.
  ///
  /// With `detail` on or fill, the whole file counts, the detail stages' substreams included. Its size needs a decode
  /// per index, so the search runs on the latent substreams' sizes against the target less the
  /// detail bytes of the current crossing, until the crossing stays put (at most
  /// ``detailSearchRounds`` rounds); the two neighbours of the last crossing are then coded in
  /// full and, among every index coded in full, the one closest to the target is kept (the
  /// smaller file on a tie). Typically 2–4 decodes.
  ///
  /// - Throws: as ``encode(_:grayscale:rateIndex:steps:seed:detail:threads:path:)``.
  public func encode(
    _ image: RGBImage, grayscale: Bool = false, targetBitsPerPixel target: Double, steps: Int = 0,
    seed: UInt64? = nil, detail: DetailMode = .off, threads: Int = 1,
    path: KernelPath = .automatic
  ) throws -> Bitstream {
    guard let rate = rateVariable else {
      throw BitstreamError.incompatible(
        reason: "profile \(profile.name) has no rate control (--target-bpp needs gic-v1)")
    }
    let a = try analyze(image, grayscale: grayscale, threads: threads, path: path)
    // Floating point here only compares file sizes with the user's target to choose a rate
    // index (an encoder policy); every coded bit comes from the integer path of `codeBest`.
    let pixels = Double(image.width * image.height)
    var cache: [Int: Bitstream] = [:]
    func coded(_ r: Int) throws -> Bitstream {
      if let s = cache[r] { return s }
      let s = try codeBest(a, rateIndex: r, steps: steps, seed: seed)
      cache[r] = s
      return s
    }
    func bpp(_ r: Int) throws -> Double { Double(try coded(r).serialized().count * 8) / pixels }
    func crossing(_ target: Double) throws -> Int {
      var lo = 0
      var hi = rate.rateLevels - 1
      while lo < hi {
        let mid = (lo + hi) / 2
        if try bpp(mid) < target { lo = mid + 1 } else { hi = mid }
      }
      return lo
    }
    var lo = try crossing(target)
    guard detail != .off else {
      var best = lo
      // An infinite target is no tie: both distances are infinite, and it asks for the top
      // rate.
      if lo > 0, target.isFinite, abs(try bpp(lo - 1) - target) <= abs(try bpp(lo) - target) {
        best = lo - 1
      }
      return try coded(best)
    }
    var full: [Int: Bitstream] = [:]
    func withDetail(_ r: Int) throws -> Bitstream {
      if let s = full[r] { return s }
      let s = try addingDetail(
        to: try coded(r), source: image, mode: detail, threads: threads, path: path)
      full[r] = s
      return s
    }
    for _ in 0..<Self.detailSearchRounds {
      let detailBits = Double((try withDetail(lo).detailStageBytes) * 8)
      let next = try crossing(target - detailBits / pixels)
      if next == lo { break }
      lo = next
    }
    for r in [lo - 1, lo] where r >= 0 { _ = try withDetail(r) }
    func distance(_ s: Bitstream) -> Double {
      abs(Double(s.serialized().count * 8) / pixels - target)
    }
    // An infinite target gives infinite distances: the smallest file would win, so it asks for
    // the top rate explicitly, as without detail.
    guard target.isFinite else { return try withDetail(lo) }
    var best = try withDetail(lo)
    for r in full.keys.sorted() {
      let s = try withDetail(r)
      let (d, dBest) = (distance(s), distance(best))
      if d < dBest || (d == dBest && s.serialized().count < best.serialized().count) { best = s }
    }
    return best
  }

  /// How many times the `--target-bpp` search with detail re-aims at the target less the
  /// detail bytes (each round one decode).
  public static let detailSearchRounds = 3

  /// Checks rate index, steps and seed against the profile.
  func checkParameters(rateIndex: Int, steps: Int, seed: UInt64?, given: Bool) throws {
    guard let rate = rateVariable else {
      guard !given, rateIndex == 0, steps == 0, seed == nil else {
        throw BitstreamError.incompatible(
          reason:
            "profile \(profile.name) has no rate control or reverse process: a rate, steps and a seed apply to gic-v1 models only"
        )
      }
      return
    }
    guard (0..<rate.rateLevels).contains(rateIndex) else {
      throw BitstreamError.incompatible(
        reason: "rate index \(rateIndex) is outside 0…\(rate.rateLevels - 1)")
    }
    guard (0...RateVariable.maxSteps).contains(steps) else {
      throw BitstreamError.incompatible(
        reason: "\(steps) reverse-process steps; the model allows 0…\(RateVariable.maxSteps)")
    }
  }

  /// The file size at every rate index of an analysed picture (gic-v1), as `gic-ref rates`
  /// reports it.
  public struct RateTable: Sendable {
    /// Bytes of the bitstream coded exactly at index r.
    public var exactBytes: [Int]
    /// The index ``codeBest(_:rateIndex:steps:seed:)`` codes a request for r at.
    public var codedIndices: [Int]
    /// Bytes of the bitstream a request for r gives.
    public var bytes: [Int]
  }

  /// Codes `a` at every rate index with `steps` reverse-process steps and applies the encoder's
  /// choice (``codeBest(_:rateIndex:steps:seed:)``) to the exact sizes.
  ///
  /// - Returns: nil for the fixed-rate profiles.
  /// - Throws: ``EntropyError`` if a symbol cannot be coded.
  public func rateTable(_ a: Analysis, steps: Int) throws -> RateTable? {
    guard let rate = rateVariable else { return nil }
    var exact: [Int] = []
    for r in 0..<rate.rateLevels {
      exact.append(try code(a, rateIndex: r, steps: steps).serialized().count)
    }
    var bytes: [Int] = []
    var coded: [Int] = []
    for r in 0..<rate.rateLevels {
      var best = r
      for c in r..<min(r + Self.rateSearchWindow + 1, rate.rateLevels) where exact[c] < exact[best]
      {
        best = c
      }
      coded.append(best)
      bytes.append(exact[best])
    }
    return RateTable(exactBytes: exact, codedIndices: coded, bytes: bytes)
  }
}
