/// Generalized divisive normalization and its inverse (spec/integer-ops.md §5).
public struct GDNLayer: Sendable {
  public let channels: Int
  public let gamma: [Int16]
  public let beta: [Int32]
  public let squareShift: Int
  public let requantization: Requantization
  public let inverse: Bool

  public init(
    channels: Int, gamma: [Int16], beta: [Int32], squareShift: Int,
    requantization: Requantization, inverse: Bool
  ) {
    precondition(gamma.count == channels * channels && beta.count == channels, "γ (C, C), β (C)")
    self.channels = channels
    self.gamma = gamma
    self.beta = beta
    self.squareShift = squareShift
    self.requantization = requantization
    self.inverse = inverse
  }

  public func accumulatorBound(inputBound x: Int64) -> Int64 {
    let u = min(IntegerMath.rshift(x * x, squareShift), 32767)
    var worst: Int64 = 0
    for i in 0..<channels {
      var sum: Int64 = 0
      for j in 0..<channels { sum += abs(Int64(gamma[i * channels + j])) }
      worst = max(worst, abs(Int64(beta[i])) + sum * u)
    }
    return worst
  }

  public func reference(_ input: ActivationTensor, outputExponent: Int) -> ActivationTensor {
    let plane = input.height * input.width
    var out = [Int16](repeating: 0, count: input.values.count)
    var u = [Int64](repeating: 0, count: channels)
    let q = requantization
    for p in 0..<plane {
      for j in 0..<channels {
        let x = Int64(input.values[j * plane + p])
        u[j] = min(IntegerMath.rshift(x * x, squareShift), 32767)
      }
      for i in 0..<channels {
        var n = Int64(beta[i])
        for j in 0..<channels { n += Int64(gamma[i * channels + j]) * u[j] }
        let r = IntegerMath.isqrt(max(n, 0))
        let x = Int64(input.values[i * plane + p])
        let y: Int64
        if inverse {
          y = Int64(IntegerMath.requant(x * r, q.multipliers[i], q.shifts[i], q.lo, q.hi))
        } else {
          y = min(max(IntegerMath.rdiv(x * Int64(q.multipliers[i]), max(r, 1) << Int64(q.shifts[i])), Int64(q.lo)), Int64(q.hi))
        }
        out[i * plane + p] = Int16(y)
      }
    }
    return ActivationTensor(
      channels: channels, height: input.height, width: input.width, values: out,
      exponent: outputExponent, lo: q.lo, hi: q.hi)
  }
}
