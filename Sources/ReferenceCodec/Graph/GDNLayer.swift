/// Generalized divisive normalization and its inverse (spec/integer-ops.md §5).
public struct GDNLayer: Sendable {
  public let channels: Int
  /// γ (C, C), int16, row i the weights of channel i's norm.
  public let gamma: [Int16]
  /// β (C), int32.
  public let beta: [Int32]
  /// The square shift t of step 1.
  public let squareShift: Int
  /// The even shift k of step 3.
  public let rootShift: Int
  /// Inverse GDN: the requantization of x · r; GDN: unused.
  public let requantization: Requantization
  /// GDN: the numerator shift F of step 4.
  public let numeratorShift: Int
  public let inverse: Bool

  public init(
    channels: Int, gamma: [Int16], beta: [Int32], squareShift: Int, rootShift: Int,
    requantization: Requantization, numeratorShift: Int = 0, inverse: Bool
  ) {
    precondition(gamma.count == channels * channels && beta.count == channels, "γ (C, C), β (C)")
    precondition(rootShift >= 0 && rootShift <= 30 && rootShift % 2 == 0, "even k in 0…30")
    self.channels = channels
    self.gamma = gamma
    self.beta = beta
    self.squareShift = squareShift
    self.rootShift = rootShift
    self.requantization = requantization
    self.numeratorShift = numeratorShift
    self.inverse = inverse
  }

  /// The accumulator bound of step 2 (§3) for inputs bounded by `x`.
  public func accumulatorBound(inputBound x: Int64) -> Int64 {
    let u = IntegerMath.rshift(x * x, squareShift)
    var worst: Int64 = 0
    for i in 0..<channels {
      var sum: Int64 = 0
      for j in 0..<channels { sum += abs(Int64(gamma[i * channels + j])) }
      worst = max(worst, abs(Int64(beta[i])) + sum * u)
    }
    return worst
  }

  /// Runs the layer with the reference kernel, one position at a time.
  public func reference(_ input: ActivationTensor, outputExponent: Int) -> ActivationTensor {
    precondition(input.channels == channels, "input channels")
    let plane = input.height * input.width
    var out = [Int16](repeating: 0, count: input.values.count)
    var u = [Int64](repeating: 0, count: channels)
    let q = requantization
    for p in 0..<plane {
      for j in 0..<channels {
        let x = Int64(input.values[j * plane + p])
        u[j] = IntegerMath.rshift(x * x, squareShift)
      }
      for i in 0..<channels {
        var n = Int64(beta[i])
        for j in 0..<channels { n += Int64(gamma[i * channels + j]) * u[j] }
        let r = IntegerMath.isqrt(max(n, 0) << Int64(rootShift))
        let x = Int64(input.values[i * plane + p])
        let y: Int64
        if inverse {
          y = Int64(IntegerMath.requant(x * r, q.multipliers[i], q.shifts[i], q.lo, q.hi))
        } else {
          y = min(
            max(IntegerMath.rdiv(x << Int64(numeratorShift), max(r, 1)), Int64(q.lo)), Int64(q.hi))
        }
        out[i * plane + p] = Int16(y)
      }
    }
    return ActivationTensor(
      channels: channels, height: input.height, width: input.width, values: out,
      exponent: outputExponent, lo: q.lo, hi: q.hi)
  }
}
