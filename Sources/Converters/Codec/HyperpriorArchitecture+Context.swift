import WeightFormat

/// mbt2018's context model (CompressAI `JointAutoregressiveHierarchicalPriors`):
/// `context_prediction` = MaskedConv2d(M, 2M, k5, padding 2, mask type A) and
/// `entropy_parameters` = conv1×1(4M → 10M/3) LeakyReLU conv1×1(10M/3 → 8M/3) LeakyReLU
/// conv1×1(8M/3 → 2M) on cat(params, ctx), whose first M outputs are the scales and last M the
/// means (split into two integer nodes, as mbt2018-mean's h_s.4).
extension HyperpriorArchitecture {
  /// Whether kernel tap (u, v) of a 5×5 type-A mask is causal: rows above the centre, and the
  /// centre row left of the centre.
  static func isCausalTap(u: Int, v: Int) -> Bool { u < 2 || (u == 2 && v < 2) }

  /// The context model's two float networks from the state dict.
  ///
  /// The context weights are multiplied by the type-A mask, as CompressAI's `compress` does; a
  /// stored `context_prediction.mask` buffer must be that mask.
  ///
  /// - Throws: ``ConverterError/profileMismatch(profile:reason:)`` naming the array at fault.
  static func contextModel(_ dict: StateDict, m: Int) throws -> (FloatNetwork, FloatNetwork) {
    let shape = [2 * m, m, 5, 5]
    var weight = try dict.floats("context_prediction.weight", shape: shape)
    let bias = try dict.floats("context_prediction.bias", shape: [2 * m])
    let mask: [Double]? =
      dict.arrays["context_prediction.mask"] == nil
      ? nil : try dict.floats("context_prediction.mask", shape: shape)
    for j in weight.indices {
      let (u, v) = ((j / 5) % 5, j % 5)
      let causal = isCausalTap(u: u, v: v)
      if let mask, mask[j] != (causal ? 1 : 0) {
        throw dict.fail(
          "context_prediction.mask is not CompressAI's type-A mask (value \(mask[j]) at tap (\(u), \(v)))"
        )
      }
      if !causal { weight[j] = 0 }
    }
    let context = FloatNetwork(
      name: CodecModelSchema.Graph.contextPrediction, input: "y_hat", inputChannels: m,
      layers: [
        layer(
          "context_prediction", input: "y_hat", output: "ctx", weight: weight, bias: bias,
          cin: m, cout: 2 * m, k: 5)
      ], outputs: ["ctx"])

    let widths = [4 * m, m * 10 / 3, m * 8 / 3, 2 * m]
    var layers: [FloatNetwork.Layer] = [
      FloatNetwork.Layer(
        kind: .concat(others: ["ctx"]), input: "params", output: "entropy_parameters.cat",
        prefix: "entropy_parameters.cat")
    ]
    var previous = "entropy_parameters.cat"
    for i in 0..<3 {
      let prefix = "entropy_parameters.\(2 * i)"
      let (cin, cout) = (widths[i], widths[i + 1])
      let w = try dict.floats(prefix + ".weight", shape: [cout, cin, 1, 1])
      let b = try dict.floats(prefix + ".bias", shape: [cout])
      if i < 2 {
        layers.append(
          layer(
            prefix, input: previous, output: prefix, weight: w, bias: b, cin: cin, cout: cout, k: 1)
        )
        let act = "entropy_parameters.\(2 * i + 1)"
        layers.append(
          FloatNetwork.Layer(kind: .leakyReLU(slope: 0.01), input: prefix, output: act, prefix: act)
        )
        previous = act
      } else {
        for (name, range) in [("scales", 0..<m), ("means", m..<(2 * m))] {
          layers.append(
            layer(
              prefix, input: previous, output: name,
              weight: Array(w[(range.lowerBound * cin)..<(range.upperBound * cin)]),
              bias: Array(b[range]), cin: cin, cout: m, k: 1, prefix: prefix + "." + name))
        }
      }
    }
    let parameters = FloatNetwork(
      name: CodecModelSchema.Graph.entropyParameters, input: "params", inputChannels: 2 * m,
      layers: layers, outputs: ["scales", "means"], extraInputs: [(name: "ctx", channels: 2 * m)])
    return (context, parameters)
  }

  /// A stride-1 convolution with padding k / 2.
  private static func layer(
    _ name: String, input: String, output: String, weight: [Double], bias: [Double], cin: Int,
    cout: Int, k: Int, prefix: String? = nil
  ) -> FloatNetwork.Layer {
    FloatNetwork.Layer(
      kind: .convolution(
        weight: weight.map { Float($0) }, bias: bias.map { Float($0) }, inChannels: cin,
        outChannels: cout, kernel: k, stride: 1, padding: k / 2, transposed: false,
        outputPadding: 0),
      input: input, output: output, prefix: prefix ?? name)
  }
}
