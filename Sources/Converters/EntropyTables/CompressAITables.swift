import Foundation
import WeightFormat

/// Builds the CDF tables of CompressAI entropy models (`EntropyBottleneck`,
/// `GaussianConditional`) from a state dict exported to NumPy.
///
/// Two ways, chosen by ``Method``:
/// - **copy**: the export carries CompressAI's own tables (`<prefix>._quantized_cdf`,
///   `._cdf_length`, `._offset`, written by `update()`); row i is the first `_cdf_length[i]`
///   entries of `_quantized_cdf[i]`. This is the table the model was evaluated with, and the one
///   to ship.
/// - **compute**: recompute the table from the float parameters as CompressAI 1.2.8's
///   `update()` does — the factorized density of an `EntropyBottleneck` (`quantiles` and the
///   density parameters in any of CompressAI's three spellings), or the Gaussian of a
///   `GaussianConditional` (`scale_table`). The integer structure (offsets and lengths) follows
///   CompressAI's float32 arithmetic exactly; the masses are evaluated in float64 and quantized
///   by ``QuantizedCDF/fromPMF(_:precision:)``. CompressAI evaluates float32 masses, so a mass
///   within about 10⁻³ units of a rounding boundary can round the other way. Usually that moves
///   a few entries by a unit or two; when it moves the row's rounded total across 2^p, the
///   rescale moves one unit from every frequency to the escape symbol (seen: an escape
///   frequency 20 apart in one 21-symbol row). Copy the stored table whenever there is one.
///
/// Keys may carry a `module.` prefix (from `DataParallel`); it is stripped.
public enum CompressAITables {
  /// How to obtain a table.
  public enum Method: Sendable, Hashable {
    /// Copy the stored table when the export has one, otherwise compute it.
    case automatic
    /// Copy the stored table; fail if there is none.
    case copy
    /// Compute the table from the float parameters, ignoring any stored one.
    case compute
  }

  /// CompressAI's default entropy coder precision (`entropy_coder_precision`).
  public static let defaultPrecision = 16
  /// CompressAI's default tail mass of both entropy models.
  public static let defaultTailMass = 1e-9

  // MARK: - Entry point

  /// The CDF table of the entropy model stored under `prefix` (for example
  /// `entropy_bottleneck` or `gaussian_conditional`; a `module.` prefix is ignored).
  ///
  /// With ``Method/automatic`` or ``Method/copy``, CompressAI's stored table is copied when
  /// present. Otherwise the model is recognised by its parameters: `quantiles` for an
  /// `EntropyBottleneck`, `scale_table` for a `GaussianConditional`.
  ///
  /// - Throws: ``EntropyTableError`` naming the array, row or parameter at fault.
  public static func table(
    prefix: String, in arrays: [String: NumPyArray], method: Method = .automatic,
    precision: Int = defaultPrecision
  ) throws(EntropyTableError) -> CDFTable {
    let arrays = try strippingModulePrefix(arrays)
    let prefix = stripModule(prefix)
    if method != .compute, arrays[prefix + "._quantized_cdf"] != nil {
      return try copiedTable(prefix: prefix, in: arrays, precision: precision)
    }
    if method == .copy { throw .missingArray(name: prefix + "._quantized_cdf") }
    let hasQuantiles = arrays[prefix + ".quantiles"] != nil
    let hasScaleTable = arrays[prefix + ".scale_table"] != nil
    switch (hasQuantiles, hasScaleTable) {
    case (true, false): return try factorizedTable(prefix: prefix, in: arrays, precision: precision)
    case (false, true): return try gaussianTable(prefix: prefix, in: arrays, precision: precision)
    case (true, true): throw .ambiguousModel(prefix: prefix)
    case (false, false): throw .noEntropyModel(prefix: prefix)
    }
  }

