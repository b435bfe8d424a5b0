/// CompressAI 1.2.8's `AttentionBlock(N)` (`compressai/layers/layers.py`), the module
/// `Cheng2020Attention` adds to cheng2020-anchor's transforms (profile `cheng2020-attn`,
/// spec/bitstream.md §13):
///
/// - ResidualUnit(x) = ReLU(conv1x1(N→N/2) ReLU conv3x3(N/2→N/2) ReLU conv1x1(N/2→N) + x),
///   modules `conv.0`, `conv.2`, `conv.4` (N/2 rounded down, as CompressAI's `N // 2`).
/// - conv_a = three ResidualUnits; conv_b = three ResidualUnits then conv1x1(N→N) (`conv_b.3`).
/// - out = conv_a(x) · sigmoid(conv_b(x)) + x.
///
/// Stored as integer nodes: each ReLU folded into its convolution's or sum's clamp, the residual
/// sums and the gate's sum `add`, the sigmoid a `lookup` table (spec/integer-ops.md §6.1.1), the
/// product `mul` (§6.2). Values: a unit's output is named after the unit
/// (`g_a.3.conv_a.0`), the gate `<block>.sigmoid`, the product `<block>.mul`, the block's output
/// after the block (`g_a.3`) or the transform's output (`y`).
extension Cheng2020Architecture {
  /// The parameter arrays of the AttentionBlock(N) `block`, with their shapes.
  static func attentionShapes(_ block: String, n: Int) -> [(key: String, shape: [Int])] {
    var shapes: [(key: String, shape: [Int])] = []
    for branch in ["conv_a", "conv_b"] {
      for u in 0..<3 {
        let unit = "\(block).\(branch).\(u).conv"
        shapes += convolutionShapes(unit + ".0", n, n / 2, 1)
        shapes += convolutionShapes(unit + ".2", n / 2, n / 2, 3)
        shapes += convolutionShapes(unit + ".4", n / 2, n, 1)
      }
    }
    return shapes + convolutionShapes(block + ".conv_b.3", n, n, 1)
  }
}

extension Cheng2020Architecture.Builder {
  /// ResidualUnit `unit` of an attention block on `input`.
  mutating func residualUnit(_ unit: String, input: String, n: Int) throws -> String {
    let c0 = try conv(unit + ".conv.0", input: input, cin: n, cout: n / 2, k: 1, relu: true)
    let c2 = try conv(unit + ".conv.2", input: c0, cin: n / 2, cout: n / 2, relu: true)
    let c4 = try conv(unit + ".conv.4", input: c2, cin: n / 2, cout: n, k: 1)
    return append(.add(other: input), unit, input: c4, relu: true)
  }

  /// AttentionBlock `block` on `input`: conv_a(x) · sigmoid(conv_b(x)) + x, its value named
  /// `output` (else `block`).
  mutating func attention(_ block: String, input: String, output: String?, n: Int) throws
    -> String
  {
    var a = input
    for u in 0..<3 { a = try residualUnit("\(block).conv_a.\(u)", input: a, n: n) }
    var b = input
    for u in 0..<3 { b = try residualUnit("\(block).conv_b.\(u)", input: b, n: n) }
    b = try conv(block + ".conv_b.3", input: b, cin: n, cout: n, k: 1)
    let gate = append(.sigmoid, block + ".sigmoid", input: b)
    let product = append(.mul(other: gate), block + ".mul", input: a)
    return append(.add(other: input), output ?? block, input: product, prefix: block)
  }
}
