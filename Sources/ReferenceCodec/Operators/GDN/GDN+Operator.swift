import WeightFormat

extension PackedGDN: IntegerOperator {
  func run(
    _ inputs: [ChannelsLastActivations], output: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    run(inputs[0], outputExponent: output.exponent, threads: context.threads, path: context.path)
  }

  /// GDN writes over its input when it is the input's last reader: one tensor fewer to
  /// allocate and fault in (at 768 × 512, g_a's first GDN would take another 24 MiB).
  func runConsuming(
    _ inputs: consuming [ChannelsLastActivations], output: IntegerGraph.Value,
    context: OperatorContext
  ) -> ChannelsLastActivations {
    let x = inputs[0]
    inputs = []  // `x` is now the only reference
    return runInPlace(
      consume x, outputExponent: output.exponent, threads: context.threads, path: context.path)
  }

  func multiplyAccumulates(input: (height: Int, width: Int), output: (height: Int, width: Int))
    -> Int
  { input.height * input.width * layer.channels * layer.channels }
}

/// `gdn` and `igdn` (spec/integer-ops.md §5): reference ``GDNLayer/reference(_:outputExponent:)``,
/// fast kernel ``PackedGDN`` over CKernels `gic_gdn_s16` (GDN/gdn.c).
enum GDNOperator: RequantizedLayerOperator {
  static let definition = row(
    [.gdn, .igdn], spec: "spec/integer-ops.md §5", attributes: ["square_shift"],
    parameters: ["gamma int16 (C, C)", "beta int32"], reference: "GDNLayer.reference",
    fastPath: "PackedGDN.run: gic_gdn_s16 (portable C, AVX2)")

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    let x = try b.unaryInput(parameters: 4)
    let c = x.channels
    let gamma = try b.file.integers(b.node.parameters[0], as: Int16.self, shape: [c, c])
    let beta = try b.file.integers(b.node.parameters[1], as: Int32.self, shape: [c])
    let t = try b.attribute("square_shift", 0...30)
    let out = try b.format(channels: c)
    let inverse = b.node.op == OperatorName.igdn.rawValue
    let layer = GDNLayer(
      channels: c, gamma: gamma, beta: beta, squareShift: t,
      requantization: try b.requantization(c, lo: out.lo, hi: out.hi, maxShift: inverse ? 62 : 46),
      inverse: inverse)
    try b.checkBound(layer.accumulatorBound(inputBound: x.bound))
    return (PackedGDN(layer), out)
  }

  /// A random layer and input whose norm accumulator stays within 2^31 − 1.
  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let inverse = Bool.random(using: &rng)
    let c = Int.random(in: 1...21, using: &rng)
    let (h, w) = (Int.random(in: 1...9, using: &rng), Int.random(in: 1...9, using: &rng))
    let bounds: [Int32] = [32767, 4095, 255, 16]
    let x = bounds[Int.random(in: 0..<bounds.count, using: &rng)]
    let t = Int.random(in: 0...30, using: &rng)
    let u = GDNLayer.squareBound(Int64(x), shift: t)
    let betaBound: Int64 = 1 << 24
    let gmax = Int16(min(32767, (Int64(Int32.max) - betaBound) / (Int64(c) * max(u, 1))))
    let gamma = (0..<(c * c)).map { _ in Int16.random(in: -gmax...gmax, using: &rng) }
    let beta = (0..<c).map { _ in
      Int32.random(in: -Int32(betaBound)...Int32(betaBound), using: &rng)
    }
    let out = rng.format(channels: c)
    let (m, s) = rng.requantization(c, maxShift: inverse ? 62 : 46)
    let layer = GDNLayer(
      channels: c, gamma: gamma, beta: beta, squareShift: t,
      requantization: Requantization(multipliers: m, shifts: s, lo: out.lo, hi: out.hi),
      inverse: inverse)
    let packed = PackedGDN(layer)
    let input = rng.activations(channels: c, height: h, width: w, lo: -x, hi: x)
    return .kernel(
      "\(inverse ? "igdn" : "gdn") C\(c) t\(t) |x|≤\(x) \(h)×\(w)", input: input,
      outputExponent: out.exponent, fast: packed
    ) { layer.reference($0, outputExponent: $1) }
  }
}
