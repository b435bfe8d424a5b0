import WeightFormat

/// CompressAI's `Cheng2020Anchor(N)` (M = N) as the codec profile `cheng2020-anchor`
/// (spec/bitstream.md §12), and its subclass `Cheng2020Attention(N)` as `cheng2020-attn` (§13):
/// residual transforms and mbt2018's context model.
///
/// Layouts (CompressAI 1.2.8 `compressai/models/waseda.py`, `compressai/layers/layers.py`;
/// conv3x3 is k3 p1, conv1x1 k1 p0, subpel_conv3x3(r) a conv3x3 to r²× the channels followed by
/// PixelShuffle(r), every LeakyReLU of slope 0.01):
/// - ResidualBlockWithStride(in, out): conv1 (conv3x3 s2) LeakyReLU conv2 (conv3x3) GDN, plus
///   skip (conv1x1 s2) of the block's input.
/// - ResidualBlock(in, out): conv1 LeakyReLU conv2 LeakyReLU (both conv3x3 s1), plus the input
///   (a skip conv1x1 when in ≠ out; never in this model).
/// - ResidualBlockUpsample(in, out): subpel_conv (subpel_conv3x3 r2) LeakyReLU conv (conv3x3)
///   inverse GDN, plus upsample (subpel_conv3x3 r2) of the block's input.
/// - AttentionBlock(N) (cheng2020-attn only; `Cheng2020Architecture+Attention.swift`).
/// - g_a = RBWS(3→N) RB RBWS RB RBWS RB conv3x3(s2): stride 16; cheng2020-attn inserts an
///   attention block after the second RBWS and after the last convolution.
/// - g_s = RB RBU RB RBU RB RBU RB subpel_conv3x3(N→3, r2); cheng2020-attn inserts an attention
///   block first and after the second RBU.
/// - h_a = conv3x3 LReLU conv3x3 LReLU conv3x3(s2) LReLU conv3x3 LReLU conv3x3(s2): stride 4.
/// - h_s = conv3x3 LReLU subpel(N→N) LReLU conv3x3(N→3N/2) LReLU subpel(3N/2→3N/2) LReLU
///   conv3x3(3N/2→2N) → params, read by the context model as in mbt2018.
///
/// Value names are CompressAI's module paths (`g_a.0.conv1`, `g_s.1.subpel_conv.1`, …); a
/// block's output is named after the block (`g_a.0`), a ResidualBlock's two activations
/// `<block>.leaky_relu` and `<block>.leaky_relu.2`.
enum Cheng2020Architecture {
  /// One module of g_a or g_s, in `nn.Sequential` order.
  enum Block {
    /// ResidualBlockWithStride (3 input channels when first).
    case withStride
    /// ResidualBlock(N, N).
    case residual
    /// AttentionBlock(N).
    case attention
    /// g_a's last convolution, conv3x3(N, N, stride 2).
    case downsample
    /// ResidualBlockUpsample(N, N, 2).
    case upsample
    /// g_s's last module, subpel_conv3x3(N, 3, 2).
    case pixels
  }

  /// The profiles this architecture converts.
  static let profiles: [ModelProfile] = [.cheng2020Anchor, .cheng2020Attn]

  /// g_a's modules; `attention`: Cheng2020Attention's.
  static func analysisBlocks(attention: Bool) -> [Block] {
    var blocks: [Block] = [.withStride, .residual, .withStride, .residual, .withStride, .residual]
    blocks.append(.downsample)
    if attention {
      blocks.insert(.attention, at: 3)
      blocks.append(.attention)
    }
    return blocks
  }

  /// g_s's modules; `attention`: Cheng2020Attention's.
  static func synthesisBlocks(attention: Bool) -> [Block] {
    var blocks: [Block] = [.residual, .upsample, .residual, .upsample, .residual, .upsample]
    blocks += [.residual, .pixels]
    if attention {
      blocks.insert(.attention, at: 0)
      blocks.insert(.attention, at: 5)
    }
    return blocks
  }

