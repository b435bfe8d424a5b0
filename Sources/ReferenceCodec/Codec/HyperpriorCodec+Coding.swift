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
    let zStream: [UInt8]
    let scales: ChannelsLastActivations
    let means: ChannelsLastActivations?
  }

  /// Runs the analysis transforms, codes the hyper-latent and computes the scales and means.
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
    let x = Self.paddedTensor(image, width: pw, height: ph)
    let y = analysis.run([x], threads: threads, path: path)[0]
    let z = hyperAnalysis.run([y], threads: threads, path: path)[0]
    let zHatFormat = hyperSynthesis.values[0]
    let (zSymbols, zHat) = Self.quantize(
      z, centers: .perChannel(medians), exponent: zHatFormat.exponent, lo: zHatFormat.lo,
      hi: zHatFormat.hi)
    let hyper = hyperSynthesis.run([zHat], threads: threads, path: path)
    return Analysis(
      width: image.width, height: image.height, grayscale: grayscale, y: y,
      zStream: try factorized.encode(zSymbols, plane: z.height * z.width), scales: hyper[0],
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
    let yStream = try gaussianTable.encode(values: symbols, rows: rows(a.scales, rateIndex: r))
    return Bitstream(
      profile: profile, grayscale: a.grayscale, modelDigestPrefix: digestPrefix,
      width: a.width, height: a.height, rateIndex: r, steps: steps, seed: seed,
      substreams: [a.zStream, yStream])
  }

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
  /// gic-v1 picks the index as ``codeBest(_:rateIndex:steps:seed:)`` does.
  ///
  /// - Parameters:
  ///   - grayscale: record that the source was grayscale (the decoder then writes gray).
  ///   - rateIndex: the rate index (gic-v1; nil for the fixed-rate profiles).
  ///   - steps: reverse-process steps the decoder runs (gic-v1).
  ///   - seed: the sampler's noise seed, nil for no noise (gic-v1).
  ///   - threads: worker threads for the network kernels; the bytes do not depend on it.
  /// - Returns: the bitstream.
  /// - Throws: ``BitstreamError`` if the image is too large or the parameters do not fit the
  ///   profile, ``EntropyError`` if a symbol cannot be coded.
  public func encode(
    _ image: RGBImage, grayscale: Bool = false, rateIndex: Int? = nil, steps: Int = 0,
    seed: UInt64? = nil, threads: Int = 1, path: KernelPath = .automatic
  ) throws -> Bitstream {
    try checkParameters(
      rateIndex: rateIndex ?? 0, steps: steps, seed: seed, given: rateIndex != nil)
    let a = try analyze(image, grayscale: grayscale, threads: threads, path: path)
    return try codeBest(a, rateIndex: rateIndex, steps: steps, seed: seed)
  }

  /// Encodes at the rate index whose file size is closest to `bitsPerPixel` (gic-v1).
  ///
  /// The size of ``codeBest(_:rateIndex:steps:seed:)`` is non-decreasing in the requested
  /// index, so a binary search finds the crossing; both neighbours of it are coded and the
  /// closer one (the smaller on a tie) kept.
  ///
  /// - Throws: as ``encode(_:grayscale:rateIndex:steps:seed:threads:path:)``.
  public func encode(
    _ image: RGBImage, grayscale: Bool = false, targetBitsPerPixel target: Double, steps: Int = 0,
    seed: UInt64? = nil, threads: Int = 1, path: KernelPath = .automatic
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
    var lo = 0
    var hi = rate.rateLevels - 1
    while lo < hi {
      let mid = (lo + hi) / 2
      if try bpp(mid) < target { lo = mid + 1 } else { hi = mid }
    }
    var best = lo
    if lo > 0, abs(try bpp(lo - 1) - target) <= abs(try bpp(lo) - target) { best = lo - 1 }
    return try coded(best)
  }

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
    guard stream.substreams.count == 2 else {
      throw BitstreamError.incompatible(
        reason: "\(stream.substreams.count) substreams, \(profile.name) has 2 (z, y)")
    }
    let (pw, ph) = paddedSize(width: stream.width, height: stream.height)
    guard pw * ph <= Self.maxPaddedPixels else {
      throw BitstreamError.incompatible(
        reason:
          "\(stream.width)×\(stream.height) exceeds the coded-size limit of 2^26 padded pixels")
    }
    let zFormat = hyperSynthesis.values[0]
    let (zh, zw) = (ph / multiple, pw / multiple)
    // Any 64-bit symbol is valid (spec/entropy-coding.md §5); symbols are clamped to ±2^20
    // before use, so saturating them to 32 bits changes nothing.
    let zSymbols = try factorized.decode(stream.substreams[0], plane: zh * zw, saturating: true)
    let zHat = Self.dequantize(
      zSymbols, channels: zFormat.channels, height: zh, width: zw, centers: .perChannel(medians),
      exponent: zFormat.exponent, lo: zFormat.lo, hi: zFormat.hi)
    let hyper = hyperSynthesis.run([zHat], threads: threads, path: path)
    let (yh, yw) = (ph / latentStride, pw / latentStride)
    precondition(hyper[0].height == yh && hyper[0].width == yw, "h_s output size")
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
    let xHat = synthesis.run([yHat], threads: threads, path: path)[0]
    return (
      Self.croppedImage(xHat, width: stream.width, height: stream.height), (zSymbols, ySymbols)
    )
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

  /// What is subtracted before rounding: nothing, a per-channel constant, or a tensor.
  enum Centers {
    case zero
    case perChannel([Int32])
    case tensor(ChannelsLastActivations)

    func value(pixel p: Int, channel c: Int) -> Int64 {
      switch self {
      case .zero: 0
      case .perChannel(let m): Int64(m[c])
      case .tensor(let t): Int64(t.values[p * t.channelStride + c])
      }
    }
  }

  /// Symbols s = rshift(v − center, e) in (C, H, W) order and the dequantized tensor
  /// clamp(s·2^e + center, lo, hi) (spec/bitstream.md §6.3).
  static func quantize(
    _ v: ChannelsLastActivations, centers: Centers, exponent e: Int, lo: Int32, hi: Int32
  ) -> (symbols: [Int64], dequantized: ChannelsLastActivations) {
    let c = v.channels
    let plane = v.height * v.width
    var symbols = [Int64](repeating: 0, count: c * plane)
    for p in 0..<plane {
      for ch in 0..<c {
        let center = centers.value(pixel: p, channel: ch)
        symbols[ch * plane + p] = IntegerMath.rshift(
          Int64(v.values[p * v.channelStride + ch]) - center, e)
      }
    }
    let dequantized = dequantize(
      symbols, channels: c, height: v.height, width: v.width, centers: centers, exponent: e,
      lo: lo, hi: hi)
    return (symbols, dequantized)
  }

  /// Rate-variable symbols rdiv((v − center)·2^8, step) in (C, H, W) order (spec/bitstream.md
  /// §7.2), the step in units of 2^−(e + 8).
  static func quantize(_ v: ChannelsLastActivations, centers: Centers, step: Int64) -> [Int64] {
    let c = v.channels
    let plane = v.height * v.width
    var symbols = [Int64](repeating: 0, count: c * plane)
    for p in 0..<plane {
      for ch in 0..<c {
        let d = Int64(v.values[p * v.channelStride + ch]) - centers.value(pixel: p, channel: ch)
        symbols[ch * plane + p] = IntegerMath.rdiv(d << 8, step)
      }
    }
    return symbols
  }

  /// clamp(center + rshift(clamp(s, ±2^20)·step, 8), lo, hi) for rate-variable symbols.
  static func dequantize(
    _ symbols: [Int32], channels c: Int, height: Int, width: Int, centers: Centers, step: Int64,
    lo: Int32, hi: Int32, exponent: Int
  ) -> ChannelsLastActivations {
    let plane = height * width
    let stride = (c + 1) & ~1
    var values = [Int16](repeating: 0, count: plane * stride)
    for p in 0..<plane {
      for ch in 0..<c {
        let s = min(max(Int64(symbols[ch * plane + p]), -symbolLimit), symbolLimit)
        let v = centers.value(pixel: p, channel: ch) + IntegerMath.rshift(s * step, 8)
        values[p * stride + ch] = Int16(min(max(v, Int64(lo)), Int64(hi)))
      }
    }
    return ChannelsLastActivations(
      channels: c, height: height, width: width, values: values, exponent: exponent, lo: lo,
      hi: hi)
  }

  /// clamp(clamp(s, ±2^20)·2^e + center, lo, hi) for symbols in (C, H, W) order, channels last.
  static func dequantize<S: BinaryInteger>(
    _ symbols: [S], channels c: Int, height: Int, width: Int, centers: Centers, exponent e: Int,
    lo: Int32, hi: Int32
  ) -> ChannelsLastActivations {
    let plane = height * width
    let stride = (c + 1) & ~1
    var values = [Int16](repeating: 0, count: plane * stride)
    for p in 0..<plane {
      for ch in 0..<c {
        let s = min(max(Int64(symbols[ch * plane + p]), -symbolLimit), symbolLimit)
        let v = (s << Int64(e)) + centers.value(pixel: p, channel: ch)
        values[p * stride + ch] = Int16(min(max(v, Int64(lo)), Int64(hi)))
      }
    }
    return ChannelsLastActivations(
      channels: c, height: height, width: width, values: values, exponent: e, lo: lo, hi: hi)
  }

  /// The image as a 3-channel tensor of 0…255, padded to `width` × `height` by repeating the last
  /// column and row (spec/bitstream.md §6.1).
  static func paddedTensor(_ image: RGBImage, width: Int, height: Int) -> ChannelsLastActivations {
    var values = [Int16](repeating: 0, count: width * height * 4)
    image.pixels.withUnsafeBufferPointer { src in
      for y in 0..<height {
        let sy = min(y, image.height - 1)
        for x in 0..<width {
          let sx = min(x, image.width - 1)
          let s = (sy * image.width + sx) * 3
          let d = (y * width + x) * 4
          values[d] = Int16(src[s])
          values[d + 1] = Int16(src[s + 1])
          values[d + 2] = Int16(src[s + 2])
        }
      }
    }
    return ChannelsLastActivations(
      channels: 3, height: height, width: width, values: values, exponent: 0, lo: 0, hi: 255)
  }

  /// The top-left `width` × `height` pixels of a 3-channel tensor of 0…255.
  static func croppedImage(_ t: ChannelsLastActivations, width: Int, height: Int) -> RGBImage {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
      for x in 0..<width {
        let s = (y * t.width + x) * t.channelStride
        let d = (y * width + x) * 3
        for c in 0..<3 { pixels[d + c] = UInt8(clamping: t.values[s + c]) }
      }
    }
    return RGBImage(unchecked: width, height: height, pixels: pixels)
  }
}

extension String {
  /// Two lower-case hexadecimal digits.
  init(format2 byte: UInt8) {
    let digits = Array("0123456789abcdef")
    self = String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
  }
}
