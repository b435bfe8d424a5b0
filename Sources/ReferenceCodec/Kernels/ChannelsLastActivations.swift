/// An activation tensor in the fast kernels' channels-last layout: (H, W, C) int16 with the
/// channel count rounded up to even.
///
/// Same meaning as `ActivationTensor` (spec/integer-ops.md §1), different memory order: pixel
/// (y, x) is the run `values[(y · W + x) · channelStride ..< … + channels]`, and when `channels`
/// is odd the one extra value per pixel is 0, so every pixel is a whole number of channel pairs
/// (what `vpmaddwd` consumes).
public struct ChannelsLastActivations: Sendable, Equatable {
  public let channels: Int
  public let height: Int
  public let width: Int
  /// `channels` rounded up to even: the distance between pixels in `values`.
  public let channelStride: Int
  /// H · W · channelStride values; the padding channel (odd `channels`) holds zeros.
  public var values: [Int16]
  public var exponent: Int
  public var lo: Int32
  public var hi: Int32

  /// Creates a tensor from channels-last values (`values.count` = H · W · channelStride, the
  /// padding channel zero, every value within [lo, hi]).
  public init(
    channels: Int, height: Int, width: Int, values: [Int16], exponent: Int,
    lo: Int32 = -32767, hi: Int32 = 32767
  ) {
    let stride = (channels + 1) & ~1
    precondition(values.count == height * width * stride, "H·W·channelStride values")
    precondition(-32767 <= lo && lo <= hi && hi <= 32767, "clamp range within ±32767")
    self.channels = channels
    self.height = height
    self.width = width
    self.channelStride = stride
    self.values = values
    self.exponent = exponent
    self.lo = lo
    self.hi = hi
  }

  /// Reorders a (C, H, W) tensor.
  ///
  /// - Complexity: O(C · H · W).
  public init(_ tensor: ActivationTensor) {
    let c = tensor.channels
    let plane = tensor.height * tensor.width
    let stride = (c + 1) & ~1
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

  /// The clamp bound X = max(|lo|, |hi|) of the accumulator proof (§3).
  public var bound: Int64 { max(abs(Int64(lo)), abs(Int64(hi))) }
}
