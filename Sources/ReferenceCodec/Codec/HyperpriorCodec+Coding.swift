extension HyperpriorCodec {
  /// Symbols are clamped to ±2^20 before they are scaled back (spec/bitstream.md §6.3).
  static let symbolLimit: Int64 = 1 << 20

  /// The padded size of a `width` × `height` picture.
  public func paddedSize(width: Int, height: Int) -> (width: Int, height: Int) {
    ((width + multiple - 1) / multiple * multiple, (height + multiple - 1) / multiple * multiple)
  }

  /// What the encoder computes once per picture, before the rate is chosen.
  public struct Analysis: Sendable {
    let width: Int
    let height: Int
    let grayscale: Bool
    let y: ChannelsLastActivations
    /// z's substream; empty for `bmshj2018-factorized`, which has no z.
    let zStream: [UInt8]
    /// h_s's scales; nil for `bmshj2018-factorized` and `mbt2018`.
    let scales: ChannelsLastActivations?
    let means: ChannelsLastActivations?
    /// h_s's params (`mbt2018`), which the context model reads.
    var params: ChannelsLastActivations? = nil
  }

  /// Runs the analysis transforms, codes the hyper-latent and computes the scales and means
  /// (for `bmshj2018-factorized`, g_a alone).
  ///
  /// - Throws: ``BitstreamError`` if the image is too large, ``EntropyError`` if a symbol cannot
  ///   be coded.
  public func analyze(
    _ image: RGBImage, grayscale: Bool = false, threads: Int = 1, path: KernelPath = .automatic
  ) throws -> Analysis {
    let (pw, ph) = paddedSize(width: image.width, height: image.height)
    guard image.width <= 65536, image.height <= 65536, pw * ph <= Self.maxPaddedPixels else {
      throw BitstreamError.incompatible(
        reason: "\(image.width)×\(image.height) exceeds the coded-size limit of 2^26 padded pixels")
    }
    try checkBudget(width: image.width, height: image.height, for: .encoding)
    let y = analyzeLatent(image, width: pw, height: ph, threads: threads, path: path)
    guard let hyperAnalysis, let hyperSynthesis else {
      return Analysis(
        width: image.width, height: image.height, grayscale: grayscale, y: y, zStream: [],
        scales: nil, means: nil)
    }
    let z = runAssembling(hyperAnalysis, [y], threads: threads, path: path)[0]
    let zHatFormat = hyperSynthesis.values[0]
    let (zSymbols, zHat) = Self.quantize(
      z, centers: .perChannel(medians), exponent: zHatFormat.exponent, lo: zHatFormat.lo,
      hi: zHatFormat.hi)
    let hyper = runAssembling(hyperSynthesis, [zHat], threads: threads, path: path)
    let zStream = try factorized.encode(zSymbols, plane: z.height * z.width)
    if contextModel != nil {
      return Analysis(
        width: image.width, height: image.height, grayscale: grayscale, y: y, zStream: zStream,
        scales: nil, means: nil, params: hyper[0])
    }
    return Analysis(
      width: image.width, height: image.height, grayscale: grayscale, y: y,
      zStream: zStream, scales: hyper[0],
      means: hyper.count > 1 ? hyper[1] : nil)
  }

  /// Codes an analysed picture at a rate index (gic-v1) or the profile's fixed rate.
  ///
  /// - Throws: ``BitstreamError/incompatible(reason:)`` for parameters the profile does not
  ///   have, ``EntropyError`` if a symbol cannot be coded.
  public func code(
    _ a: Analysis, rateIndex: Int? = nil, steps: Int = 0, seed: UInt64? = nil
  ) throws -> Bitstream {
    try checkParameters(
      rateIndex: rateIndex ?? 0, steps: steps, seed: seed, given: rateIndex != nil)
    let r = rateIndex ?? 0
    let yHatFormat = synthesis.values[0]
    if let contextModel, let params = a.params {
      // mbt2018 (spec/bitstream.md §11.3): position by position.
      let yStream = try encodeLatent(a.y, params: params, context: contextModel).stream
      return Bitstream(
        profile: profile, grayscale: a.grayscale, modelDigestPrefix: digestPrefix,
        width: a.width, height: a.height, rateIndex: r, steps: steps, seed: seed,
        substreams: [a.zStream, yStream])
    }
    guard let gaussianTable, let scales = a.scales else {
      // bmshj2018-factorized (spec/bitstream.md §10.2): y around its medians, factorized model.
      let symbols =
        Self.quantize(
          a.y, centers: .perChannel(medians), exponent: yHatFormat.exponent, lo: yHatFormat.lo,
          hi: yHatFormat.hi
        ).symbols
      return Bitstream(
        profile: profile, grayscale: a.grayscale, modelDigestPrefix: digestPrefix,
        width: a.width, height: a.height,
        substreams: [
          try factorized.encode(symbols, plane: a.y.height * a.y.width)
        ])
    }
    let centers: Centers = a.means.map { .tensor($0) } ?? .zero
    let symbols: [Int64]
    if let rate = rateVariable {
      symbols = Self.quantize(a.y, centers: centers, step: rate.q[r])
    } else {
      symbols =
        Self.quantize(
          a.y, centers: centers, exponent: yHatFormat.exponent, lo: yHatFormat.lo,
          hi: yHatFormat.hi
        ).symbols
    }
    let yStream = try gaussianTable.encode(values: symbols, rows: rows(scales, rateIndex: r))
    return Bitstream(
      profile: profile, grayscale: a.grayscale, modelDigestPrefix: digestPrefix,
      width: a.width, height: a.height, rateIndex: r, steps: steps, seed: seed,
      substreams: [a.zStream, yStream])
  }

  /// Decodes a bitstream made with this model.
  ///
  /// - Throws: ``BitstreamError`` if the stream was made with another model or does not fit
  ///   this one, ``EntropyError`` if a substream is damaged.
  public func decode(_ stream: Bitstream, threads: Int = 1, path: KernelPath = .automatic) throws
    -> RGBImage
  {
    let (image, _) = try decodeWithSymbols(stream, threads: threads, path: path)
    return image
  }

  /// Decodes a bitstream and returns the entropy-decoded symbols too, (C, H, W) order: z's and
  /// y's (for comparisons with float decoders).
  public func decodeWithSymbols(
    _ stream: Bitstream, threads: Int = 1, path: KernelPath = .automatic
  ) throws -> (image: RGBImage, symbols: (z: [Int32], y: [Int32])) {
    guard stream.modelDigestPrefix == digestPrefix else {
      throw BitstreamError.modelMismatch(
        stream: stream.modelDigestPrefix.map { String(format2: $0) }.joined(),
        model: String(modelDigest.prefix(16)))
    }
    guard stream.profile == profile else {
      throw BitstreamError.incompatible(
        reason: "profile \(stream.profile.name), the model is \(profile.name)")
    }
    try checkParameters(
      rateIndex: stream.rateIndex, steps: stream.steps, seed: stream.seed,
      given: stream.rateIndex != 0)
    try checkSubstreamCount(stream)
    let (pw, ph) = paddedSize(width: stream.width, height: stream.height)
    guard pw * ph <= Self.maxPaddedPixels else {
      throw BitstreamError.incompatible(
        reason:
          "\(stream.width)×\(stream.height) exceeds the coded-size limit of 2^26 padded pixels")
    }
    try checkBudget(width: stream.width, height: stream.height, for: .decoding)
    guard let hyperSynthesis, let gaussianTable else {
      // bmshj2018-factorized (spec/bitstream.md §10.2).
      let yFormat = synthesis.values[0]
      let (yh, yw) = (ph / latentStride, pw / latentStride)
      let ySymbols = try factorized.decode(
        stream.substreams[0], plane: yh * yw, saturating: true)
      let yHat = Self.dequantize(
        ySymbols, channels: yFormat.channels, height: yh, width: yw,
        centers: .perChannel(medians), exponent: yFormat.exponent, lo: yFormat.lo, hi: yFormat.hi)
      let image = synthesize(
        yHat, width: stream.width, height: stream.height, threads: threads, path: path)
      return (image, ([], ySymbols))
    }
    let zFormat = hyperSynthesis.values[0]
    let (zh, zw) = (ph / multiple, pw / multiple)
    // Any 64-bit symbol is valid (spec/entropy-coding.md §5); symbols are clamped to ±2^20
    // before use, so saturating them to 32 bits changes nothing.
    let zSymbols = try factorized.decode(stream.substreams[0], plane: zh * zw, saturating: true)
    let zHat = Self.dequantize(
      zSymbols, channels: zFormat.channels, height: zh, width: zw, centers: .perChannel(medians),
      exponent: zFormat.exponent, lo: zFormat.lo, hi: zFormat.hi)
    let hyper = runAssembling(hyperSynthesis, [zHat], threads: threads, path: path)
    let (yh, yw) = (ph / latentStride, pw / latentStride)
    precondition(hyper[0].height == yh && hyper[0].width == yw, "h_s output size")
    if let contextModel {
      // mbt2018 (spec/bitstream.md §11.4): position by position.
      let (yHat, ySymbols) = try decodeLatent(
        stream.substreams[1], params: hyper[0], context: contextModel)
      let image = synthesize(
        yHat, width: stream.width, height: stream.height, threads: threads, path: path)
      return (image, (zSymbols, ySymbols))
    }
    // The detail codes come first, so a damaged detail substream is refused before the
    // networks run.
    let detailCodes = try stream.detailSubstream.map { bytes throws(BitstreamError) in
      try DetailFill.decodeCodes(bytes, width: stream.width, height: stream.height)
    }
    let gainCodes = try stream.gainsSubstream.map { bytes throws(BitstreamError) in
      try BandGains.decodeCodes(
        bytes, width: stream.width, height: stream.height, signed: stream.signedGains)
    }
    let residualCodes = try stream.residualSubstream.map { bytes throws(BitstreamError) in
      try LowpassResidual.decodeCodes(bytes, width: stream.width, height: stream.height)
    }
    let r = stream.rateIndex
    let ySymbols = try gaussianTable.decode32(
      stream.substreams[1], rows: rows(hyper[0], rateIndex: r), saturating: true)
    let yFormat = synthesis.values[0]
    let centers: Centers = hyper.count > 1 ? .tensor(hyper[1]) : .zero
    var yHat: ChannelsLastActivations
    if let rate = rateVariable {
      yHat = Self.dequantize(
        ySymbols, channels: yFormat.channels, height: yh, width: yw, centers: centers,
        step: rate.q[r], lo: yFormat.lo, hi: yFormat.hi, exponent: yFormat.exponent)
      yHat = rate.sample(
        yHat, rateIndex: r, steps: stream.steps, seed: stream.seed, threads: threads, path: path)
    } else {
      yHat = Self.dequantize(
        ySymbols, channels: yFormat.channels, height: yh, width: yw, centers: centers,
        exponent: yFormat.exponent, lo: yFormat.lo, hi: yFormat.hi)
    }
    var image = synthesize(
      yHat, width: stream.width, height: stream.height, threads: threads, path: path)
    // The stages run residual, gains, fill (spec/bitstream.md §7.2).
    if let residualCodes { LowpassResidual.apply(&image, codes: residualCodes, threads: threads) }
    if let gainCodes {
      BandGains.apply(&image, codes: gainCodes, signed: stream.signedGains, threads: threads)
    }
    if let detailCodes {
      DetailFill.fill(&image, codes: detailCodes, seed: stream.seed ?? 0, threads: threads)
    }
    return (image, (zSymbols, ySymbols))
  }

  /// Checks the substream count against the profile and minor version (spec/bitstream.md
  /// §2.2): 1 for `bmshj2018-factorized`, 3 for a profile-3 stream with a detail substream
  /// (minor version 1 or more), 4 or 5 for one with gains and perhaps a residual too (minor
  /// version 2 or more), 2 otherwise.
  ///
  /// - Throws: ``BitstreamError/invalidField(field:offset:reason:)`` naming the substream count.
  func checkSubstreamCount(_ stream: Bitstream) throws(BitstreamError) {
    let count = stream.substreams.count
    let expected = profile.hasHyperprior ? 2 : 1
    if count == expected { return }
    if rateVariable != nil, count == 3, stream.minor >= Bitstream.detailMinor { return }
    if rateVariable != nil, (4...5).contains(count), stream.minor >= Bitstream.gainsMinor {
      return
    }
    let names = profile.hasHyperprior ? "z, y" : "y"
    var reason = "\(count) substreams, \(profile.name) has \(expected) (\(names))"
    if rateVariable != nil {
      reason +=
        stream.minor >= Bitstream.gainsMinor
        ? ", 3 (z, y, detail), 4 (z, y, detail, gains) or 5 (z, y, detail, gains, residual)"
        : stream.minor >= Bitstream.detailMinor
          ? " or 3 (z, y, detail); 4 or 5, with gains, only from minor version "
            + "\(Bitstream.gainsMinor)"
          : " (3, with detail, only from minor version \(Bitstream.detailMinor))"
    }
    throw .invalidField(field: "substream count", offset: 23, reason: reason)
  }

  /// The Gaussian row of every value, (C, H, W) order, from the scales tensor.
  func rows(_ scales: ChannelsLastActivations, rateIndex: Int) -> [Int32] {
    let model = scaleModels[scaleModels.count == 1 ? 0 : rateIndex]
    let c = scales.channels
    let plane = scales.height * scales.width
    var rows = [Int32](repeating: 0, count: c * plane)
    for p in 0..<plane {
      for ch in 0..<c {
        rows[ch * plane + p] = Int32(
          model.row(forScale: Int64(scales.values[p * scales.channelStride + ch])))
      }
    }
    return rows
  }
}
