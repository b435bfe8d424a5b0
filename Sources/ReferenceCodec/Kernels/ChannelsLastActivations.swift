/// The fast kernels' channels-last layout: (H, W, C) with the channel count rounded up to even.
///
/// Pixel (y, x) is the run `values[(y · W + x) · channelStride ..< … + channels]`, and when
/// `channels` is odd the one extra value per pixel is 0, so every pixel is a whole number of
/// channel pairs (what `vpmaddwd` consumes).
public enum ChannelsLastLayout: ActivationLayout {
  @inlinable
  public static func channelStride(_ channels: Int) -> Int { (channels + 1) & ~1 }
  public static var countRule: String { "H·W·channelStride values" }
}

/// An activation tensor in the fast kernels' and the graph engine's channels-last layout.
public typealias ChannelsLastActivations = Activations<ChannelsLastLayout>

extension Activations where Layout == ChannelsLastLayout {
  /// Reorders a (C, H, W) tensor.
  ///
  /// - Complexity: O(C · H · W).
  public init(_ tensor: ActivationTensor) {
    let c = tensor.channels
    let plane = tensor.height * tensor.width
    let stride = ChannelsLastLayout.channelStride(c)
    let values = [Int16](unsafeUninitializedCapacity: plane * stride) { out, count in
      tensor.values.withUnsafeBufferPointer { src in
        for p in 0..<plane {
          for ch in 0..<c { out[p * stride + ch] = src[ch * plane + p] }
          if stride != c { out[p * stride + c] = 0 }
        }
      }
      count = plane * stride
    }
    self.init(
      channels: c, height: tensor.height, width: tensor.width, values: values,
      exponent: tensor.exponent, lo: tensor.lo, hi: tensor.hi)
  }

  /// The same tensor in (C, H, W) order.
  ///
  /// - Complexity: O(C · H · W).
  public var activationTensor: ActivationTensor {
    let c = channels
    let plane = height * width
    let stride = channelStride
    let out = [Int16](unsafeUninitializedCapacity: c * plane) { dst, count in
      values.withUnsafeBufferPointer { src in
        for ch in 0..<c {
          for p in 0..<plane { dst[ch * plane + p] = src[p * stride + ch] }
        }
      }
      count = c * plane
    }
    return ActivationTensor(
      channels: c, height: height, width: width, values: out, exponent: exponent, lo: lo, hi: hi)
  }
}

extension Activations where Layout == ChannelsLastLayout {
  /// A tensor of `x`'s channels and size in `format`'s exponent and clamp range, whose storage
  /// (padding included, as `x`'s) `fill` writes whole: the allocation of the pointwise fast
  /// paths, which never zero-fill what they overwrite.
  static func written(
    like x: ChannelsLastActivations, format: IntegerGraph.Value,
    _ fill: (UnsafeMutableBufferPointer<Int16>) -> Void
  ) -> ChannelsLastActivations {
    let count = x.values.count
    let values = [Int16](unsafeUninitializedCapacity: count) { out, initialized in
      fill(out)
      initialized = count
    }
    return ChannelsLastActivations(
      channels: x.channels, height: x.height, width: x.width, values: values,
      exponent: format.exponent, lo: format.lo, hi: format.hi)
  }
}
