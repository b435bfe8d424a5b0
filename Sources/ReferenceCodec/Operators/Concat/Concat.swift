import WeightFormat

/// `concat` (spec/integer-ops.md §6): channel concatenation, input k requantized to the output
/// format first with `multiplier_k`, `shift_k`.
struct ConcatOperator: IntegerOperator {
  let multipliers: [Int32]
  let shifts: [Int]

  static let definition = OperatorDefinition(
    names: [.concat], specSection: "spec/integer-ops.md §6",
    attributes: ["multiplier_k", "shift_k (per input)", "exponent", "lo", "hi"], parameters: [],
    reference: "ConcatOperator.run", fastPaths: [], build: build, randomCase: randomCase)

  func run(
    _ inputs: [ChannelsLastActivations], output v: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    let (h, w) = (inputs[0].height, inputs[0].width)
    precondition(inputs.allSatisfy { $0.height == h && $0.width == w }, "concat needs equal sizes")
    var out = ChannelsLastActivations(format: v, height: h, width: w)
    let stride = out.channelStride
    var base = 0
    for (k, x) in inputs.enumerated() {
      for p in 0..<(h * w) {
        for ch in 0..<x.channels {
          let q = IntegerMath.requant(
            Int64(x.values[p * x.channelStride + ch]), multipliers[k], shifts[k], v.lo, v.hi)
          out.values[p * stride + base + ch] = Int16(q)
        }
      }
      base += x.channels
    }
    return out
  }

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    guard b.inputs.count >= 1 && b.inputs.count <= 64 else {
      throw b.fail("concat takes 1 … 64 inputs")
    }
    try b.expectParameters(0)
    let (m, s) = try b.scalePairs(b.inputs.count)
    let channels = b.inputs.reduce(0) { $0 + $1.channels }
    guard channels <= 65536 else { throw b.fail("concat output has \(channels) channels") }
    return (ConcatOperator(multipliers: m, shifts: s), try b.format(channels: channels))
  }

  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let n = Int.random(in: 1...4, using: &rng)
    let inputs = (0..<n).map { _ in
      rng.activations(
        channels: Int.random(in: 1...7, using: &rng), height: 3, width: 2, lo: -32767, hi: 32767)
    }
    let (m, s) = rng.requantization(n)
    let v = rng.format(channels: inputs.reduce(0) { $0 + $1.channels })
    return .node(
      "concat of \(inputs.map(\.channels))", ConcatOperator(multipliers: m, shifts: s),
      inputs: inputs, output: v)
  }
}
