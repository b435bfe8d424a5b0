import WeightFormat

/// `clamp` (spec/integer-ops.md §6): min(max(x, lo), hi), in the input's exponent.
struct ClampOperator: IntegerOperator {
  static let definition = OperatorDefinition(
    names: [.clamp], specSection: "spec/integer-ops.md §6", attributes: ["lo", "hi"],
    parameters: [], reference: "ClampOperator.run", fastPaths: [], build: build,
    randomCase: randomCase)

  func run(
    _ inputs: [ChannelsLastActivations], output v: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    inputs[0].map(format: v) { _, q in Int16(min(max(Int32(q), v.lo), v.hi)) }
  }

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    let x = try b.unaryInput(parameters: 0)
    let lo = Int32(try b.attribute("lo", -32767...32767))
    let hi = Int32(try b.attribute("hi", -32767...32767))
    guard lo <= hi else { throw b.fail("lo \(lo) > hi \(hi)") }
    return (ClampOperator(), b.value(channels: x.channels, exponent: x.exponent, lo: lo, hi: hi))
  }

  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let c = Int.random(in: 1...9, using: &rng)
    let x = rng.activations(channels: c, height: 3, width: 4, lo: -32767, hi: 32767)
    let v = rng.format(channels: c)
    return .node("clamp C\(c) \(v.lo)…\(v.hi)", ClampOperator(), inputs: [x], output: v)
  }
}
