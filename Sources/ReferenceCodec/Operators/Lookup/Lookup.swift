import WeightFormat

/// `lookup` (spec/integer-ops.md §6.1): a stored int16 table indexed by the rounded input.
///
/// The output is `T[clamp(rshift(x, k), first, first + L − 1) − first]` for a table T of L
/// entries, the same table for every channel. The converter stores the logistic sigmoid this
/// way (§6.1.1).
///
/// Bit-exact: the output is a table entry chosen by integer arithmetic alone; the loader checks
/// that every entry lies in the output clamp range, so no output clamp is needed.
struct LookupOperator: IntegerOperator {
  /// The table T (1 … 65535 entries).
  let table: [Int16]
  /// The index shift k (0 … 15).
  let shift: Int
  /// The index value of T[0].
  let first: Int

  static let definition = OperatorDefinition(
    names: [.lookup], specSection: "spec/integer-ops.md §6.1",
    attributes: ["shift", "first", "exponent", "lo", "hi"], parameters: ["table int16 (L)"],
    reference: "LookupOperator.run", fastPaths: [], build: build, randomCase: randomCase)

  /// The table entry for one input value: the §6.1 index computation.
  @inline(__always)
  func entry(_ x: Int16) -> Int16 {
    let i = IntegerMath.rshift(Int64(x), shift)
    let clamped = min(max(i, Int64(first)), Int64(first + table.count - 1))
    return table[Int(clamped) - first]
  }

  func run(
    _ inputs: [ChannelsLastActivations], output v: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    inputs[0].map(format: v) { _, q in entry(q) }
  }

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    let x = try b.unaryInput(parameters: 1)
    let k = try b.attribute("shift", 0...15)
    let first = try b.attribute("first", -32767...32767)
    let name = b.node.parameters[0]
    guard let record = b.file.tensor(named: name), record.shape.count == 1,
      (1...65535).contains(record.shape[0])
    else { throw b.fail("table \(name) must be int16 (L) with 1 ≤ L ≤ 65535") }
    let table = try b.file.integers(name, as: Int16.self, shape: record.shape)
    guard first + table.count - 1 <= 32767 else {
      throw b.fail("table \(name): first \(first) + L \(table.count) − 1 exceeds 32767")
    }
    let out = try b.format(channels: x.channels)
    if let bad = table.firstIndex(where: { $0 < out.lo || $0 > out.hi }) {
      throw b.fail(
        "table \(name) entry \(bad) = \(table[bad]) is outside the output range \(out.lo)…\(out.hi)"
      )
    }
    return (LookupOperator(table: table, shift: k, first: first), out)
  }

  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let c = Int.random(in: 1...9, using: &rng)
    let k = Int.random(in: 0...15, using: &rng)
    let length = Int.random(in: 1...600, using: &rng)
    // Index values rshift(x, k) lie in rshift(−32767, k) … rshift(32767, k); tables start
    // below, inside and above them so both clamps are exercised.
    let lowest = Int(IntegerMath.rshift(-32767, k))
    let highest = Int(IntegerMath.rshift(32767, k))
    let first = Int.random(
      in: max(-32767, lowest - length)...min(32767 - length + 1, highest), using: &rng)
    let v = rng.format(channels: c)
    let table = (0..<length).map { _ in Int16(Int32.random(in: v.lo...v.hi, using: &rng)) }
    let x = rng.activations(channels: c, height: 3, width: 4, lo: -32767, hi: 32767)
    return .node(
      "lookup C\(c) k\(k) first \(first) L\(length)",
      LookupOperator(table: table, shift: k, first: first), inputs: [x], output: v)
  }
}
