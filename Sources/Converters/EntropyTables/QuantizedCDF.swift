import WeightFormat

/// The deterministic conversion of a probability mass function into a quantized CDF
/// (spec/entropy-coding.md, "PMF to CDF").
///
/// It mirrors CompressAI's C++ `pmf_to_quantized_cdf` (ported from ryg_rans), with one
/// difference: the masses are float64 where CompressAI rounds float32 masses. Fed the same
/// float32 masses (widened exactly), both give the same table. After the single rounding of
/// step (a) every step is exact unsigned integer arithmetic, so the result is the same on every
/// machine.
public enum QuantizedCDF {
  /// The precisions accepted: those a container's CDF table may have (spec/container.md §5.3).
  public static let precisionRange = 1...16

  /// The largest scaled mass `m·2^p` accepted: 2^52, below which every integer is a double.
  static let maxScaledMass = Double(1 << 52)

  /// Converts `n` masses (the last one the tail, or escape, mass) into `n + 1` CDF entries:
  /// `cdf[0] = 0`, `cdf[n] = 2^p`, strictly increasing, so every symbol has frequency ≥ 1.
  ///
  /// The steps, all integer after (a):
  /// (a) `f[i] = round_half_away_from_zero(m[i] · 2^p)`;
  /// (b) `total = Σ f[i]`, which must not be 0;
  /// (c) `f[i] = ⌊f[i] · 2^p / total⌋`;
  /// (d) `cdf[0] = 0`, `cdf[i+1] = cdf[i] + f[i]`, then `cdf[n] = 2^p`;
  /// (e) for `i` in `0..<n`, in order, if `cdf[i] == cdf[i+1]`: let `j` be the smallest index
  /// whose frequency `cdf[j+1] − cdf[j]` is the smallest frequency > 1; if `j < i`, decrement
  /// `cdf[j+1...i]`, else increment `cdf[i+1...j]` (moving one unit of frequency from `j` to
  /// `i`).
  ///
  /// - Parameters:
  ///   - pmf: the masses; each finite and ≥ 0. They need not sum to 1 (step (c) normalises).
  ///   - precision: p, in ``precisionRange``.
  /// - Returns: the `n + 1` CDF entries.
  /// - Throws: ``QuantizedCDFError`` when `p` is out of range, there are no masses or more than
  ///   `2^p` of them, a mass is negative, not finite or so large that `m·2^p` exceeds 2^52, or
  ///   every mass rounds to 0.
  public static func fromPMF(_ pmf: [Double], precision: Int) throws(QuantizedCDFError) -> [UInt32]
  {
    guard precisionRange.contains(precision) else { throw .invalidPrecision(precision) }
    let n = pmf.count
    guard n >= 1 else { throw .empty }
    let one = UInt64(1) << UInt64(precision)
    guard UInt64(n) <= one else { throw .tooManySymbols(count: n, precision: precision) }

    // (a) The only floating-point step: m·2^p is exact (a power-of-two scaling), then rounded.
    var frequency = [UInt64](repeating: 0, count: n)
    let scale = Double(one)
    for (i, mass) in pmf.enumerated() {
      guard mass.isFinite, mass >= 0 else { throw .invalidMass(index: i, value: mass) }
      let scaled = (mass * scale).rounded(.toNearestOrAwayFromZero)
      guard scaled <= maxScaledMass else { throw .invalidMass(index: i, value: mass) }
      frequency[i] = UInt64(scaled)
    }

    // (b) Up to 2^16 terms of up to 2^52 can overflow 64 bits: add with a check (a total that
    // large is refused in (c) anyway).
    var total: UInt64 = 0
    for f in frequency {
      let (sum, overflow) = total.addingReportingOverflow(f)
      guard !overflow else { throw .totalTooLarge(precision: precision) }
      total = sum
    }
    guard total > 0 else { throw .zeroTotal }

    // (c) f·2^p must fit in 64 bits: f ≤ total < 2^(64−p).
    guard total < UInt64(1) << UInt64(64 - precision) else {
      throw .totalTooLarge(precision: precision)
    }
    for i in 0..<n { frequency[i] = (frequency[i] << UInt64(precision)) / total }

    // (d) Prefix sums; their total is ≤ 2^p, so the forced last entry only grows the last bin.
    var cdf = [UInt64](repeating: 0, count: n + 1)
    for i in 0..<n { cdf[i + 1] = cdf[i] + frequency[i] }
    cdf[n] = one

    // (e) Give each empty bin one unit, taken from the smallest bin holding more than one.
    for i in 0..<n where cdf[i] == cdf[i + 1] {
      var best = UInt64.max
      var steal = -1
      for j in 0..<n {
        let f = cdf[j + 1] - cdf[j]
        if f > 1, f < best {
          best = f
          steal = j
        }
      }
      // Unreachable while n ≤ 2^p (an empty bin implies a bin > 1), kept as a typed error.
      guard steal >= 0 else { throw .noFrequencyToSteal(index: i) }
      if steal < i {
        for k in (steal + 1)...i { cdf[k] -= 1 }
      } else {
        for k in (i + 1)...steal { cdf[k] += 1 }
      }
    }
    return cdf.map { UInt32($0) }
  }
}

/// Why ``QuantizedCDF/fromPMF(_:precision:)`` refused its input.
public enum QuantizedCDFError: Error, Sendable, Equatable {
  /// The precision is outside ``QuantizedCDF/precisionRange``.
  case invalidPrecision(Int)
  /// There are no masses.
  case empty
  /// More symbols than `2^precision`: not every symbol can have frequency ≥ 1.
  case tooManySymbols(count: Int, precision: Int)
  /// A mass is negative, NaN, infinite, or so large that `m·2^p` exceeds 2^52.
  case invalidMass(index: Int, value: Double)
  /// Every mass rounds to frequency 0.
  case zeroTotal
  /// The rounded frequencies sum to 2^(64−p) or more.
  case totalTooLarge(precision: Int)
  /// No frequency > 1 to move to the empty bin `index` (cannot happen while n ≤ 2^p).
  case noFrequencyToSteal(index: Int)

  /// A stable identifier of the error kind, such as `pmf.invalidMass`.
  public var code: String {
    switch self {
    case .empty: "pmf.empty"
    case .zeroTotal: "pmf.zeroTotal"
    default: "pmf." + caseName(of: self)
    }
  }
}

extension QuantizedCDFError: GICError {
  /// A one-line message naming what is wrong.
  public var description: String {
    switch self {
    case .invalidPrecision(let p): "precision \(p) is outside 1…16"
    case .empty: "the PMF has no masses"
    case .tooManySymbols(let count, let p):
      "\(count) symbols cannot each have frequency ≥ 1 at precision \(p) (at most 2^\(p))"
    case .invalidMass(let index, let value):
      "mass \(index) is \(value): masses must be finite, ≥ 0 and below 2^52 / 2^p"
    case .zeroTotal: "every mass rounds to frequency 0"
    case .totalTooLarge(let p): "the rounded frequencies sum to 2^\(64 - p) or more"
    case .noFrequencyToSteal(let index): "no frequency > 1 to move to empty symbol \(index)"
    }
  }
}
