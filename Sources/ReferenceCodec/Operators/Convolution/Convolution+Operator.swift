import WeightFormat

extension PackedConvolution: IntegerOperator {
  func run(
    _ inputs: [ChannelsLastActivations], output: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    run(inputs[0], outputExponent: output.exponent, threads: context.threads, path: context.path)
  }

  func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
    layer.outputSize(height: height, width: width)
  }

  func inputRows(_ rows: Range<Int>) -> Range<Int> {
    layer.inputRows(rows)
  }

  var rowScale: (up: Int, down: Int) {
    switch layer.kind {
    case .convolution: (1, layer.stride)
    case .transposed: (layer.stride, 1)
    }
  }

  func multiplyAccumulates(input: (height: Int, width: Int), output: (height: Int, width: Int))
    -> Int
  {
    let l = layer
    let taps = l.outputChannels * l.inputChannels * l.kernel * l.kernel
    switch l.kind {
    case .convolution: return output.height * output.width * taps
    case .transposed: return input.height * input.width * taps
    }
  }
}

/// `conv2d` and `conv_transpose2d` (spec/integer-ops.md §4, §4.1): reference
/// ``ConvolutionLayer/reference(_:outputExponent:)``, fast kernel ``PackedConvolution`` over
/// CKernels `gic_conv2d_s16` (Convolution/conv2d.c, Convolution/conv2d_avx2.c).
enum ConvolutionOperator: RequantizedLayerOperator {
  static let definition = row(
    [.conv2d, .convTranspose2d], spec: "spec/integer-ops.md §4, §4.1",
    attributes: ["kernel", "stride", "padding", "output_padding (transposed)"],
    parameters: ["weight int16", "bias int32"], reference: "ConvolutionLayer.reference",
    fastPath: "PackedConvolution.run: gic_conv2d_s16 (portable C, AVX2)")

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    let x = try b.unaryInput(parameters: 4)
    let node = b.node
    let k = try b.attribute("kernel", 1...15)
    let stride = try b.attribute("stride", 1...8)
    let padding = try b.attribute("padding", 0...Int64(k - 1))
    let transposed = node.op == OperatorName.convTranspose2d.rawValue
    let outputPadding = transposed ? try b.attribute("output_padding", 0...Int64(stride - 1)) : 0
    guard let weight = b.file.tensor(named: node.parameters[0]), weight.shape.count == 4 else {
      throw b.fail("weight tensor \(node.parameters[0]) missing or not 4-D")
    }
    let cout = transposed ? weight.shape[1] : weight.shape[0]
    let cin = transposed ? weight.shape[0] : weight.shape[1]
    guard cin == x.channels else {
      throw b.fail("weight has \(cin) input channels, input \(x.name) has \(x.channels)")
    }
    guard weight.shape[2] == k && weight.shape[3] == k, (1...65536).contains(cout) else {
      throw b.fail("weight shape \(weight.shape) does not match kernel \(k)")
    }
    let w = try b.file.integers(node.parameters[0], as: Int16.self, shape: weight.shape)
    let bias = try b.file.integers(node.parameters[1], as: Int32.self, shape: [cout])
    let out = try b.format(channels: cout)
    let layer = ConvolutionLayer(
      kind: transposed ? .transposed(outputPadding: outputPadding) : .convolution,
      inputChannels: cin, outputChannels: cout, kernel: k, stride: stride, padding: padding,
      weights: w, biases: bias, requantization: try b.requantization(cout, lo: out.lo, hi: out.hi))
    let packed = PackedConvolution(layer)
    try b.checkBound(packed.accumulatorBound(inputBound: x.bound))
    return (packed, out)
  }

  /// A random layer and input whose accumulator bound is at most 2^31 − 1 but near it.
  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let transposed = Bool.random(using: &rng)
    let cin = Int.random(in: 1...19, using: &rng)
    let cout = Int.random(in: 1...19, using: &rng)
    let k = [1, 3, 5].randomElement(using: &rng) ?? 3
    let stride = Int.random(in: 1...(transposed ? 2 : 3), using: &rng)
    let padding = Int.random(in: 0...(k - 1), using: &rng)
    let outputPadding = transposed ? Int.random(in: 0...(stride - 1), using: &rng) : 0
    let (h, w) = (Int.random(in: 1...9, using: &rng), Int.random(in: 1...9, using: &rng))
    let bounds: [Int32] = [32767, 4095, 255, 1]
    let x = bounds[Int.random(in: 0..<bounds.count, using: &rng)]
    let taps = Int64(cin * k * k)
    let biasBound: Int64 = 1 << 20
    let wmax = Int16(min(32767, (Int64(Int32.max) - biasBound) / (taps * Int64(x))))
    let weights = (0..<(cin * cout * k * k)).map { _ in
      Int16.random(in: -wmax...wmax, using: &rng)
    }
    let biases = (0..<cout).map { _ in
      Int32.random(in: -Int32(biasBound)...Int32(biasBound), using: &rng)
    }
    let out = rng.format(channels: cout)
    let (m, s) = rng.requantization(cout)
    let layer = ConvolutionLayer(
      kind: transposed ? .transposed(outputPadding: outputPadding) : .convolution,
      inputChannels: cin, outputChannels: cout, kernel: k, stride: stride, padding: padding,
      weights: weights, biases: biases,
      requantization: Requantization(multipliers: m, shifts: s, lo: out.lo, hi: out.hi))
    let packed = PackedConvolution(layer)
    let input = rng.activations(channels: cin, height: h, width: w, lo: -x, hi: x)
    let (oh, ow) = layer.outputSize(height: h, width: w)
    let description =
      "\(transposed ? "deconv" : "conv") \(cin)→\(cout) k\(k) s\(stride) p\(padding) \(h)×\(w)"
    guard oh > 0 && ow > 0 else {
      return OperatorCase(description, reference: { [] }, run: { _, _ in [] })
    }
    return .kernel(description, input: input, outputExponent: out.exponent, fast: packed) {
      layer.reference($0, outputExponent: $1)
    }
  }
}
