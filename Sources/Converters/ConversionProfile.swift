import WeightFormat

/// How a converter maps an exported state dict to a container.
///
/// - `raw` stores every array as-is.
/// - `compressai-tables` stores every array as-is and adds, for every CompressAI entropy model
///   found, a first-class CDF table named after the model's prefix (copied from
///   `_quantized_cdf`/`_cdf_length`/`_offset`, or computed from the parameters when the export
///   has none), and for a Gaussian conditional the integer scale thresholds
///   `<prefix>.scale_thresholds` (spec/entropy-coding.md §4.2).
///
/// - `bmshj2018-hyperprior`, `mbt2018-mean` and `bmshj2018-factorized` are codec profiles:
///   CompressAI's `ScaleHyperprior`, `MeanScaleHyperprior` and `FactorizedPrior` (any N, M)
///   become integer graphs with calibrated activation formats, entropy tables and codec metadata
///   (spec/integer-ops.md, spec/bitstream.md); the float weights are not stored.
///
/// Auto-detection (``ProfileDetection``) picks a profile only when it accounts for every array:
/// a codec profile when the keys and shapes are exactly those it reads; `raw` or
/// `compressai-tables` when the state dict is no CompressAI image model (no `g_a.*`, `g_s.*`);
/// otherwise it refuses, naming the `compressai.zoo` architecture the keys look like.
public typealias ConversionProfile = ModelProfile

extension ModelProfile {
  /// Picks the profile whose key pattern matches `names`, or `raw`.
  public static func detect(names: [String]) -> ConversionProfile {
    EntropyModelPrefixes.find(in: names).isEmpty ? .raw : .compressaiTables
  }

  /// Picks the profile that accounts for every array of `shapes` (``ProfileDetection``).
  ///
  /// - Throws: ``UnsupportedArchitectureError`` naming the architecture the keys look like.
  public static func detect(shapes: [String: [Int]]) throws(UnsupportedArchitectureError)
    -> ConversionProfile
  {
    try ProfileDetection.choose(shapes: shapes)
  }

  /// Resolves a `--profile` argument: a profile name, or `auto`.
  ///
  /// - Throws: ``ConverterError/unknownProfile(name:available:)``, or for `auto`
  ///   ``UnsupportedArchitectureError``.
  public static func resolve(_ argument: String, shapes: [String: [Int]]) throws
    -> ConversionProfile
  {
    if argument == "auto" { return try detect(shapes: shapes) }
    guard let profile = ConversionProfile(rawValue: argument) else {
      throw ConverterError.unknownProfile(
        name: argument, available: ["auto"] + allCases.map(\.rawValue))
    }
    return profile
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
