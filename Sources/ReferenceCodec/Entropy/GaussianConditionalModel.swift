/// The Gaussian conditional model's row choice (spec/entropy-coding.md §4.2).
///
/// With n − 1 non-decreasing integer thresholds T, the row for an integer scale σ is the number
/// of thresholds strictly below σ: the smallest i with σ ≤ T[i], or n − 1. Only integer
/// comparisons decide it. Bit-exact for every σ.
public struct GaussianConditionalModel: Sendable {
  /// The thresholds T[0…n−2], in the decoder's fixed-point scale format.
  public let thresholds: [Int64]

  /// Creates the model from thresholds read from a container.
  ///
  /// - Throws: ``EntropyError/invalidTable(reason:)`` if the thresholds decrease anywhere.
  public init(thresholds: [Int64]) throws(EntropyError) {
    for i in thresholds.indices.dropFirst() where thresholds[i] < thresholds[i - 1] {
      throw .invalidTable(
        reason: "scale threshold \(i) (\(thresholds[i])) is below threshold \(i - 1)")
    }
    self.thresholds = thresholds
  }

  /// The number of rows n.
  public var rowCount: Int { thresholds.count + 1 }

  /// The row for scale `sigma`.
  ///
  /// - Complexity: O(log n).
  public func row(forScale sigma: Int64) -> Int {
    var lo = 0
    var hi = thresholds.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if thresholds[mid] < sigma { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }
}
