import WeightFormat

/// The image models of `compressai.zoo`, recognised by their state dicts' key families.
///
/// Key families (CompressAI 1.2.x `compressai/models/google.py`, `waseda.py`; `module.` removed):
/// - bmshj2018-factorized (`FactorizedPrior`): `g_a.{0…6}`, `g_s.{0…6}` (convolutions and GDN)
///   and `entropy_bottleneck.*`; no hyperprior.
/// - bmshj2018-hyperprior (`ScaleHyperprior`) and mbt2018-mean (`MeanScaleHyperprior`): the same
///   plus `h_a.{0,2,4}`, `h_s.{0,2,4}` and `gaussian_conditional.*`; `h_s.4` has M output channels
///   (scales) or 2M (scales and means).
/// - mbt2018 (`JointAutoregressiveHierarchicalPriors`): mbt2018-mean's keys plus the
///   autoregressive context model `context_prediction.{weight,bias,mask}` and
///   `entropy_parameters.{0,2,4}`.
/// - cheng2020-anchor (`Cheng2020Anchor`): residual blocks (`g_a.0.conv1`, `g_a.0.skip`,
///   `g_s.1.subpel_conv.0`, …) and the context model of mbt2018.
/// - cheng2020-attn (`Cheng2020Attention`): cheng2020-anchor plus attention blocks
///   (`g_a.3.conv_a.*`, `g_a.3.conv_b.*`).
public enum CompressAIArchitecture: String, Sendable, CaseIterable {
  case bmshj2018Factorized = "bmshj2018-factorized"
  case bmshj2018Hyperprior = "bmshj2018-hyperprior"
  case mbt2018Mean = "mbt2018-mean"
  case mbt2018
  case cheng2020Anchor = "cheng2020-anchor"
  case cheng2020Attn = "cheng2020-attn"

  /// CompressAI's class name.
  public var className: String {
    switch self {
    case .bmshj2018Factorized: "FactorizedPrior"
    case .bmshj2018Hyperprior: "ScaleHyperprior"
    case .mbt2018Mean: "MeanScaleHyperprior"
    case .mbt2018: "JointAutoregressiveHierarchicalPriors"
    case .cheng2020Anchor: "Cheng2020Anchor"
    case .cheng2020Attn: "Cheng2020Attention"
    }
  }

  /// The codec profile that converts it, if any.
  public var codecProfile: ModelProfile? {
    switch self {
    case .bmshj2018Factorized: .bmshj2018Factorized
    case .bmshj2018Hyperprior: .bmshj2018Hyperprior
    case .mbt2018Mean: .mbt2018Mean
    case .mbt2018: .mbt2018
    case .cheng2020Anchor: .cheng2020Anchor
    case .cheng2020Attn: .cheng2020Attn
    }
  }

  /// Why no profile converts it (nil for the architectures a codec profile reads).
  var unsupportedReason: String? {
    switch self {
    case .bmshj2018Factorized, .bmshj2018Hyperprior, .mbt2018Mean, .mbt2018, .cheng2020Anchor,
      .cheng2020Attn:
      nil
    }
  }

  /// The architecture whose key families `shapes` (keys without `module.`) has, or nil when it
  /// has no analysis or synthesis transform (`g_a.*`, `g_s.*`): not a CompressAI image model.
  static func recognise(_ shapes: [String: [Int]]) -> Self? {
    let keys = shapes.keys
    guard keys.contains(where: { $0.hasPrefix("g_a.") || $0.hasPrefix("g_s.") }) else {
      return nil
    }
    if keys.contains(where: {
      $0.hasPrefix("g_a.") && ($0.contains(".conv_a.") || $0.contains(".conv_b."))
    }) {
      return .cheng2020Attn
    }
    if keys.contains(where: { $0.hasPrefix("g_a.0.conv1.") || $0.hasPrefix("g_s.1.subpel_conv.") })
    {
      return .cheng2020Anchor
    }
    if keys.contains(where: {
      $0.hasPrefix("context_prediction.") || $0.hasPrefix("entropy_parameters.")
    }) {
      return .mbt2018
    }
    let hyper = keys.contains(where: {
      $0.hasPrefix("h_a.") || $0.hasPrefix("h_s.") || $0.hasPrefix("gaussian_conditional.")
    })
    guard hyper else { return .bmshj2018Factorized }
    if let ga6 = shapes["g_a.6.weight"], let hs4 = shapes["h_s.4.weight"], !ga6.isEmpty,
      hs4.first == 2 * ga6[0]
    {
      return .mbt2018Mean
    }
    return .bmshj2018Hyperprior
  }

