import Foundation
import WeightFormat

/// CompressAI's hyperprior models as the codec profiles `bmshj2018-hyperprior`
/// (`ScaleHyperprior`) and `mbt2018-mean` (`MeanScaleHyperprior`), and its factorized-prior model
/// as `bmshj2018-factorized` (`FactorizedPrior`: g_a and g_s alone, no hyperprior), for any N and
/// M.
///
/// Layouts (CompressAI `compressai/models/google.py`): g_a = conv(3→N) GDN conv GDN conv GDN
/// conv(N→M), all k5 s2; g_s mirrors it with transposed convolutions (k5 s2 p2 output padding 1)
/// and inverse GDN. bmshj2018: h_a = conv(M→N, k3 s1) ReLU conv(k5 s2) ReLU conv(k5 s2) on |y|;
/// h_s = deconv ReLU deconv ReLU conv(N→M, k3 s1) ReLU → scales. mbt2018-mean: h_a on y with
/// LeakyReLU(0.01); h_s = deconv(N→M) LReLU deconv(M→3M/2) LReLU conv(3M/2→2M, k3 s1), whose
/// first M channels are the scales and last M the means (split into two integer nodes).
/// mbt2018 (`JointAutoregressiveHierarchicalPriors`): mbt2018-mean's transforms with h_s's 2M
/// outputs kept whole as params, plus the context model (``contextPrediction``,
/// ``entropyParameters``; `HyperpriorArchitecture+Context.swift`). cheng2020-anchor: residual
/// transforms with mbt2018's context model, cheng2020-attn the same with attention blocks
/// (`Cheng2020Architecture.swift`).
struct HyperpriorArchitecture: Sendable {
  /// `.bmshj2018Hyperprior`, `.mbt2018Mean`, `.mbt2018` or `.bmshj2018Factorized`.
  typealias Kind = ModelProfile

  let kind: Kind
  let n: Int
  let m: Int
  let analysis: FloatNetwork
  /// h_a; nil for `bmshj2018-factorized`.
  let hyperAnalysis: FloatNetwork?
  /// h_s; nil for `bmshj2018-factorized`.
  let hyperSynthesis: FloatNetwork?
  let synthesis: FloatNetwork
  /// mbt2018: the masked 5×5 context convolution ŷ → ctx, its non-causal taps zeroed.
  var contextPrediction: FloatNetwork? = nil
  /// mbt2018: the entropy-parameter network (params, ctx) → (scales, means).
  var entropyParameters: FloatNetwork? = nil
  /// The value of g_s requantized to 8-bit pixels: its output x_hat, or for cheng2020-anchor
  /// the convolution before the final pixel shuffle (which keeps its input's format).
  var pixelValue = "x_hat"
  /// The entropy bottleneck's medians (quantiles[:, 0, 1]): N of them (z), or M (y) for
  /// `bmshj2018-factorized`.
  let medians: [Double]

  /// The keys that identify a hyperprior state dict (without `module.`).
  static let requiredKeys = [
    "g_a.0.weight", "g_a.1.gamma", "g_a.6.weight", "g_s.0.weight", "g_s.6.weight",
    "h_a.0.weight", "h_a.4.weight", "h_s.0.weight", "h_s.4.weight",
    "entropy_bottleneck.quantiles", "gaussian_conditional.scale_table",
  ]

  /// The kind of hyperprior model a state dict holds, from its keys and shapes; nil if it is not
  /// one.
  static func detect(shapes: [String: [Int]]) -> Kind? {
    let stripped = Dictionary(
      shapes.map { (CompressAITables.stripModule($0.key), $0.value) },
      uniquingKeysWith: { a, _ in a })
    guard requiredKeys.allSatisfy({ stripped[$0] != nil }),
      let ga6 = stripped["g_a.6.weight"], ga6.count == 4,
      let hs4 = stripped["h_s.4.weight"], hs4.count == 4
    else { return nil }
    let m = ga6[0]
    if hs4[0] == 2 * m { return .mbt2018Mean }
    if hs4[0] == m { return .bmshj2018Hyperprior }
    return nil
  }

