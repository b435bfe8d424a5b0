/// Latent quantization, dequantization and the picture's padding and cropping
/// (spec/bitstream.md §6.1, §6.3, §7.2).
extension HyperpriorCodec {
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
    dequantize(
      symbols, channels: c, height: height, width: width, centers: centers, exponent: exponent,
      lo: lo, hi: hi
    ) { s, center in center + IntegerMath.rshift(s * step, 8) }
  }

  /// clamp(clamp(s, ±2^20)·2^e + center, lo, hi) for symbols in (C, H, W) order, channels last.
  static func dequantize<S: BinaryInteger>(
    _ symbols: [S], channels c: Int, height: Int, width: Int, centers: Centers, exponent e: Int,
    lo: Int32, hi: Int32
  ) -> ChannelsLastActivations {
    dequantize(
      symbols, channels: c, height: height, width: width, centers: centers, exponent: e, lo: lo,
      hi: hi
    ) { s, center in (s << Int64(e)) + center }
  }

  /// clamp(value(clamp(s, ±2^20), center), lo, hi) for symbols in (C, H, W) order, channels
  /// last: the one symbol-layout conversion of a decode.
  private static func dequantize<S: BinaryInteger>(
    _ symbols: [S], channels c: Int, height: Int, width: Int, centers: Centers, exponent: Int,
    lo: Int32, hi: Int32, value: (_ symbol: Int64, _ center: Int64) -> Int64
  ) -> ChannelsLastActivations {
    let plane = height * width
    let stride = ChannelsLastLayout.channelStride(c)
    var values = [Int16](repeating: 0, count: plane * stride)
    for p in 0..<plane {
      for ch in 0..<c {
        let s = min(max(Int64(symbols[ch * plane + p]), -symbolLimit), symbolLimit)
        let v = value(s, centers.value(pixel: p, channel: ch))
        values[p * stride + ch] = Int16(min(max(v, Int64(lo)), Int64(hi)))
      }
    }
    return ChannelsLastActivations(
      channels: c, height: height, width: width, values: values, exponent: exponent, lo: lo,
      hi: hi)
  }

  /// The image as a 3-channel tensor of 0…255, padded to `width` × `height` by repeating the last
  /// column and row (spec/bitstream.md §6.1).
  static func paddedTensor(_ image: RGBImage, width: Int, height: Int) -> ChannelsLastActivations {
    paddedTensor(image, width: width, rows: 0..<height)
  }

  /// Rows `rows` of ``paddedTensor(_:width:height:)`` (a band of g_a's input).
  static func paddedTensor(_ image: RGBImage, width: Int, rows: Range<Int>)
    -> ChannelsLastActivations
  {
    let height = rows.count
    var values = [Int16](repeating: 0, count: width * height * 4)
    image.pixels.withUnsafeBufferPointer { src in
      for y in 0..<height {
        let sy = min(y + rows.lowerBound, image.height - 1)
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
