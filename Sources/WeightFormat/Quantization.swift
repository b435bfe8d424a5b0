/// One quantization parameter triple (spec/container.md §5.2.2).
///
/// The real value of a stored integer `q` is `(q − zeroPoint) × multiplier × 2^(−shift)`, so a
/// scale is an exact dyadic rational and applying it needs no floating point.
public struct QuantizationParameters: Sendable, Hashable {
  /// The scale's integer multiplier, 1 … 2^31 − 1.
  public var multiplier: Int32
  /// The scale's power-of-two exponent, negated: −32 … 63.
  public var shift: Int32
  /// The stored integer that represents zero; within the tensor dtype's range.
  public var zeroPoint: Int32

  /// Creates a parameter triple.
  public init(multiplier: Int32, shift: Int32, zeroPoint: Int32 = 0) {
    self.multiplier = multiplier
    self.shift = shift
    self.zeroPoint = zeroPoint
  }

  /// The allowed range of `shift`.
  public static let shiftRange: ClosedRange<Int32> = -32...63
}

/// How a tensor's integers map to real values: one scale for the tensor, or one per index along an
/// axis.
public enum Quantization: Sendable, Hashable {
  case perTensor(QuantizationParameters)
  case perAxis(axis: Int, [QuantizationParameters])

  /// The normative quantization kind byte (§5.2).
  var kind: UInt8 {
    switch self {
    case .perTensor: 1
    case .perAxis: 2
    }
  }

  /// All parameter triples, in order.
  public var parameters: [QuantizationParameters] {
    switch self {
    case .perTensor(let p): [p]
    case .perAxis(_, let ps): ps
    }
  }
}
