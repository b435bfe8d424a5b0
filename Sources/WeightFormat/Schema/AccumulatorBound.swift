/// The accumulator bound of spec/integer-ops.md §3, computed in one place: the converter
/// records it as each layer's `accumulator_bound`, and the decoder recomputes it when it loads a
/// model and refuses the model unless it equals the recorded one and fits in int32.
public enum AccumulatorBound {
  /// max over rows o of |b_o| + S_o · X: the largest accumulator of a layer whose row o adds the
  /// bias `biases[o]` to `absoluteSums[o]` = Σ_j |w_oj| products with inputs bounded by X =
  /// `inputBound` (a convolution's output channel, a GDN row with X = U of ``gdnSquare``).
  public static func worst(biases: [Int32], absoluteSums: [Int64], inputBound: Int64) -> Int64 {
    precondition(biases.count == absoluteSums.count, "one bias per row")
    var worst: Int64 = 0
    for (b, sum) in zip(biases, absoluteSums) {
      worst = max(worst, abs(Int64(b)) + sum * inputBound)
    }
    return worst
  }

  /// rshift(X², t) (spec §2.1) for inputs bounded by |X| ≤ 32768: GDN's squared input before
  /// the clamp of step 1.
  public static func shiftedSquare(_ x: Int64, shift t: Int) -> Int64 {
    let x = min(abs(x), 32768)
    return t == 0 ? x * x : (x * x + (1 << Int64(t - 1))) >> Int64(t)
  }

  /// U = min(rshift(X², t), 32767): the largest squared input u of GDN step 1 (§5) for inputs
  /// bounded by X, the input bound of its accumulator.
  public static func gdnSquare(_ x: Int64, shift t: Int) -> Int64 {
    min(shiftedSquare(x, shift: t), 32767)
  }
}
