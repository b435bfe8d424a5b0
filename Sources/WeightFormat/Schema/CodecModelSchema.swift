/// The names a codec model uses in its container.
///
/// Metadata keys, graphs, entropy tables and tensors (spec/bitstream.md §6–§7,
/// spec/integer-ops.md §8). The converter writes them and the
/// decoder reads them from here, so neither spells them twice.
public enum CodecModelSchema {
  /// Metadata keys.
  public enum Key {
    /// The ``ModelProfile`` name (string).
    public static let profile = "gic.profile"
    /// The hyper-latent's stride; pictures are padded to a multiple of it (integer).
    public static let hyperStride = "gic.codec.hyper_stride"
    /// The latent's stride (integer).
    public static let latentStride = "gic.codec.latent_stride"
    /// gic-v1: the number of rate indices (integer).
    public static let rateLevels = "gic.rate.levels"
    /// gic-v1: levels beyond the last rate index that the reverse process reaches (integer).
    public static let rateExtraLevels = "gic.rate.extra_levels"
    /// The source model's channel counts (list of integers; informative).
    public static let sourceChannels = "gic.source.channels"
    /// The calibration images (list; informative).
    public static let calibrationImages = "gic.calibration.images"
    /// The gic-convert version that made the container (string; provenance, informative).
    public static let converterVersion = "gic.provenance.converter_version"
    /// The SHA-256 of the converted input file, lower-case hexadecimal (string; provenance).
    public static let inputSHA256 = "gic.provenance.input_sha256"
    /// The SHA-256 of each calibration image's file, in calibration order (list of strings;
    /// provenance).
    public static let calibrationSHA256 = "gic.provenance.calibration_sha256"
    /// The prefix of every key gic itself writes; `--metadata` refuses keys that start with it.
    public static let reservedPrefix = "gic."
  }

  /// The stored graphs (`gic.graph.<name>`).
  public enum Graph {
    public static let analysis = "g_a"
    public static let hyperAnalysis = "h_a"
    public static let hyperSynthesis = "h_s"
    public static let synthesis = "g_s"
    /// gic-v1: the reverse process's network.
    public static let reverse = "reverse"
    /// mbt2018: the masked 5×5 context convolution, ŷ → ctx (spec/bitstream.md §11).
    public static let contextPrediction = "context_prediction"
    /// mbt2018: the entropy-parameter network, (params, ctx) → (scales, means).
    public static let entropyParameters = "entropy_parameters"
  }

  /// Entropy tables (first-class CDF tables).
  public enum Table {
    /// The hyper-latent's factorized model.
    public static let factorized = "entropy_bottleneck"
    /// The latent's Gaussian conditional model.
    public static let gaussian = "gaussian_conditional"
  }

  /// Tensors.
  public enum Tensor {
    /// The factorized model's integer medians, int32 (C_z).
    public static let medians = "entropy_bottleneck.medians"
    /// Fixed-rate profiles: the scale thresholds, int32.
    public static let scaleThresholds = "gaussian_conditional.scale_thresholds"
    /// gic-v1: the scale thresholds per rate index, int32 (levels, rows − 1).
    public static let scaleThresholdsByRate = "gaussian_conditional.scale_thresholds_by_rate"
    /// gic-v1: the quantization step q(ℓ), int32.
    public static let rateQ = "rate.q"
    /// gic-v1: the reverse process's level offsets, mixing ratios and noise strengths (4, 4).
    public static let samplerLevelOffsets = "sampler.level_offsets"
    public static let samplerRatio = "sampler.ratio"
    public static let samplerAlpha = "sampler.alpha"
  }
}
