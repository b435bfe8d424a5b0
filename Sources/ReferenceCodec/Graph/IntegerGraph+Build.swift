import WeightFormat

extension IntegerGraph {
  /// The operators of spec/integer-ops.md §4–§6 by their stored names.
  public static let operatorNames = [
    "conv2d", "conv_transpose2d", "gdn", "igdn", "relu", "leaky_relu", "abs", "clamp", "add",
    "concat", "pixel_shuffle", "affine", "conditioned_affine",
  ]

  /// Checks one node and prepares its kernel; returns the operation and its output value.
  static func build(
    _ node: GraphDescription.Node, inputs: [Value], file: WeightFile, graph: String, number: Int
  ) throws(ModelError) -> (Operation, Value) {
    func fail(_ reason: String) -> ModelError {
      .invalidNode(graph: graph, node: number, output: node.output, reason: reason)
    }
    func attribute(_ key: String, _ range: ClosedRange<Int64>) throws(ModelError) -> Int {
      guard let v = node.attribute(key) else { throw fail("\(node.op) needs attribute \(key)") }
      guard range.contains(v) else {
        throw fail("attribute \(key) = \(v) is outside \(range.lowerBound)…\(range.upperBound)")
      }
      return Int(v)
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
    /// The output format attributes exponent, lo, hi.
    func format(channels: Int) throws(ModelError) -> Value {
      let e = try attribute("exponent", -64...64)
      let lo = try attribute("lo", -32767...32767)
      let hi = try attribute("hi", -32767...32767)
      guard lo <= hi else { throw fail("lo \(lo) > hi \(hi)") }
      return Value(name: node.output, channels: channels, exponent: e, lo: Int32(lo), hi: Int32(hi))
    }
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
    /// Per-tensor multiplier/shift attributes `multiplier_k`, `shift_k`.
    func scalePairs(_ count: Int) throws(ModelError) -> ([Int32], [Int]) {
      var m: [Int32] = []
      var s: [Int] = []
      for k in 0..<count {
        m.append(Int32(try attribute("multiplier_\(k)", 1...Int64(Int32.max))))
        s.append(try attribute("shift_\(k)", 0...62))
      }
      return (m, s)
    }

    switch node.op {
    case "conv2d", "conv_transpose2d":
      try expectInputs(1)
      try expectParameters(4)
      let x = inputs[0]
      let k = try attribute("kernel", 1...15)
      let stride = try attribute("stride", 1...8)
      let padding = try attribute("padding", 0...Int64(k - 1))
      let transposed = node.op == "conv_transpose2d"
      let outputPadding = transposed ? try attribute("output_padding", 0...Int64(stride - 1)) : 0
      guard let weight = file.tensor(named: node.parameters[0]), weight.shape.count == 4 else {
        throw fail("weight tensor \(node.parameters[0]) missing or not 4-D")
      }
      let cout = transposed ? weight.shape[1] : weight.shape[0]
      let cin = transposed ? weight.shape[0] : weight.shape[1]
      guard cin == x.channels else {
        throw fail("weight has \(cin) input channels, input \(x.name) has \(x.channels)")
      }
      guard weight.shape[2] == k && weight.shape[3] == k, (1...65536).contains(cout) else {
        throw fail("weight shape \(weight.shape) does not match kernel \(k)")
      }
      let w = try file.integers(node.parameters[0], as: Int16.self, shape: weight.shape)
      let b = try file.integers(node.parameters[1], as: Int32.self, shape: [cout])
      let out = try format(channels: cout)
      let layer = ConvolutionLayer(
        kind: transposed ? .transposed(outputPadding: outputPadding) : .convolution,
        inputChannels: cin, outputChannels: cout, kernel: k, stride: stride, padding: padding,
        weights: w, biases: b, requantization: try requantization(cout, lo: out.lo, hi: out.hi))
      let packed = PackedConvolution(layer)
      try checkBound(packed.accumulatorBound(inputBound: x.bound))
      return (.convolution(packed), out)

    case "gdn", "igdn":
      try expectInputs(1)
      try expectParameters(4)
      let x = inputs[0]
      let c = x.channels
      let gamma = try file.integers(node.parameters[0], as: Int16.self, shape: [c, c])
      let beta = try file.integers(node.parameters[1], as: Int32.self, shape: [c])
      let t = try attribute("square_shift", 0...30)
      let out = try format(channels: c)
      let inverse = node.op == "igdn"
      let layer = GDNLayer(
        channels: c, gamma: gamma, beta: beta, squareShift: t,
        requantization: try requantization(c, lo: out.lo, hi: out.hi, maxShift: inverse ? 62 : 46),
        inverse: inverse)
      try checkBound(layer.accumulatorBound(inputBound: x.bound))
      return (.gdn(PackedGDN(layer)), out)

    case "relu":
      try expectInputs(1)
      try expectParameters(0)
      let x = inputs[0]
      return (
        .relu,
        Value(
          name: node.output, channels: x.channels, exponent: x.exponent, lo: max(x.lo, 0),
          hi: max(x.hi, 0))
      )

    case "leaky_relu":
      try expectInputs(1)
      try expectParameters(0)
      let x = inputs[0]
      let a = try attribute("slope", 0...32767)
      let sa = try attribute("slope_shift", 0...30)
      let lo = x.lo < 0 ? IntegerMath.rshift(Int64(x.lo) * Int64(a), sa) : Int64(x.lo)
      return (
        .leakyReLU(slope: Int32(a), shift: sa),
        Value(
          name: node.output, channels: x.channels, exponent: x.exponent, lo: Int32(lo), hi: x.hi)
      )

    case "abs":
      try expectInputs(1)
      try expectParameters(0)
      let x = inputs[0]
      let lo: Int32 = x.lo <= 0 && x.hi >= 0 ? 0 : min(abs(x.lo), abs(x.hi))
      return (
        .abs,
        Value(
          name: node.output, channels: x.channels, exponent: x.exponent, lo: lo,
          hi: Int32(x.bound))
      )

    case "clamp":
      try expectInputs(1)
      try expectParameters(0)
      let x = inputs[0]
      let lo = Int32(try attribute("lo", -32767...32767))
      let hi = Int32(try attribute("hi", -32767...32767))
      guard lo <= hi else { throw fail("lo \(lo) > hi \(hi)") }
      return (
        .clamp,
        Value(name: node.output, channels: x.channels, exponent: x.exponent, lo: lo, hi: hi)
      )

    case "add":
      try expectInputs(2)
      try expectParameters(0)
      guard inputs[0].channels == inputs[1].channels else {
        throw fail("add needs inputs with equal channel counts")
      }
      let (m, s) = try scalePairs(2)
      return (.add(multipliers: m, shifts: s), try format(channels: inputs[0].channels))

    case "concat":
      guard inputs.count >= 1 && inputs.count <= 64 else {
        throw fail("concat takes 1 … 64 inputs")
      }
      try expectParameters(0)
      let (m, s) = try scalePairs(inputs.count)
      let channels = inputs.reduce(0) { $0 + $1.channels }
      guard channels <= 65536 else { throw fail("concat output has \(channels) channels") }
      return (.concat(multipliers: m, shifts: s), try format(channels: channels))

    case "pixel_shuffle":
      try expectInputs(1)
      try expectParameters(0)
      let x = inputs[0]
      let r = try attribute("factor", 1...8)
      guard x.channels % (r * r) == 0 else {
        throw fail("pixel_shuffle by \(r) needs a multiple of \(r * r) channels, not \(x.channels)")
      }
      return (
        .pixelShuffle(factor: r),
        Value(
          name: node.output, channels: x.channels / (r * r), exponent: x.exponent, lo: x.lo,
          hi: x.hi)
      )

    case "affine":
      try expectInputs(1)
      try expectParameters(4)
      let c = inputs[0].channels
      let a = try file.integers(node.parameters[0], as: Int16.self, shape: [c])
      let b = try file.integers(node.parameters[1], as: Int32.self, shape: [c])
      let out = try format(channels: c)
      let q = try requantization(c, lo: out.lo, hi: out.hi)
      return (
        .affine(scale: a, bias: b, multipliers: q.multipliers, shifts: q.shifts), out
      )

    case "conditioned_affine":
      try expectInputs(1)
      try expectParameters(4)
      let c = inputs[0].channels
      guard let record = file.tensor(named: node.parameters[0]), record.shape.count == 2,
        record.shape[1] == c, (1...65536).contains(record.shape[0])
      else {
        throw fail("scale table \(node.parameters[0]) must be int16 (levels, \(c))")
      }
      let levels = record.shape[0]
      let a = try file.integers(node.parameters[0], as: Int16.self, shape: [levels, c])
      let b = try file.integers(node.parameters[1], as: Int32.self, shape: [levels, c])
      let out = try format(channels: c)
      let q = try requantization(c, lo: out.lo, hi: out.hi)
      return (
        .conditionedAffine(
          levels: levels, scale: a, bias: b, multipliers: q.multipliers, shifts: q.shifts), out
      )

    default:
      throw fail(
        "unknown operator \(node.op) (known: \(operatorNames.joined(separator: ", ")))")
    }
  }
}