  /// The arrays with a leading `module.` removed from every key.
  ///
  /// - Throws: ``EntropyTableError/duplicateKey(name:)`` when `module.x` and `x` both exist.
  public static func strippingModulePrefix(_ arrays: [String: NumPyArray])
    throws(EntropyTableError) -> [String: NumPyArray]
  {
    guard arrays.keys.contains(where: { $0.hasPrefix(modulePrefix) }) else { return arrays }
    var result: [String: NumPyArray] = [:]
    for (key, value) in arrays {
      let name = stripModule(key)
      guard result.updateValue(value, forKey: name) == nil else { throw .duplicateKey(name: name) }
    }
    return result
  }

  // MARK: - Copy

  /// Copies CompressAI's stored table under `prefix`.
  ///
  /// Row i is the first `_cdf_length[i]` entries of `_quantized_cdf[i]`, with offset
  /// `_offset[i]`. Keys must already be free of `module.`.
  ///
  /// - Throws: ``EntropyTableError``; ``EntropyTableError/invalidTable(prefix:row:reason:)``
  ///   names the row when CompressAI's table breaks an invariant of spec/container.md §5.3.
  public static func copiedTable(
    prefix: String, in arrays: [String: NumPyArray], precision: Int = defaultPrecision
  ) throws(EntropyTableError) -> CDFTable {
    let cdfName = prefix + "._quantized_cdf"
    let lengthName = prefix + "._cdf_length"
    let offsetName = prefix + "._offset"
    let (cdfShape, cdf) = try integers(cdfName, in: arrays)
    guard cdfShape.count == 2, cdfShape[0] >= 1 else {
      throw .badShape(name: cdfName, shape: cdfShape, expected: "(n, max_length) with n ≥ 1")
    }
    let n = cdfShape[0]
    let width = cdfShape[1]
    let (lengthShape, lengths) = try integers(lengthName, in: arrays)
    guard lengthShape == [n] else {
      throw .badShape(name: lengthName, shape: lengthShape, expected: "(\(n),)")
    }
    let (offsetShape, offsets) = try integers(offsetName, in: arrays)
    guard offsetShape == [n] else {
      throw .badShape(name: offsetName, shape: offsetShape, expected: "(\(n),)")
    }
    var rows: [(offset: Int32, cdf: [UInt32])] = []
    rows.reserveCapacity(n)
    for i in 0..<n {
      let length = lengths[i]
      guard length >= 2, length <= width else {
        throw .invalidTable(
          prefix: prefix, row: i, reason: "_cdf_length is \(length), outside 2…\(width)")
      }
      guard let offset = Int32(exactly: offsets[i]) else {
        throw .invalidTable(prefix: prefix, row: i, reason: "_offset \(offsets[i]) is not an i32")
      }
      var row = [UInt32](repeating: 0, count: Int(length))
      for k in 0..<Int(length) {
        let value = cdf[i * width + k]
        guard let entry = UInt32(exactly: value) else {
          throw .invalidTable(prefix: prefix, row: i, reason: "entry \(k) is \(value)")
        }
        row[k] = entry
      }
      rows.append((offset, row))
    }
    return try validated(CDFTable(precision: precision, rows: rows), prefix: prefix)
  }

  // MARK: - Factorized (EntropyBottleneck)

