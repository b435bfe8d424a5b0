import WeightFormat

/// `relu` (spec/integer-ops.md §6): max(x, 0), in the input's format with the range clipped at 0.
struct ReLUOperator: IntegerOperator {
  static let definition = OperatorDefinition(
    names: [.relu], specSection: "spec/integer-ops.md §6", attributes: [], parameters: [],
    reference: "ReLUOperator.run", fastPaths: [], build: build, randomCase: randomCase)

  func run(
    _ inputs: [ChannelsLastActivations], output: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    inputs[0].map(format: output) { _, q in max(q, 0) }
  }

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    let x = try b.unaryInput(parameters: 0)
    return (
      ReLUOperator(),
      b.value(channels: x.channels, exponent: x.exponent, lo: max(x.lo, 0), hi: max(x.hi, 0))
    )
  }

  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let c = Int.random(in: 1...9, using: &rng)
    let x = rng.activations(channels: c, height: 3, width: 4, lo: -300, hi: 300)
    let v = IntegerGraph.Value(name: "out", channels: c, exponent: 8, lo: 0, hi: 300)
    return .node("relu C\(c)", ReLUOperator(), inputs: [x], output: v)
  }
}