  /// Reads the float parameters of a model of kind `kind` from its arrays.
  ///
  /// - Throws: ``ConverterError/profileMismatch(profile:reason:)`` naming the array at fault.
  init(kind: Kind, arrays raw: [String: NumPyArray]) throws {
    self.kind = kind
    let arrays: [String: NumPyArray]
    do { arrays = try CompressAITables.strippingModulePrefix(raw) } catch {
      throw ConverterError.profileMismatch(profile: kind.rawValue, reason: error.description)
    }
    let dict = StateDict(arrays: arrays, profile: kind.rawValue)
    let fail = dict.fail
    func floats(_ name: String, shape: [Int]? = nil) throws -> [Double] {
      try dict.floats(name, shape: shape)
    }
    let shape = dict.shape
    let ga0 = try shape("g_a.0.weight")
    let ga6 = try shape("g_a.6.weight")
    guard ga0.count == 4, ga0[1] == 3, ga6.count == 4 else {
      throw fail("g_a.0.weight must be (N, 3, 5, 5)")
    }
    let n = ga0[0]
    let m = ga6[0]
    self.n = n
    self.m = m

    func conv(
      _ prefix: String, input: String, output: String? = nil, cin: Int, cout: Int, k: Int,
      stride: Int, transposed: Bool = false, relu: Bool = false, channels: Range<Int>? = nil
    ) throws -> FloatNetwork.Layer {
      let fullOut = channels == nil ? cout : try shape(prefix + ".weight")[0]
      let wshape = transposed ? [cin, cout, k, k] : [fullOut, cin, k, k]
      var w = try floats(prefix + ".weight", shape: wshape)
      var b = try floats(prefix + ".bias", shape: [fullOut])
      if let channels {
        let per = cin * k * k
        w = Array(w[(channels.lowerBound * per)..<(channels.upperBound * per)])
        b = Array(b[channels])
      }
      return FloatNetwork.Layer(
        kind: .convolution(
          weight: w.map { Float($0) }, bias: b.map { Float($0) }, inChannels: cin,
          outChannels: channels?.count ?? cout, kernel: k, stride: stride, padding: k / 2,
          transposed: transposed, outputPadding: transposed ? stride - 1 : 0),
        relu: relu, input: input, output: output ?? prefix,
        prefix: channels == nil ? prefix : prefix + "." + (output ?? ""))
    }
    func gdn(_ prefix: String, input: String, channels c: Int, inverse: Bool) throws
      -> FloatNetwork.Layer
    {
      try dict.gdn(prefix, input: input, channels: c, inverse: inverse)
    }

    /// g_a (g_s): four k5 s2 convolutions (transposed) with GDN (inverse GDN) between them,
    /// `channels` from input to output.
    func gdnTransform(_ name: String, input: String, output: String, channels: [Int]) throws
      -> FloatNetwork
    {
      let synthesis = name == "g_s"
      var layers: [FloatNetwork.Layer] = []
      for i in 0..<4 {
        let previous = i == 0 ? input : "\(name).\(2 * i - 1)"
        layers.append(
          try conv(
            "\(name).\(2 * i)", input: previous, output: i == 3 ? output : nil,
            cin: channels[i], cout: channels[i + 1], k: 5, stride: 2, transposed: synthesis))
        if i < 3 {
          layers.append(
            try gdn(
              "\(name).\(2 * i + 1)", input: "\(name).\(2 * i)", channels: channels[i + 1],
              inverse: synthesis))
        }
      }
      return FloatNetwork(
        name: name, input: input, inputChannels: channels[0], layers: layers, outputs: [output])
    }
    analysis = try gdnTransform("g_a", input: "x", output: "y", channels: [3, n, n, n, m])
    synthesis = try gdnTransform("g_s", input: "y_hat", output: "x_hat", channels: [m, n, n, n, 3])
    switch kind {
    case .bmshj2018Hyperprior:
      hyperAnalysis = FloatNetwork(
        name: "h_a", input: "y", inputChannels: m,
        layers: [
          FloatNetwork.Layer(kind: .abs, input: "y", output: "y_abs", prefix: "h_a.abs"),
          try conv("h_a.0", input: "y_abs", cin: m, cout: n, k: 3, stride: 1, relu: true),
          try conv("h_a.2", input: "h_a.0", cin: n, cout: n, k: 5, stride: 2, relu: true),
          try conv("h_a.4", input: "h_a.2", output: "z", cin: n, cout: n, k: 5, stride: 2),
        ], outputs: ["z"])
      hyperSynthesis = FloatNetwork(
        name: "h_s", input: "z_hat", inputChannels: n,
        layers: [
          try conv(
            "h_s.0", input: "z_hat", cin: n, cout: n, k: 5, stride: 2, transposed: true,
            relu: true),
          try conv(
            "h_s.2", input: "h_s.0", cin: n, cout: n, k: 5, stride: 2, transposed: true,
            relu: true),
          try conv(
            "h_s.4", input: "h_s.2", output: "scales", cin: n, cout: m, k: 3, stride: 1,
            relu: true),
        ], outputs: ["scales"])
    case .mbt2018Mean, .mbt2018:
      let mid = try shape("h_s.2.weight")
      guard mid.count == 4, mid[0] == m else { throw fail("h_s.2.weight must be (M, 3M/2, 5, 5)") }
      let wide = mid[1]
      hyperAnalysis = FloatNetwork(
        name: "h_a", input: "y", inputChannels: m,
        layers: [
          try conv("h_a.0", input: "y", cin: m, cout: n, k: 3, stride: 1),
          FloatNetwork.Layer(
            kind: .leakyReLU(slope: 0.01), input: "h_a.0", output: "h_a.1", prefix: "h_a.1"),
          try conv("h_a.2", input: "h_a.1", cin: n, cout: n, k: 5, stride: 2),
          FloatNetwork.Layer(
            kind: .leakyReLU(slope: 0.01), input: "h_a.2", output: "h_a.3", prefix: "h_a.3"),
          try conv("h_a.4", input: "h_a.3", output: "z", cin: n, cout: n, k: 5, stride: 2),
        ], outputs: ["z"])
      hyperSynthesis = FloatNetwork(
        name: "h_s", input: "z_hat", inputChannels: n,
        layers: [
          try conv("h_s.0", input: "z_hat", cin: n, cout: m, k: 5, stride: 2, transposed: true),
          FloatNetwork.Layer(
            kind: .leakyReLU(slope: 0.01), input: "h_s.0", output: "h_s.1", prefix: "h_s.1"),
          try conv("h_s.2", input: "h_s.1", cin: m, cout: wide, k: 5, stride: 2, transposed: true),
          FloatNetwork.Layer(
            kind: .leakyReLU(slope: 0.01), input: "h_s.2", output: "h_s.3", prefix: "h_s.3"),
        ]
          + (kind == .mbt2018
            ? [
              try conv(
                "h_s.4", input: "h_s.3", output: "params", cin: wide, cout: 2 * m, k: 3,
                stride: 1)
            ]
            : [
              try conv(
                "h_s.4", input: "h_s.3", output: "scales", cin: wide, cout: 2 * m, k: 3,
                stride: 1, channels: 0..<m),
              try conv(
                "h_s.4", input: "h_s.3", output: "means", cin: wide, cout: 2 * m, k: 3,
                stride: 1, channels: m..<(2 * m)),
            ]),
        outputs: kind == .mbt2018 ? ["params"] : ["scales", "means"])
      if kind == .mbt2018 {
        (contextPrediction, entropyParameters) = try Self.contextModel(dict, m: m)
      }
    case .bmshj2018Factorized:
      hyperAnalysis = nil
      hyperSynthesis = nil
    default:
      preconditionFailure("\(kind.name) is not a CompressAI profile")
    }
    // The bottleneck codes z (N channels), or y (M channels) in the factorized prior.
    let coded = kind == .bmshj2018Factorized ? m : n
    let quantiles = try floats("entropy_bottleneck.quantiles", shape: [coded, 1, 3])
    medians = (0..<coded).map { quantiles[3 * $0 + 1] }
  }
}