  /// Computes the table of the `EntropyBottleneck` under `prefix` as CompressAI 1.2.8's
  /// `EntropyBottleneck.update()` does, with float64 masses.
  ///
  /// Per channel c, with `q = quantiles[c, 0, :]` (float32 arithmetic, as CompressAI):
  /// `minima = max(0, ⌈q1 − q0⌉)`, `maxima = max(0, ⌈q2 − q1⌉)`, `offset = −minima`,
  /// `pmf_length = minima + maxima + 1`. Then, in float64, with `start = q1 − minima` and
  /// `L` the largest `pmf_length` of all channels: `pmf[k] = σ(ℓ(start + k + ½)) −
  /// σ(ℓ(start + k − ½))` for `k < pmf_length` and `tail = σ(ℓ(start − ½)) +
  /// σ(−ℓ(start + L − ½))`, where ℓ is the cumulative logit of the channel's density. Note that
  /// the upper tail is taken at the end of the *longest* row, as CompressAI does, not at the
  /// end of the channel's own row. The row is
  /// `QuantizedCDF.fromPMF(pmf[0..<pmf_length] + [tail])`.
  ///
  /// The density parameters may be spelled `matrices.N`/`biases.N`/`factors.N` (1.2.6+),
  /// `_matrixN`/`_biasN`/`_factorN` (1.1.0–1.2.5) or `_matrices.N`/`_biases.N`/`_factors.N`
  /// (1.0). Keys must already be free of `module.`.
  public static func factorizedTable(
    prefix: String, in arrays: [String: NumPyArray], precision: Int = defaultPrecision
  ) throws(EntropyTableError) -> CDFTable {
    guard QuantizedCDF.precisionRange.contains(precision) else {
      throw .invalidArgument(name: "precision", reason: "\(precision) is outside 1…16")
    }
    let quantilesName = prefix + ".quantiles"
    let (qShape, quantiles) = try floats(quantilesName, in: arrays)
    guard qShape.count == 3, qShape[0] >= 1, qShape[1] == 1, qShape[2] == 3 else {
      throw .badShape(name: quantilesName, shape: qShape, expected: "(channels, 1, 3)")
    }
    let channels = qShape[0]
    let density = try FactorizedDensity(prefix: prefix, channels: channels, arrays: arrays)
    let maxSymbols = (1 << precision) - 1  // pmf_length + 1 (the tail) ≤ 2^p

    // The integer structure, in float32 exactly as torch computes it.
    var minima = [Int](repeating: 0, count: channels)
    var lengths = [Int](repeating: 0, count: channels)
    for c in 0..<channels {
      let q0 = Float(quantiles[3 * c])
      let median = Float(quantiles[3 * c + 1])
      let q2 = Float(quantiles[3 * c + 2])
      guard q0.isFinite, median.isFinite, q2.isFinite else {
        throw .invalidParameter(name: quantilesName, index: c, reason: "a quantile is not finite")
      }
      let below = max(0, (median - q0).rounded(.up))
      let above = max(0, (q2 - median).rounded(.up))
      guard below + above < Float(maxSymbols) else {
        throw .rowTooLong(
          prefix: prefix, row: c, length: Double(below + above + 1), limit: maxSymbols)
      }
      minima[c] = Int(below)
      lengths[c] = Int(below) + Int(above) + 1
    }
    let maxLength = lengths.max() ?? 1
    try checkSize(prefix: prefix, rows: channels, stride: maxLength + 2)

    var rows: [(offset: Int32, cdf: [UInt32])] = []
    rows.reserveCapacity(channels)
    var evaluator = density.evaluator()
    for c in 0..<channels {
      // Exact in float64: a float32 median minus an integer, plus integers and halves.
      let start = quantiles[3 * c + 1] - Double(minima[c])
      let length = lengths[c]
      var masses = [Double](repeating: 0, count: length + 1)
      var lower = evaluator.logits(channel: c, at: start - 0.5)
      let first = lower
      for k in 0..<length {
        let upper = evaluator.logits(channel: c, at: start + Double(k) + 0.5)
        masses[k] = sigmoid(upper) - sigmoid(lower)
        lower = upper
      }
      let last = evaluator.logits(channel: c, at: start + Double(maxLength - 1) + 0.5)
      masses[length] = sigmoid(first) + sigmoid(-last)
      rows.append((Int32(-minima[c]), try quantize(masses, precision, prefix: prefix, row: c)))
    }
    return try validated(CDFTable(precision: precision, rows: rows), prefix: prefix)
  }

  // MARK: - Gaussian (GaussianConditional)

