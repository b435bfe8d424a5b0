import WeightFormat

/// `mul` (spec/integer-ops.md §6.2): the element-wise product of two activations of equal
/// shape, requantized per tensor, requant(x1 · x2, m, s, lo, hi).
///
/// Bit-exact: |x1 · x2| ≤ 32767² < 2^30 and m < 2^31, so the §2.2 product is below 2^61 and the
/// result is exact in 64-bit arithmetic.
struct MulOperator: IntegerOperator {
  let multiplier: Int32
  let shift: Int

  static let definition = OperatorDefinition(
    names: [.mul], specSection: "spec/integer-ops.md §6.2",
    attributes: ["multiplier", "shift", "exponent", "lo", "hi"], parameters: [],
    reference: "MulOperator.run", fastPaths: [], build: build, randomCase: randomCase)

  func run(
    _ inputs: [ChannelsLastActivations], output v: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    let (a, b) = (inputs[0], inputs[1])
    precondition(
      a.height == b.height && a.width == b.width && a.channels == b.channels,
      "mul needs equal shapes")
    let (m, s) = (multiplier, shift)
    let stride = a.channelStride
    var out = a.reformatted(v)
    for p in 0..<(a.height * a.width) {
      for ch in 0..<a.channels {
        let i = p * stride + ch
        let product = Int64(a.values[i]) * Int64(b.values[i])
        out.values[i] = Int16(IntegerMath.requant(product, m, s, v.lo, v.hi))
      }
    }
    return out
  }

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    try b.expectInputs(2)
    try b.expectParameters(0)
    guard b.inputs[0].channels == b.inputs[1].channels else {
      throw b.fail(
        "mul needs inputs with equal channel counts, not \(b.inputs[0].channels) and "
          + "\(b.inputs[1].channels)")
    }
    let m = Int32(try b.attribute("multiplier", 1...Int64(Int32.max)))
    let s = try b.attribute("shift", 0...62)
    return (MulOperator(multiplier: m, shift: s), try b.format(channels: b.inputs[0].channels))
  }

  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let c = Int.random(in: 1...9, using: &rng)
    let x1 = rng.activations(channels: c, height: 3, width: 4, lo: -32767, hi: 32767)
    let x2 = rng.activations(channels: c, height: 3, width: 4, lo: -32767, hi: 32767)
    let (m, s) = rng.requantization(1)
    let v = rng.format(channels: c)
    return .node(
      "mul C\(c) m\(m[0]) s\(s[0])", MulOperator(multiplier: m[0], shift: s[0]),
      inputs: [x1, x2], output: v)
  }
}
