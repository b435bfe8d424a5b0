import WeightFormat

/// `affine` and `conditioned_affine` (spec/integer-ops.md §6):
/// requant(x[c]·a[c] + b[c], m[c], s[c], lo, hi), exact in 64 bits; the conditioned form takes
/// a and b from row `level` of (levels, C) tables.
struct AffineOperator: IntegerOperator {
  /// a and b, `rows` × C each (1 row for `affine`).
  let scale: [Int16]
  let bias: [Int32]
  let multipliers: [Int32]
  let shifts: [Int]
  /// The number of conditioning levels (`conditioned_affine`), nil for `affine`.
  let levels: Int?

  static let definition = OperatorDefinition(
    names: [.affine, .conditionedAffine], specSection: "spec/integer-ops.md §6",
    attributes: ["exponent", "lo", "hi"],
    parameters: ["scale int16 (C) or (levels, C)", "bias int32 (C) or (levels, C)"]
      + Requantization.parameterTensors,
    reference: "AffineOperator.run", fastPaths: [], build: build, randomCase: randomCase)

  func run(
    _ inputs: [ChannelsLastActivations], output v: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    let x = inputs[0]
    let row = levels == nil ? 0 : context.level * x.channels
    return x.map(format: v) { ch, q in
      let acc = Int64(q) * Int64(scale[row + ch]) + Int64(bias[row + ch])
      return Int16(IntegerMath.requant(acc, multipliers[ch], shifts[ch], v.lo, v.hi))
    }
  }

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    _ = try b.unaryInput(parameters: 4)
    let c = b.inputs[0].channels
    let node = b.node
    var levels: Int? = nil
    var shape = [c]
    if node.op == OperatorName.conditionedAffine.rawValue {
      guard let record = b.file.tensor(named: node.parameters[0]), record.shape.count == 2,
        record.shape[1] == c, (1...65536).contains(record.shape[0])
      else {
        throw b.fail("scale table \(node.parameters[0]) must be int16 (levels, \(c))")
      }
      levels = record.shape[0]
      shape = [record.shape[0], c]
    }
    let a = try b.file.integers(node.parameters[0], as: Int16.self, shape: shape)
    let bias = try b.file.integers(node.parameters[1], as: Int32.self, shape: shape)
    let out = try b.format(channels: c)
    let q = try b.requantization(c, lo: out.lo, hi: out.hi)
    return (
      AffineOperator(
        scale: a, bias: bias, multipliers: q.multipliers, shifts: q.shifts, levels: levels),
      out
    )
  }

  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let c = Int.random(in: 1...9, using: &rng)
    let levels = Bool.random(using: &rng) ? Int.random(in: 1...4, using: &rng) : nil
    let rows = levels ?? 1
    let a = (0..<(rows * c)).map { _ in Int16.random(in: Int16.min...Int16.max, using: &rng) }
    let b = (0..<(rows * c)).map { _ in Int32.random(in: Int32.min...Int32.max, using: &rng) }
    let (m, s) = rng.requantization(c)
    let x = rng.activations(channels: c, height: 3, width: 4, lo: -32767, hi: 32767)
    let v = rng.format(channels: c)
    let level = Int.random(in: 0..<rows, using: &rng)
    return .node(
      "\(levels == nil ? "affine" : "conditioned_affine level \(level)/\(rows)") C\(c)",
      AffineOperator(scale: a, bias: b, multipliers: m, shifts: s, levels: levels), inputs: [x],
      output: v, level: level)
  }
}
