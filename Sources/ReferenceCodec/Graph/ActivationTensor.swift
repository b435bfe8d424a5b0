/// An activation tensor (spec/integer-ops.md §1): shape (C, H, W), int16 elements, a power-of-two
/// exponent e (element q stands for q · 2^−e) and the clamp range of its producer.
public struct ActivationTensor: Sendable, Equatable {
  public let channels: Int
  public let height: Int
  public let width: Int
  /// Elements in (C, H, W) order: index (c · H + y) · W + x.
  public var values: [Int16]
  public var exponent: Int
  public var lo: Int32
  public var hi: Int32

  /// Creates a tensor; `values.count` must be C·H·W and every value within [lo, hi].
  public init(
    channels: Int, height: Int, width: Int, values: [Int16], exponent: Int,
    lo: Int32 = -32767, hi: Int32 = 32767
  ) {
    precondition(values.count == channels * height * width, "C·H·W values")
    precondition(-32767 <= lo && lo <= hi && hi <= 32767, "clamp range within ±32767")
    self.channels = channels
    self.height = height
    self.width = width
    self.values = values
    self.exponent = exponent
    self.lo = lo
    self.hi = hi
  }

  /// The clamp bound X = max(|lo|, |hi|) used by the accumulator proof (§3).
  public var bound: Int64 { max(abs(Int64(lo)), abs(Int64(hi))) }

  @inlinable
  public subscript(c: Int, y: Int, x: Int) -> Int16 {
    values[(c * height + y) * width + x]
  }
}
