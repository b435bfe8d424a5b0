import WeightFormat

/// Generalized divisive normalization and its inverse (spec/integer-ops.md §5).
///
/// At each pixel, with x the input's C values there (|x| ≤ 32767):
///
/// 1. u_j = min(rshift(x_j², t), 32767);
/// 2. n_i = β_i + Σ_j γ_ij · u_j (32-bit accumulation, exact within the bound below);
/// 3. r_i = isqrt(max(n_i, 0)), so 0 ≤ r_i ≤ 46340;
/// 4. inverse GDN: out_i = requant(x_i · r_i, m_i, s_i, lo, hi);
///    GDN: out_i = clamp(rdiv(x_i · m_i, max(r_i, 1) · 2^s_i), lo, hi).
///
/// The converter guarantees |β_i| + Σ_j |γ_ij| · U ≤ 2^31 − 1 for every i, where
/// U = min(rshift(X², t), 32767) and X is the input's clamp bound (`accumulatorBound`).
///
/// Bit-exact: `reference` computes every step exactly in 64-bit arithmetic; the fast kernel
/// (`PackedGDN`) returns the same values for every input within that bound.
public struct GDNLayer: Sendable {
  public let channels: Int
  /// γ (C, C), int16, row-major: row i holds the weights of channel i's norm.
  public let gamma: [Int16]
  /// β (C), int32.
  public let beta: [Int32]
  /// The square shift t of step 1, 0 … 30.
  public let squareShift: Int
  /// Per channel m_i (1 … 2^31 − 1) and s_i (inverse GDN 0 … 62, GDN 0 … 46) of step 4, and
  /// the output clamp range.
  public let requantization: Requantization
  /// Inverse GDN (the decoder's) rather than GDN (the encoder's).
  public let inverse: Bool

  /// Creates a layer.
  ///
  /// - Precondition: γ has C² and β C values; 0 ≤ t ≤ 30; one multiplier in 1 … 2^31 − 1 and
  ///   one shift (inverse GDN 0 … 62, GDN 0 … 46) per channel; −32767 ≤ lo ≤ hi ≤ 32767.
  public init(
    channels: Int, gamma: [Int16], beta: [Int32], squareShift: Int,
    requantization: Requantization, inverse: Bool
  ) {
    precondition(channels >= 0, "channel count")
    precondition(gamma.count == channels * channels && beta.count == channels, "γ (C, C), β (C)")
    precondition((0...30).contains(squareShift), "square shift 0 … 30")
    let q = requantization
    precondition(q.multipliers.count == channels, "one multiplier and shift per channel")
    precondition(q.multipliers.allSatisfy { $0 >= 1 }, "multipliers 1 … 2^31 − 1")
    precondition(
      q.shifts.allSatisfy { (0...(inverse ? 62 : 46)).contains($0) },
      inverse ? "shifts 0 … 62" : "shifts 0 … 46")
    precondition(-32767 <= q.lo && q.lo <= q.hi && q.hi <= 32767, "clamp range within ±32767")
    self.channels = channels
    self.gamma = gamma
    self.beta = beta
    self.squareShift = squareShift
    self.requantization = requantization
    self.inverse = inverse
  }

  /// U = min(rshift(X², t), 32767): the largest u of step 1 for inputs bounded by `x`.
  static func squareBound(_ x: Int64, shift t: Int) -> Int64 {
    AccumulatorBound.gdnSquare(x, shift: t)
  }

  /// The accumulator bound of step 2: max_i |β_i| + Σ_j |γ_ij| · U for inputs bounded by `x`.
  ///
  /// Step 2 is exact in 32-bit arithmetic when this is at most 2^31 − 1.
  ///
  /// - Complexity: O(C²).
  public func accumulatorBound(inputBound x: Int64) -> Int64 {
    let sums = (0..<channels).map { i in
      (0..<channels).reduce(Int64(0)) { $0 + abs(Int64(gamma[i * channels + $1])) }
    }
    return AccumulatorBound.worst(
      biases: beta, absoluteSums: sums, inputBound: Self.squareBound(x, shift: squareShift))
  }

  /// Runs the layer with the reference kernel: plain Swift, Int64 arithmetic, one pixel at a
  /// time.
  ///
  /// Bit-exact: computes steps 1–4 exactly (n in 64 bits, so also beyond the 32-bit bound).
  ///
  /// - Parameters:
  ///   - input: (C, H, W) values with |x| ≤ 32767.
  ///   - outputExponent: the exponent of the returned tensor.
  /// - Returns: the output, clamped to the requantization's [lo, hi].
  /// - Complexity: O(C² · H · W).
  public func reference(_ input: ActivationTensor, outputExponent: Int) -> ActivationTensor {
    precondition(input.channels == channels, "input channels")
    let plane = input.height * input.width
    var out = [Int16](repeating: 0, count: input.values.count)
    var u = [Int64](repeating: 0, count: channels)
    let q = requantization
    let (lo, hi) = (Int64(q.lo), Int64(q.hi))
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
        let m = Int64(q.multipliers[i])
        let y: Int64
        if inverse {
          y = Int64(IntegerMath.requant(x * r, q.multipliers[i], q.shifts[i], q.lo, q.hi))
        } else {
          // |x · m| < 2^46 and max(r, 1) · 2^s < 2^62: rdiv's operands are exact in 64 bits.
          y = min(max(IntegerMath.rdiv(x * m, max(r, 1) << Int64(q.shifts[i])), lo), hi)
        }
        out[i * plane + p] = Int16(y)
      }
    }
    return ActivationTensor(
      channels: channels, height: input.height, width: input.width, values: out,
      exponent: outputExponent, lo: q.lo, hi: q.hi)
  }
}
