import WeightFormat

/// What `--profile auto` makes of a state dict: a profile that accounts for every array, or a
/// refusal naming the architecture it looks like and the arrays no profile reads.
///
/// Encodes to the `conversion` object of `gic-convert inspect --json`.
public struct ProfileDetection: Sendable, Equatable, Encodable {
  /// The profile chosen; nil when the input is refused.
  public var profile: String?
  /// The `compressai.zoo` architecture the keys look like, if any.
  public var architecture: String?
  /// The arrays the conversion would not use: empty when a profile is chosen (a codec profile
  /// reads every array, `raw` and `compressai-tables` store every array); on refusal, the arrays
  /// no profile reads.
  public var ignoredArrays: [String]
  /// Why no profile was chosen.
  public var refusal: String?

  enum CodingKeys: String, CodingKey {
    case profile, architecture, ignoredArrays, refusal
  }

  /// Encodes every field, absent ones as `null`.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(profile, forKey: .profile)
    try container.encode(architecture, forKey: .architecture)
    try container.encode(ignoredArrays, forKey: .ignoredArrays)
    try container.encode(refusal, forKey: .refusal)
  }

  /// Detects the profile of a state dict from its array names and shapes.
  public static func detect(shapes: [String: [Int]]) -> ProfileDetection {
    do {
      let profile = try choose(shapes: shapes)
      let stripped = strip(shapes)
      return ProfileDetection(
        profile: profile.rawValue,
        architecture: profile == .gicV1
          ? nil : CompressAIArchitecture.recognise(stripped)?.rawValue,
        ignoredArrays: [], refusal: nil)
    } catch {
      return ProfileDetection(
        profile: nil, architecture: error.architecture.rawValue, ignoredArrays: error.unusable,
        refusal: error.description)
    }
  }

  /// The profile whose keys and shapes account for every array of `shapes`.
  ///
  /// A state dict without CompressAI's image-model transforms (`g_a.*`, `g_s.*`) becomes `raw`,
  /// or `compressai-tables` when it holds entropy models: both store every array.
  ///
  /// - Throws: ``UnsupportedArchitectureError`` when the keys are those of a `compressai.zoo`
  ///   model that no profile reads, or of a supported one with arrays no profile reads.
  public static func choose(shapes: [String: [Int]]) throws(UnsupportedArchitectureError)
    -> ConversionProfile
  {
    let stripped = strip(shapes)
    if GICv1Architecture.detect(shapes: shapes) {
      guard let problem = mismatch(.gicV1, shapes: shapes) else { return .gicV1 }
      throw UnsupportedArchitectureError(
        architecture: .mbt2018Mean,
        reason: "it has gic-v1's arrays (python/gicv1/export.py) but profile gic-v1 cannot read "
          + "it: \(problem)",
        unusable: [])
    }
    guard let architecture = CompressAIArchitecture.recognise(stripped) else {
      return ConversionProfile.detect(names: Array(shapes.keys))
    }
    let known =
      architecture.codecProfile.map { CompressAIArchitecture.keys(for: $0) }
      ?? CompressAIArchitecture.hyperpriorKeys
    let unusable = stripped.keys.filter { !known.contains($0) }.sorted()
    guard let profile = architecture.codecProfile, let problem = mismatch(profile, shapes: shapes)
    else {
      if let profile = architecture.codecProfile { return profile }
      throw UnsupportedArchitectureError(
        architecture: architecture, reason: architecture.unsupportedReason ?? "",
        unusable: unusable)
    }
    throw UnsupportedArchitectureError(
      architecture: architecture, reason: "profile \(profile.rawValue) cannot read it: \(problem)",
      unusable: unusable)
  }

  /// The first difference between `shapes` and what codec profile `profile` reads.
  ///
  /// A missing array, an array of the wrong shape, or an array it does not read, named with its
  /// shape; nil when the profile reads exactly these arrays.
  public static func mismatch(_ profile: ConversionProfile, shapes: [String: [Int]]) -> String? {
    let stripped = strip(shapes)
    if Cheng2020Architecture.profiles.contains(profile) {
      return Cheng2020Architecture.mismatch(stripped, profile: profile)
    }
    func describe(_ key: String) -> String {
      "\(key) \(stripped[key].map { "\($0)" } ?? "")"
    }
    let gicV1Keys = ["reverse.conv_in.weight", "reverse.film0.weight", "rate.q_max", "rate.q_min"]
    let required =
      profile.hasHyperprior
      ? CompressAIArchitecture.hyperpriorRequiredKeys
      : CompressAIArchitecture.factorizedRequiredKeys
    let extra =
      profile == .gicV1
      ? gicV1Keys : profile.hasContextModel ? CompressAIArchitecture.contextRequiredKeys : []
    for key in required + extra where stripped[key] == nil {
      return "missing array \(key)"
    }
    guard let ga6 = stripped["g_a.6.weight"], ga6.count == 4 else {
      return "g_a.6.weight has shape \(stripped["g_a.6.weight"] ?? []), expected (M, N, 5, 5)"
    }
    let m = ga6[0]
    let outputs = profile == .bmshj2018Hyperprior ? m : 2 * m
    if profile == .bmshj2018Factorized, let q = stripped["entropy_bottleneck.quantiles"],
      q.first != m
    {
      return "entropy_bottleneck.quantiles has shape \(q), expected M = \(m) channels (y's) "
        + "for bmshj2018-factorized"
    }
    if profile.hasHyperprior, let hs4 = stripped["h_s.4.weight"], hs4.first != outputs {
      let what = profile == .bmshj2018Hyperprior ? "M = \(m) (scales)" : "2M = \(2 * m)"
      return
        "h_s.4.weight has shape \(hs4), expected \(what) output channels for \(profile.rawValue)"
    }
    let known = CompressAIArchitecture.keys(for: profile)
    let unexpected = stripped.keys.filter { key in
      !known.contains(key)
        && !(profile == .gicV1
          && CompressAIArchitecture.gicV1Families.contains { key.hasPrefix($0) })
    }.sorted()
    guard let first = unexpected.first else { return nil }
    let more = unexpected.count > 1 ? " and \(unexpected.count - 1) more" : ""
    return "array \(describe(first))\(more) not read by \(profile.rawValue)"
  }

  /// The shapes by key without CompressAI's `module.` prefix (the first of two spellings).
  static func strip(_ shapes: [String: [Int]]) -> [String: [Int]] {
    Dictionary(
      shapes.map { (CompressAITables.stripModule($0.key), $0.value) },
      uniquingKeysWith: { a, _ in a })
  }
}

