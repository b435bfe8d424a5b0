/// How a converter maps an exported state dict to a container.
///
/// - `raw` stores every array as-is.
/// - `compressai-tables` stores every array as-is and adds, for every CompressAI entropy model
///   found, a first-class CDF table named after the model's prefix (copied from
///   `_quantized_cdf`/`_cdf_length`/`_offset`, or computed from the parameters when the export
///   has none), and for a Gaussian conditional the integer scale thresholds
///   `<prefix>.scale_thresholds` (spec/entropy-coding.md §4.2).
///
/// Codec profiles (CompressAI models, `gic-v1`) are added with the codec. Auto-detection picks
/// the most specific profile whose key pattern matches, and `raw` when none does.
public enum ConversionProfile: String, Sendable, CaseIterable {
  case raw
  case compressaiTables = "compressai-tables"

  /// Picks the profile whose key pattern matches `names`, or `raw`.
  public static func detect(names: [String]) -> ConversionProfile {
    EntropyModelPrefixes.find(in: names).isEmpty ? .raw : .compressaiTables
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

/// Finds CompressAI entropy models in a state dict by their keys.
enum EntropyModelPrefixes {
  static let suffixes = ["._quantized_cdf", ".quantiles", ".scale_table"]

  /// The prefixes (as spelled in the keys, `module.` included) of every entropy model, sorted.
  static func find(in names: [String]) -> [String] {
    var prefixes = Set<String>()
    for name in names {
      for suffix in suffixes where name.hasSuffix(suffix) {
        prefixes.insert(String(name.dropLast(suffix.count)))
      }
    }
    return prefixes.sorted()
  }
}