  /// The parameter arrays of a Cheng2020Anchor(N) (`attention`: Cheng2020Attention(N)) state
  /// dict, with their shapes.
  ///
  /// Keys without `module.`; the names do not depend on N. Of the entropy models' arrays only
  /// the bottleneck's quantiles are listed (the others: ``keys(for:)``).
  static func parameterShapes(n: Int, attention: Bool = false) -> [(key: String, shape: [Int])] {
    var shapes: [(key: String, shape: [Int])] = []
    func conv(_ prefix: String, _ cin: Int, _ cout: Int, _ k: Int) {
      shapes += convolutionShapes(prefix, cin, cout, k)
    }
    func gdn(_ prefix: String, _ c: Int) {
      for (p, shape) in [("beta", [c]), ("gamma", [c, c])] {
        shapes += [
          ("\(prefix).\(p)", shape), ("\(prefix).\(p)_reparam.pedestal", [1]),
          ("\(prefix).\(p)_reparam.lower_bound.bound", [1]),
        ]
      }
    }
    let transforms = [
      ("g_a", analysisBlocks(attention: attention)), ("g_s", synthesisBlocks(attention: attention)),
    ]
    for (name, blocks) in transforms {
      for (i, block) in blocks.enumerated() {
        let b = "\(name).\(i)"
        switch block {
        case .withStride:
          conv(b + ".conv1", i == 0 ? 3 : n, n, 3)
          conv(b + ".conv2", n, n, 3)
          gdn(b + ".gdn", n)
          conv(b + ".skip", i == 0 ? 3 : n, n, 1)
        case .residual:
          conv(b + ".conv1", n, n, 3)
          conv(b + ".conv2", n, n, 3)
        case .attention: shapes += attentionShapes(b, n: n)
        case .downsample: conv(b, n, n, 3)
        case .upsample:
          conv(b + ".subpel_conv.0", n, 4 * n, 3)
          conv(b + ".conv", n, n, 3)
          gdn(b + ".igdn", n)
          conv(b + ".upsample.0", n, 4 * n, 3)
        case .pixels: conv(b + ".0", n, 12, 3)
        }
      }
    }
    for i in [0, 2, 4, 6, 8] { conv("h_a.\(i)", n, n, 3) }
    let wide = n * 3 / 2
    conv("h_s.0", n, n, 3)
    conv("h_s.2.0", n, 4 * n, 3)
    conv("h_s.4", n, wide, 3)
    conv("h_s.6.0", wide, 4 * wide, 3)
    conv("h_s.8", wide, 2 * n, 3)
    shapes.append(("context_prediction.weight", [2 * n, n, 5, 5]))
    shapes.append(("context_prediction.bias", [2 * n]))
    let widths = [4 * n, n * 10 / 3, n * 8 / 3, 2 * n]
    for i in 0..<3 { conv("entropy_parameters.\(2 * i)", widths[i], widths[i + 1], 1) }
    shapes.append(("entropy_bottleneck.quantiles", [n, 1, 3]))
    return shapes
  }

  /// A convolution's weight (C_out, C_in, k, k) and bias (C_out).
  static func convolutionShapes(_ prefix: String, _ cin: Int, _ cout: Int, _ k: Int)
    -> [(key: String, shape: [Int])]
  {
    [(prefix + ".weight", [cout, cin, k, k]), (prefix + ".bias", [cout])]
  }

  /// Every key profile `cheng2020-anchor` (`cheng2020-attn`) reads or accepts (without
  /// `module.`): the parameters, the context mask buffer, and the entropy models' arrays in
  /// every spelling the hyperprior profiles accept.
  static func keys(for profile: ModelProfile) -> Set<String> {
    profile == .cheng2020Attn ? attentionKeys : anchorKeys
  }

  private static let anchorKeys = keys(attention: false)
  private static let attentionKeys = keys(attention: true)

  private static func keys(attention: Bool) -> Set<String> {
    Set(parameterShapes(n: 2, attention: attention).map(\.key))
      .union(
        CompressAIArchitecture.contextModelKeys.filter {
          $0.hasPrefix("entropy_bottleneck.") || $0.hasPrefix("gaussian_conditional.")
            || $0.hasPrefix("context_prediction.")
        })
  }

  /// The first difference between `stripped` (keys without `module.`) and a state dict of
  /// `profile` (Cheng2020Anchor or Cheng2020Attention): a missing array, one of the wrong shape
  /// for N (g_a.0.conv1's outputs), or one the profile does not read; nil when they agree.
  static func mismatch(_ stripped: [String: [Int]], profile: ModelProfile) -> String? {
    let first = "g_a.0.conv1.weight"
    guard let ga0 = stripped[first] else { return "missing array \(first)" }
    guard ga0.count == 4, ga0[0] >= 1 else {
      return "\(first) has shape \(ga0), expected (N, 3, 3, 3)"
    }
    let n = ga0[0]
    for (key, shape) in parameterShapes(n: n, attention: profile == .cheng2020Attn) {
      guard let s = stripped[key] else { return "missing array \(key)" }
      guard s == shape else { return "\(key) has shape \(s), expected \(shape) for N = \(n)" }
    }
    let scales = "gaussian_conditional.scale_table"
    guard stripped[scales] != nil else { return "missing array \(scales)" }
    let known = keys(for: profile)
    let unexpected = stripped.keys.filter { !known.contains($0) }.sorted()
    guard let key = unexpected.first else { return nil }
    let more = unexpected.count > 1 ? " and \(unexpected.count - 1) more" : ""
    return "array \(key) \(stripped[key] ?? [])\(more) not read by \(profile.name)"
  }