  /// Computes the table of the `GaussianConditional` under `prefix` from its `scale_table`.
  ///
  /// See ``gaussianTable(scaleTable:tailMass:precision:prefix:)``. Keys must already be free of
  /// `module.`.
  public static func gaussianTable(
    prefix: String, in arrays: [String: NumPyArray], tailMass: Double = defaultTailMass,
    precision: Int = defaultPrecision
  ) throws(EntropyTableError) -> CDFTable {
    let scales = try scaleTable(prefix: prefix, in: arrays)
    return try gaussianTable(
      scaleTable: scales.map { Float($0) }, tailMass: tailMass, precision: precision,
      prefix: prefix)
  }

  /// The `scale_table` of the `GaussianConditional` under `prefix`, widened to float64.
  public static func scaleTable(prefix: String, in arrays: [String: NumPyArray])
    throws(EntropyTableError) -> [Double]
  {
    let name = prefix + ".scale_table"
    let (shape, scales) = try floats(name, in: arrays)
    guard shape.count == 1, shape[0] >= 1 else {
      throw .badShape(name: name, shape: shape, expected: "(n,) with n ≥ 1")
    }
    return scales
  }

  /// Computes a Gaussian table as CompressAI 1.2.8's `GaussianConditional.update()` does, with
  /// float64 masses.
  ///
  /// `multiplier = −Φ⁻¹(tailMass / 2)`; per scale σ (float32 arithmetic, as CompressAI):
  /// `center = ⌈σ · multiplier⌉`, `offset = −center`, `pmf_length = 2·center + 1`. Then, in
  /// float64, for `k < pmf_length` with `s = |k − center|`: `pmf[k] = Φ((½ − s)/σ) −
  /// Φ((−½ − s)/σ)`, and `tail = 2·Φ((−½ − center)/σ)`, where `Φ(x) = ½·erfc(−x/√2)`.
  ///
  /// - Parameters:
  ///   - scaleTable: the scales σ, each finite and > 0 (CompressAI's float32 `scale_table`).
  ///   - tailMass: the mass left outside each row, shared by both tails.
  ///   - precision: the CDF precision p.
  ///   - prefix: the name used in errors.
  /// - Returns: one row per scale, offset `−center`, `2·center + 3` entries.
  /// - Throws: ``EntropyTableError`` for a bad scale, tail mass or precision, or a row too long
  ///   for the precision.
  public static func gaussianTable(
    scaleTable: [Float], tailMass: Double = defaultTailMass, precision: Int = defaultPrecision,
    prefix: String = "gaussian_conditional"
  ) throws(EntropyTableError) -> CDFTable {
    guard QuantizedCDF.precisionRange.contains(precision) else {
      throw .invalidArgument(name: "precision", reason: "\(precision) is outside 1…16")
    }
    guard !scaleTable.isEmpty else {
      throw .badShape(name: prefix + ".scale_table", shape: [0], expected: "(n,) with n ≥ 1")
    }
    let multiplier = try gaussianTailMultiplier(tailMass: tailMass)
    let multiplier32 = Float(multiplier)
    let maxSymbols = (1 << precision) - 1
    var centers = [Int](repeating: 0, count: scaleTable.count)
    for (i, scale) in scaleTable.enumerated() {
      guard scale.isFinite, scale > 0 else {
        throw .invalidParameter(
          name: prefix + ".scale_table", index: i, reason: "scale \(scale) is not finite and > 0")
      }
      let center = (scale * multiplier32).rounded(.up)
      guard 2 * center + 1 <= Float(maxSymbols) else {
        throw .rowTooLong(prefix: prefix, row: i, length: Double(2 * center + 1), limit: maxSymbols)
      }
      centers[i] = Int(center)
    }
    let maxLength = 2 * (centers.max() ?? 0) + 1
    try checkSize(prefix: prefix, rows: scaleTable.count, stride: maxLength + 2)

    var rows: [(offset: Int32, cdf: [UInt32])] = []
    rows.reserveCapacity(scaleTable.count)
    for (i, scale32) in scaleTable.enumerated() {
      let scale = Double(scale32)
      let center = centers[i]
      let length = 2 * center + 1
      var masses = [Double](repeating: 0, count: length + 1)
      for k in 0..<length {
        let s = Double(abs(k - center))
        masses[k] = standardNormalCDF((0.5 - s) / scale) - standardNormalCDF((-0.5 - s) / scale)
      }
      masses[length] = 2 * standardNormalCDF((-0.5 - Double(center)) / scale)
      rows.append((Int32(-center), try quantize(masses, precision, prefix: prefix, row: i)))
    }
    return try validated(CDFTable(precision: precision, rows: rows), prefix: prefix)
  }