  /// The keys a hyperprior codec profile understands (without `module.`): every array of a
  /// CompressAI `ScaleHyperprior` or `MeanScaleHyperprior` state dict, in every parameter
  /// spelling of the entropy bottleneck (v1.0.x, v1.1–1.2.5, v1.2.6+).
  ///
  /// Implementation note: besides the parameters and tables the conversion reads, these
  /// well-known constants, which CompressAI stores as buffers and the integer codec fixes by
  /// design, are accepted and not read: `entropy_bottleneck.target` (the quantile targets, used in training only),
  /// `*.likelihood_lower_bound.bound` (a training-time bound on likelihoods),
  /// `gaussian_conditional.scale_bound` and `gaussian_conditional.lower_bound_scale.bound` (the
  /// lower bound 0.11 on scales, which the scale thresholds apply).
  static let hyperpriorKeys: Set<String> = {
    var keys = Set(hyperpriorRequiredKeys)
    let tables = ["_quantized_cdf", "_offset", "_cdf_length", "likelihood_lower_bound.bound"]
    for name in tables + ["target"] { keys.insert("entropy_bottleneck." + name) }
    for k in 0..<5 {
      for spelling in ["matrices.\(k)", "_matrix\(k)", "_matrices.\(k)"] {
        keys.insert("entropy_bottleneck." + spelling)
      }
      for spelling in ["biases.\(k)", "_bias\(k)", "_biases.\(k)"] {
        keys.insert("entropy_bottleneck." + spelling)
      }
      guard k < 4 else { continue }
      for spelling in ["factors.\(k)", "_factor\(k)", "_factors.\(k)"] {
        keys.insert("entropy_bottleneck." + spelling)
      }
    }
    for name in tables + ["scale_bound", "lower_bound_scale.bound"] {
      keys.insert("gaussian_conditional." + name)
    }
    return keys
  }()

  /// The keys profile `bmshj2018-factorized` understands (without `module.`): g_a's, g_s's and
  /// the entropy bottleneck's, in every parameter spelling, as for the hyperprior profiles.
  static let factorizedKeys: Set<String> = hyperpriorKeys.filter {
    !$0.hasPrefix("h_a.") && !$0.hasPrefix("h_s.") && !$0.hasPrefix("gaussian_conditional.")
  }

  /// The keys profile `bmshj2018-factorized` cannot do without, in state-dict order.
  static let factorizedRequiredKeys: [String] = hyperpriorRequiredKeys.filter {
    factorizedKeys.contains($0)
  }

  /// The context model's keys (mbt2018, without `module.`): the masked convolution (its mask
  /// buffer optional) and the entropy-parameter network.
  static let contextRequiredKeys: [String] =
    ["context_prediction.weight", "context_prediction.bias"]
    + [0, 2, 4].flatMap { ["entropy_parameters.\($0).weight", "entropy_parameters.\($0).bias"] }

  /// The keys profile `mbt2018` understands: the hyperprior's and the context model's.
  static let contextModelKeys: Set<String> = hyperpriorKeys.union(
    contextRequiredKeys + ["context_prediction.mask"])

  /// The keys a codec profile understands: ``factorizedKeys`` for `bmshj2018-factorized`,
  /// ``contextModelKeys`` for `mbt2018`, `Cheng2020Architecture.keys(for:)` for
  /// `cheng2020-anchor` and `cheng2020-attn`, else ``hyperpriorKeys``.
  static func keys(for profile: ModelProfile) -> Set<String> {
    Cheng2020Architecture.profiles.contains(profile)
      ? Cheng2020Architecture.keys(for: profile)
      : profile.hasContextModel
        ? contextModelKeys : profile.hasHyperprior ? hyperpriorKeys : factorizedKeys
  }

  /// The keys a hyperprior codec profile cannot do without, in state-dict order: every
  /// transform's parameters, the bottleneck's quantiles and the scale table (the bottleneck's
  /// parameters, in one of three spellings, are checked when its tables are read).
  static let hyperpriorRequiredKeys: [String] = {
    var keys: [String] = []
    for transform in ["g_a", "g_s"] {
      for i in 0..<7 where i % 2 == 0 {
        keys += ["\(transform).\(i).weight", "\(transform).\(i).bias"]
      }
      for i in 0..<7 where i % 2 == 1 {
        for p in ["beta", "gamma"] {
          keys += [
            "\(transform).\(i).\(p)", "\(transform).\(i).\(p)_reparam.pedestal",
            "\(transform).\(i).\(p)_reparam.lower_bound.bound",
          ]
        }
      }
    }
    for transform in ["h_a", "h_s"] {
      for i in [0, 2, 4] { keys += ["\(transform).\(i).weight", "\(transform).\(i).bias"] }
    }
    return keys + ["entropy_bottleneck.quantiles", "gaussian_conditional.scale_table"]
  }()

  /// The key families gic-v1 adds to mbt2018-mean's (python/gicv1/export.py).
  static let gicV1Families = ["reverse.", "rate.", "sampler."]
}