  /// The float model of a Cheng2020Anchor (`profile` cheng2020-attn: Cheng2020Attention) state
  /// dict.
  ///
  /// - Throws: ``ConverterError/profileMismatch(profile:reason:)`` naming the array at fault.
  static func model(arrays raw: [String: NumPyArray], profile: ModelProfile) throws
    -> HyperpriorArchitecture
  {
    let arrays: [String: NumPyArray]
    do { arrays = try CompressAITables.strippingModulePrefix(raw) } catch {
      throw ConverterError.profileMismatch(profile: profile.name, reason: error.description)
    }
    let dict = StateDict(arrays: arrays, profile: profile.name)
    if let problem = mismatch(arrays.mapValues(\.shape), profile: profile) {
      throw dict.fail(problem)
    }
    let n = try dict.shape("g_a.0.conv1.weight")[0]
    let attention = profile == .cheng2020Attn
    var builder = Builder(dict: dict)
    let ga = analysisBlocks(attention: attention)
    let analysis = try builder.transform("g_a", ga, input: "x", output: "y", n: n)
    let gs = synthesisBlocks(attention: attention)
    let synthesis = try builder.transform("g_s", gs, input: "y_hat", output: "x_hat", n: n)
    let (hyperAnalysis, hyperSynthesis) = try builder.hyperprior(n: n)
    let (context, parameters) = try HyperpriorArchitecture.contextModel(dict, m: n)
    let quantiles = try dict.floats("entropy_bottleneck.quantiles", shape: [n, 1, 3])
    return HyperpriorArchitecture(
      kind: profile, n: n, m: n, analysis: analysis, hyperAnalysis: hyperAnalysis,
      hyperSynthesis: hyperSynthesis, synthesis: synthesis, contextPrediction: context,
      entropyParameters: parameters, medians: (0..<n).map { quantiles[3 * $0 + 1] },
      pixelValue: "g_s.\(gs.count - 1).0")
  }

  /// Builds the transforms' layers from the state dict, block by block.
  struct Builder {
    let dict: StateDict
    var layers: [FloatNetwork.Layer] = []

    init(dict: StateDict) { self.dict = dict }

    /// A convolution (conv3x3 or conv1x1, padding k / 2) named after its module; `relu`: a
    /// ReLU follows.
    mutating func conv(
      _ prefix: String, input: String, output: String? = nil, cin: Int, cout: Int, k: Int = 3,
      stride: Int = 1, relu: Bool = false
    ) throws -> String {
      let w = try dict.floats(prefix + ".weight", shape: [cout, cin, k, k])
      let b = try dict.floats(prefix + ".bias", shape: [cout])
      let name = output ?? prefix
      layers.append(
        FloatNetwork.Layer(
          kind: .convolution(
            weight: w.map { Float($0) }, bias: b.map { Float($0) }, inChannels: cin,
            outChannels: cout, kernel: k, stride: stride, padding: k / 2, transposed: false,
            outputPadding: 0),
          relu: relu, input: input, output: name, prefix: prefix))
      return name
    }

    /// A layer producing `name` (its parameters' prefix, `prefix` or `name`); `relu`: a ReLU
    /// follows.
    mutating func append(
      _ kind: FloatNetwork.Layer.Kind, _ name: String, input: String, prefix: String? = nil,
      relu: Bool = false
    ) -> String {
      layers.append(
        FloatNetwork.Layer(
          kind: kind, relu: relu, input: input, output: name, prefix: prefix ?? name))
      return name
    }

    mutating func leaky(_ name: String, input: String) -> String {
      append(.leakyReLU(slope: 0.01), name, input: input)
    }

    /// subpel_conv3x3(cin, cout, 2): `<prefix>.0` the convolution, `<prefix>.1` (or `output`)
    /// the pixel shuffle.
    mutating func subpel(
      _ prefix: String, input: String, output: String? = nil, cin: Int, cout: Int
    ) throws -> String {
      let c = try conv(prefix + ".0", input: input, cin: cin, cout: 4 * cout)
      return append(.pixelShuffle(factor: 2), output ?? prefix + ".1", input: c)
    }

