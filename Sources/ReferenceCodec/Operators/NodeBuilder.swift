import WeightFormat

/// One stored node while its operator is being prepared: the checks every operator shares
/// (attribute ranges, input and parameter counts, output format, requantization tensors, the
/// accumulator bound of spec/integer-ops.md §3), each failing with a ``ModelError`` that names
/// the graph, the node and the reason.
struct NodeBuilder {
  let node: GraphDescription.Node
  /// The static descriptions of the node's inputs, in order.
  let inputs: [IntegerGraph.Value]
  let file: WeightFile
  let graph: String
  let number: Int

  /// An error about this node.
  func fail(_ reason: String) -> ModelError {
    .invalidNode(graph: graph, node: number, output: node.output, reason: reason)
  }

  /// The integer attribute `key`, which must lie in `range`.
  func attribute(_ key: String, _ range: ClosedRange<Int64>) throws(ModelError) -> Int {
    guard let v = node.attribute(key) else { throw fail("\(node.op) needs attribute \(key)") }
    guard range.contains(v) else {
      throw fail("attribute \(key) = \(v) is outside \(range.lowerBound)…\(range.upperBound)")
    }
    return Int(v)
  }

  /// What an operator's `build` returns: the prepared operator and its output value.
  typealias Built = (any IntegerOperator, IntegerGraph.Value)

  /// Checks that the node has one input and `parameters` parameter tensors; returns the input.
  func unaryInput(parameters: Int) throws(ModelError) -> IntegerGraph.Value {
    try expectInputs(1)
    try expectParameters(parameters)
    return inputs[0]
  }

  func expectInputs(_ n: Int) throws(ModelError) {
    guard inputs.count == n else {
      throw fail("\(node.op) takes \(n) input(s), not \(inputs.count)")
    }
  }

  func expectParameters(_ n: Int) throws(ModelError) {
    guard node.parameters.count == n else {
      throw fail("\(node.op) takes \(n) parameter tensors, not \(node.parameters.count)")
    }
  }

  /// The output value from the format attributes `exponent`, `lo`, `hi`.
  func format(channels: Int) throws(ModelError) -> IntegerGraph.Value {
    let e = try attribute("exponent", -64...64)
    let lo = try attribute("lo", -32767...32767)
    let hi = try attribute("hi", -32767...32767)
    guard lo <= hi else { throw fail("lo \(lo) > hi \(hi)") }
    return IntegerGraph.Value(
      name: node.output, channels: channels, exponent: e, lo: Int32(lo), hi: Int32(hi))
  }

  /// An output value with the given format (operators that keep or derive their input's).
  func value(channels: Int, exponent: Int, lo: Int32, hi: Int32) -> IntegerGraph.Value {
    IntegerGraph.Value(name: node.output, channels: channels, exponent: exponent, lo: lo, hi: hi)
  }

  /// Per-channel multipliers and shifts from parameter tensors 2 and 3 (§2.2).
  func requantization(_ channels: Int, lo: Int32, hi: Int32, maxShift: Int = 62)
    throws(ModelError) -> Requantization
  {
    let m = try file.integers(node.parameters[2], as: Int32.self, shape: [channels])
    let s = try file.integers(node.parameters[3], as: Int32.self, shape: [channels])
    guard m.allSatisfy({ $0 >= 1 }) else { throw fail("multipliers must be 1 … 2^31 − 1") }
    guard s.allSatisfy({ (0...Int32(maxShift)).contains($0) }) else {
      throw fail("shifts must be 0 … \(maxShift)")
    }
    return Requantization(multipliers: m, shifts: s.map(Int.init), lo: lo, hi: hi)
  }

  /// Checks a recomputed accumulator bound (§3) against 2^31 − 1 and the recorded one.
  func checkBound(_ bound: Int64) throws(ModelError) {
    guard bound <= Int64(Int32.max) else {
      throw .accumulatorBoundExceeded(graph: graph, output: node.output, bound: bound)
    }
    guard let recorded = node.attribute("accumulator_bound") else {
      throw fail("\(node.op) needs attribute accumulator_bound")
    }
    guard recorded == bound else {
      throw fail("recorded accumulator_bound \(recorded) differs from the recomputed \(bound)")
    }
  }

  /// Per-input multiplier/shift attributes `multiplier_k`, `shift_k`.
  func scalePairs(_ count: Int) throws(ModelError) -> ([Int32], [Int]) {
    var m: [Int32] = []
    var s: [Int] = []
    for k in 0..<count {
      m.append(Int32(try attribute("multiplier_\(k)", 1...Int64(Int32.max))))
      s.append(try attribute("shift_\(k)", 0...62))
    }
    return (m, s)
  }
}
