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

  /// Opens a model container and, when its profile is a codec profile, loads the codec.
  ///
  /// - Returns: the container and its codec (nil for containers that are not codec models).
  /// - Throws: ``LocatedError`` naming the file.
  public static func openModel(path: String) throws(LocatedError) -> (
    file: WeightFile, codec: HyperpriorCodec?
  ) {
    let file = try openContainer(path: path)
    guard case .string(let name) = file.metadata(CodecModelSchema.Key.profile),
      ModelProfile(name: name)?.isCodec == true
    else { return (file, nil) }
    return (file, try codec(file, path: path))
  }

  /// Opens a codec model container and loads the codec with `budget` for its pictures,
  /// building its graphs on up to `threads` threads (the codec does not depend on it).
  ///
  /// - Throws: ``LocatedError`` naming the file (also when it is not a codec model, or when
  ///   even its smallest picture exceeds `budget`).
  public static func openCodec(
    path: String, budget: ResourceBudget = .standard, threads: Int = 1
  ) throws(LocatedError) -> HyperpriorCodec {
    try codec(try openContainer(path: path), path: path, budget: budget, threads: threads)
  }

  /// Opens and fully validates a container (spec/container.md), whatever its profile.
  ///
  /// - Throws: ``LocatedError`` naming the file.
  public static func openContainer(path: String) throws(LocatedError) -> WeightFile {
    do { return try loadModel(path: path) } catch { throw LocatedError(path: path, error) }
  }

  static func codec(
    _ file: WeightFile, path: String, budget: ResourceBudget = .standard, threads: Int = 1
  ) throws(LocatedError) -> HyperpriorCodec {
    do { return try HyperpriorCodec(file: file, budget: budget, threads: threads) } catch {
      throw LocatedError(path: path, error)
    }
  }
}
