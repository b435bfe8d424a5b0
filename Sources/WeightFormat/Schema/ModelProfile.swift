/// What a container holds, as its `gic.profile` metadata names it: the one profile enum of the
/// package, shared by the converter (which writes it), the decoder (which checks it) and the
/// bitstream header (which records a codec profile's code, spec/bitstream.md §3).
///
/// - `raw` and `compressai-tables` are weight containers, not codec models.
/// - `bmshj2018-hyperprior`, `mbt2018-mean`, `gic-v1`, `bmshj2018-factorized`, `mbt2018`,
///   `cheng2020-anchor` and `cheng2020-attn` are codec models (spec/integer-ops.md, spec/bitstream.md).
public enum ModelProfile: String, Sendable, CaseIterable {
  case raw
  case compressaiTables = "compressai-tables"
  case bmshj2018Hyperprior = "bmshj2018-hyperprior"
  case mbt2018Mean = "mbt2018-mean"
  case gicV1 = "gic-v1"
  case bmshj2018Factorized = "bmshj2018-factorized"
  /// CompressAI's `JointAutoregressiveHierarchicalPriors`: mbt2018-mean's transforms plus an
  /// autoregressive context model (spec/bitstream.md §11).
  case mbt2018
  /// CompressAI's `Cheng2020Anchor`: residual transforms with sub-pixel upsampling and mbt2018's
  /// context model (spec/bitstream.md §12).
  case cheng2020Anchor = "cheng2020-anchor"
  /// CompressAI's `Cheng2020Attention`: cheng2020-anchor with attention blocks in its transforms
  /// (spec/bitstream.md §13).
  case cheng2020Attn = "cheng2020-attn"

  /// The codec profiles, in bitstream-code order.
  public static let codecProfiles: [ModelProfile] = [
    .bmshj2018Hyperprior, .mbt2018Mean, .gicV1, .bmshj2018Factorized, .mbt2018,
    .cheng2020Anchor, .cheng2020Attn,
  ]

  /// The profile's name as `gic.profile` spells it.
  public var name: String { rawValue }

  /// The profile named `name`, if any.
  public init?(name: String) {
    self.init(rawValue: name)
  }

  /// Whether the profile makes a codec model (and needs calibration images to convert).
  public var isCodec: Bool { bitstreamCode != nil }

  /// The profile byte of a bitstream header (spec/bitstream.md §3); nil for containers that are
  /// not codec models.
  public var bitstreamCode: UInt8? {
    switch self {
    case .raw, .compressaiTables: nil
    case .bmshj2018Hyperprior: 1
    case .mbt2018Mean: 2
    case .gicV1: 3
    case .bmshj2018Factorized: 4
    case .mbt2018: 5
    case .cheng2020Anchor: 6
    case .cheng2020Attn: 7
    }
  }

  /// Whether the profile's model has a hyperprior (graphs `h_a`, `h_s`, a coded hyper-latent z
  /// and a Gaussian conditional latent); `bmshj2018-factorized` codes y with a factorized model
  /// alone (spec/bitstream.md §10).
  public var hasHyperprior: Bool {
    switch self {
    case .bmshj2018Factorized: false
    default: true
    }
  }

  /// Whether the profile's latent is coded with an autoregressive context model (graphs
  /// `context_prediction` and `entropy_parameters`, spec/bitstream.md §11; `cheng2020-anchor`
  /// and `cheng2020-attn` code exactly so, §12, §13).
  public var hasContextModel: Bool { [.mbt2018, .cheng2020Anchor, .cheng2020Attn].contains(self) }

  /// The codec profile whose bitstream code is `code`, if any.
  public init?(bitstreamCode code: UInt8) {
    guard let p = Self.codecProfiles.first(where: { $0.bitstreamCode == code }) else {
      return nil
    }
    self = p
  }
}