/// A state dict whose keys are those of a `compressai.zoo` model that no profile reads, or of a
/// supported model with arrays no profile reads.
public struct UnsupportedArchitectureError: GICError, Equatable {
  /// The architecture the keys look like.
  public var architecture: CompressAIArchitecture
  /// Why no profile reads it.
  public var reason: String
  /// The arrays (without `module.`) no codec profile reads, sorted.
  public var unusable: [String]

  public var code: String { "convert.unsupportedArchitecture" }

  public var description: String {
    var text =
      "the arrays look like CompressAI \(architecture.rawValue) (\(architecture.className)): "
      + reason
    if !unusable.isEmpty {
      let shown = unusable.prefix(4).joined(separator: ", ")
      let rest = unusable.count > 4 ? ", … (\(unusable.count) arrays)" : ""
      text += "; arrays no profile reads: \(shown)\(rest)"
    }
    let profiles = ModelProfile.allCases.map(\.rawValue).joined(separator: ", ")
    return text
      + "; profiles: \(profiles) (--profile raw or compressai-tables stores the arrays as-is)"
  }
}

extension ModelConverter {
  /// The profile a conversion of the state dict file at `inputPath` with `--profile profile` uses,
  /// checked against the file's array names and shapes before anything else is read.
  ///
  /// - Throws: ``UnsupportedArchitectureError`` for `auto`; for a codec profile whose arrays
  ///   differ, ``ConverterError/profileMismatch(profile:reason:)`` naming the first array.
  public static func resolveProfile(inputPath: String, profile: String) throws
    -> ConversionProfile
  {
    var shapes: [String: [Int]] = [:]
    guard let file = try StateDictFile.open(inputPath, kind: try InputFile.kind(of: inputPath))
    else {
      throw ConverterError.profileMismatch(
        profile: profile, reason: "\(inputPath) is not a state dict (.npz, .safetensors, .pth)")
    }
    do { try file.forEachSpec { name, _, shape in shapes[name] = shape } } catch {
      throw LocatedError.located(error, path: inputPath)
    }
    let chosen = try ConversionProfile.resolve(profile, shapes: shapes)
    if chosen.isCodec, let problem = ProfileDetection.mismatch(chosen, shapes: shapes) {
      throw ConverterError.profileMismatch(
        profile: chosen.rawValue, reason: "the arrays differ from what it reads: \(problem)")
    }
    return chosen
  }
}