    mutating func withStride(_ b: String, input: String, cin: Int, cout: Int) throws -> String {
      let c1 = try conv(b + ".conv1", input: input, cin: cin, cout: cout, stride: 2)
      let a = leaky(b + ".leaky_relu", input: c1)
      let c2 = try conv(b + ".conv2", input: a, cin: cout, cout: cout)
      layers.append(try dict.gdn(b + ".gdn", input: c2, channels: cout, inverse: false))
      let skip = try conv(b + ".skip", input: input, cin: cin, cout: cout, k: 1, stride: 2)
      return append(.add(other: skip), b, input: b + ".gdn")
    }

    mutating func residual(_ b: String, input: String, n: Int) throws -> String {
      let c1 = try conv(b + ".conv1", input: input, cin: n, cout: n)
      let a1 = leaky(b + ".leaky_relu", input: c1)
      let c2 = try conv(b + ".conv2", input: a1, cin: n, cout: n)
      let a2 = leaky(b + ".leaky_relu.2", input: c2)
      return append(.add(other: input), b, input: a2)
    }

    mutating func upsample(_ b: String, input: String, n: Int) throws -> String {
      let s = try subpel(b + ".subpel_conv", input: input, cin: n, cout: n)
      let a = leaky(b + ".leaky_relu", input: s)
      let c = try conv(b + ".conv", input: a, cin: n, cout: n)
      layers.append(try dict.gdn(b + ".igdn", input: c, channels: n, inverse: true))
      let skip = try subpel(b + ".upsample", input: input, cin: n, cout: n)
      return append(.add(other: skip), b, input: b + ".igdn")
    }

    /// The network of the layers built since the last call.
    mutating func network(_ name: String, input: String, channels: Int, output: String)
      -> FloatNetwork
    {
      defer { layers = [] }
      return FloatNetwork(
        name: name, input: input, inputChannels: channels, layers: layers, outputs: [output])
    }

    /// g_a or g_s (`name`) of `blocks`, from `input` to `output` (the last module's value).
    mutating func transform(
      _ name: String, _ blocks: [Block], input: String, output: String, n: Int
    ) throws -> FloatNetwork {
      var v = input
      for (i, block) in blocks.enumerated() {
        let b = "\(name).\(i)"
        let out = i == blocks.count - 1 ? output : nil
        switch block {
        case .withStride: v = try withStride(b, input: v, cin: i == 0 ? 3 : n, cout: n)
        case .residual: v = try residual(b, input: v, n: n)
        case .attention: v = try attention(b, input: v, output: out, n: n)
        case .downsample: v = try conv(b, input: v, output: out, cin: n, cout: n, stride: 2)
        case .upsample: v = try upsample(b, input: v, n: n)
        case .pixels: v = try subpel(b, input: v, output: out, cin: n, cout: 3)
        }
      }
      return network(name, input: input, channels: input == "x" ? 3 : n, output: output)
    }

    mutating func hyperprior(n: Int) throws -> (FloatNetwork, FloatNetwork) {
      var v = "y"
      for i in [0, 2, 4, 6] {
        let c = try conv("h_a.\(i)", input: v, cin: n, cout: n, stride: i == 4 ? 2 : 1)
        v = leaky("h_a.\(i + 1)", input: c)
      }
      _ = try conv("h_a.8", input: v, output: "z", cin: n, cout: n, stride: 2)
      let ha = network("h_a", input: "y", channels: n, output: "z")
      let wide = n * 3 / 2
      v = leaky("h_s.1", input: try conv("h_s.0", input: "z_hat", cin: n, cout: n))
      v = leaky("h_s.3", input: try subpel("h_s.2", input: v, cin: n, cout: n))
      v = leaky("h_s.5", input: try conv("h_s.4", input: v, cin: n, cout: wide))
      v = leaky("h_s.7", input: try subpel("h_s.6", input: v, cin: wide, cout: wide))
      _ = try conv("h_s.8", input: v, output: "params", cin: wide, cout: 2 * n)
      return (ha, network("h_s", input: "z_hat", channels: n, output: "params"))
    }
  }
}

extension HyperpriorArchitecture {
  /// A model from its parts (the architectures other than the layouts of
  /// ``init(kind:arrays:)``).
  init(
    kind: Kind, n: Int, m: Int, analysis: FloatNetwork, hyperAnalysis: FloatNetwork?,
    hyperSynthesis: FloatNetwork?, synthesis: FloatNetwork, contextPrediction: FloatNetwork?,
    entropyParameters: FloatNetwork?, medians: [Double], pixelValue: String
  ) {
    self.kind = kind
    self.n = n
    self.m = m
    self.analysis = analysis
    self.hyperAnalysis = hyperAnalysis
    self.hyperSynthesis = hyperSynthesis
    self.synthesis = synthesis
    self.contextPrediction = contextPrediction
    self.entropyParameters = entropyParameters
    self.medians = medians
    self.pixelValue = pixelValue
  }
}
