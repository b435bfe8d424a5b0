import WeightFormat

/// `leaky_relu` (spec/integer-ops.md §6): x for x ≥ 0, rshift(x · a, s) below.
struct LeakyReLUOperator: IntegerOperator {
  let slope: Int32
  let shift: Int

  static let definition = OperatorDefinition(
    names: [.leakyReLU], specSection: "spec/integer-ops.md §6",
    attributes: ["slope", "slope_shift"], parameters: [], reference: "LeakyReLUOperator.run",
    fastPaths: [], build: build, randomCase: randomCase)

  func run(
    _ inputs: [ChannelsLastActivations], output: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    let (a, s) = (Int64(slope), shift)
    return inputs[0].map(format: output) { _, q in
      q >= 0 ? q : Int16(IntegerMath.rshift(Int64(q) * a, s))
    }
  }

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    let x = try b.unaryInput(parameters: 0)
    let a = try b.attribute("slope", 0...32767)
    let sa = try b.attribute("slope_shift", 0...30)
    let lo = x.lo < 0 ? IntegerMath.rshift(Int64(x.lo) * Int64(a), sa) : Int64(x.lo)
    return (
      LeakyReLUOperator(slope: Int32(a), shift: sa),
      b.value(channels: x.channels, exponent: x.exponent, lo: Int32(lo), hi: x.hi)
    )
  }

  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let c = Int.random(in: 1...9, using: &rng)
    let shift = Int.random(in: 0...30, using: &rng)
    let slope = Int32.random(in: 0...Int32(min(32767, 1 << shift)), using: &rng)
    let x = rng.activations(channels: c, height: 3, width: 4, lo: -32767, hi: 32767)
    let v = IntegerGraph.Value(name: "out", channels: c, exponent: 8, lo: -32767, hi: 32767)
    return .node(
      "leaky_relu C\(c) a\(slope) s\(shift)", LeakyReLUOperator(slope: slope, shift: shift),
      inputs: [x], output: v)
  }
}