  /// `−Φ⁻¹(tailMass / 2)`: how many standard deviations a Gaussian row reaches on each side
  /// (6.1094102048693975 for CompressAI's tail mass 1e-9, as `scipy.stats.norm.ppf` gives).
  ///
  /// Φ⁻¹ is found by bisection on `Φ(x) = ½·erfc(−x/√2)` down to adjacent doubles.
  public static func gaussianTailMultiplier(tailMass: Double) throws(EntropyTableError) -> Double {
    guard tailMass.isFinite, tailMass > 0, tailMass < 1 else {
      throw .invalidArgument(name: "tailMass", reason: "\(tailMass) is not in (0, 1)")
    }
    let target = tailMass / 2
    var low = -40.0  // Φ(−40) < 1e-300: below any representable target here
    var high = 0.0  // Φ(0) = ½ > target
    while true {
      let mid = (low + high) / 2
      if mid <= low || mid >= high { break }
      if standardNormalCDF(mid) < target { low = mid } else { high = mid }
    }
    // The closer of the two neighbours.
    let quantile =
      abs(standardNormalCDF(low) - target) < abs(standardNormalCDF(high) - target) ? low : high
    return -quantile
  }

  // MARK: - Scale thresholds

  /// Integer thresholds for choosing a Gaussian row from an integer scale.
  ///
  /// `threshold[i] = round_half_away_from_zero(scaleTable[i] · 2^fractionBits)` for
  /// `i < n − 1`. A decoder with the scale σ as an integer with `fractionBits` fraction bits
  /// uses row `index = number of thresholds strictly less than σ` — the integer form of
  /// CompressAI's `build_indexes`: the smallest i with `σ ≤ scaleTable[i]`, capped at n − 1.
  ///
  /// - Throws: ``EntropyTableError/invalidArgument(name:reason:)`` when `fractionBits` is outside
  ///   0…32, the table is empty, or a scale is not finite and > 0, or is too large for 2^62.
  public static func scaleThresholds(scaleTable: [Double], fractionBits: Int)
    throws(EntropyTableError) -> [Int64]
  {
    guard (0...32).contains(fractionBits) else {
      throw .invalidArgument(name: "fractionBits", reason: "\(fractionBits) is outside 0…32")
    }
    guard !scaleTable.isEmpty else {
      throw .invalidArgument(name: "scaleTable", reason: "the scale table is empty")
    }
    let unit = Double(UInt64(1) << UInt64(fractionBits))
    var thresholds: [Int64] = []
    thresholds.reserveCapacity(scaleTable.count - 1)
    for (i, scale) in scaleTable.dropLast().enumerated() {
      let scaled = (scale * unit).rounded(.toNearestOrAwayFromZero)
      guard scale.isFinite, scale > 0, scaled < Double(Int64(1) << 62) else {
        throw .invalidArgument(
          name: "scaleTable", reason: "scale \(i) is \(scale): not finite, > 0 and < 2^62 units")
      }
      thresholds.append(Int64(scaled))
    }
    return thresholds
  }

}
