/// How a converter maps an exported state dict to a container.
///
/// `raw` stores every array as-is. Codec profiles (CompressAI models, `gic-v1`) recognise their
/// models by state-dict keys; auto-detection picks `raw` when no codec profile matches.
public enum ConversionProfile: String, Sendable, CaseIterable {
  case raw

  /// Picks the profile whose key pattern matches `names`, or `raw`.
  public static func detect(names: [String]) -> ConversionProfile {
    .raw
  }

  /// Resolves a `--profile` argument: a profile name, or `auto`.
  public static func resolve(_ argument: String, names: [String]) throws(ConverterError)
    -> ConversionProfile
  {
    if argument == "auto" { return detect(names: names) }
    guard let profile = ConversionProfile(rawValue: argument) else {
      throw .unknownProfile(name: argument, available: ["auto"] + allCases.map(\.rawValue))
    }
    return profile
  }
}
