import WeightFormat

/// `add` (spec/integer-ops.md §6): clamp(rshift(x1·m1, s1) + rshift(x2·m2, s2), lo, hi).
struct AddOperator: IntegerOperator {
  let multipliers: [Int32]
  let shifts: [Int]

  static let definition = OperatorDefinition(
    names: [.add], specSection: "spec/integer-ops.md §6",
    attributes: ["multiplier_0", "shift_0", "multiplier_1", "shift_1", "exponent", "lo", "hi"],
    parameters: [], reference: "AddOperator.run", fastPaths: [], build: build,
    randomCase: randomCase)

  func run(
    _ inputs: [ChannelsLastActivations], output v: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    let (a, b) = (inputs[0], inputs[1])
    precondition(a.height == b.height && a.width == b.width, "add needs equal sizes")
    let (m, s) = (multipliers, shifts)
    let (lo, hi) = (Int64(v.lo), Int64(v.hi))
    let stride = a.channelStride
    var out = a.reformatted(v)
    for p in 0..<(a.height * a.width) {
      for ch in 0..<a.channels {
        let i = p * stride + ch
        let sum =
          IntegerMath.rshift(Int64(a.values[i]) * Int64(m[0]), s[0])
          + IntegerMath.rshift(Int64(b.values[i]) * Int64(m[1]), s[1])
        out.values[i] = Int16(min(max(sum, lo), hi))
      }
    }
    return out
  }

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    try b.expectInputs(2)
    try b.expectParameters(0)
    guard b.inputs[0].channels == b.inputs[1].channels else {
      throw b.fail("add needs inputs with equal channel counts")
    }
    let (m, s) = try b.scalePairs(2)
    return (AddOperator(multipliers: m, shifts: s), try b.format(channels: b.inputs[0].channels))
  }

  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let c = Int.random(in: 1...9, using: &rng)
    let x1 = rng.activations(channels: c, height: 3, width: 4, lo: -32767, hi: 32767)
    let x2 = rng.activations(channels: c, height: 3, width: 4, lo: -32767, hi: 32767)
    let (m, s) = rng.requantization(2)
    let v = rng.format(channels: c)
    return .node(
      "add C\(c) m\(m) s\(s)", AddOperator(multipliers: m, shifts: s), inputs: [x1, x2], output: v)
  }
}
