import WeightFormat

/// The bit-exact, integer-only gic reference codec.
///
/// This release provides the model loader that the encoder and decoder build on; the entropy
/// coder, the integer network engine and the bitstream follow in spec/entropy-coding.md,
/// spec/integer-ops.md and spec/bitstream.md.
public enum ReferenceCodec {
  /// The version of the reference codec library.
  public static let version = "0.1.0"

  /// Opens and fully validates a model container.
  public static func loadModel(path: String) throws(WeightFormatError) -> WeightFile {
    try WeightFile.open(path: path)
  }
}
