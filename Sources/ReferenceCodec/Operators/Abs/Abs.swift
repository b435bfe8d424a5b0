import WeightFormat

/// `abs` (spec/integer-ops.md §6): |x|, in the input's exponent.
struct AbsOperator: IntegerOperator {
  static let definition = OperatorDefinition(
    names: [.abs], specSection: "spec/integer-ops.md §6", attributes: [], parameters: [],
    reference: "AbsOperator.run", fastPaths: [], build: build, randomCase: randomCase)

  func run(
    _ inputs: [ChannelsLastActivations], output: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    inputs[0].map(format: output) { _, q in q < 0 ? 0 &- q : q }
  }

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    let x = try b.unaryInput(parameters: 0)
    let lo: Int32 = x.lo <= 0 && x.hi >= 0 ? 0 : min(Swift.abs(x.lo), Swift.abs(x.hi))
    return (
      AbsOperator(), b.value(channels: x.channels, exponent: x.exponent, lo: lo, hi: Int32(x.bound))
    )
  }

  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let c = Int.random(in: 1...9, using: &rng)
    let x = rng.activations(channels: c, height: 3, width: 4, lo: -32767, hi: 32767)
    let v = IntegerGraph.Value(name: "out", channels: c, exponent: 8, lo: 0, hi: 32767)
    return .node("abs C\(c)", AbsOperator(), inputs: [x], output: v)
  }
}
