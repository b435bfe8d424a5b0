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
  /// - Throws: ``ModelOpenError`` naming the file.
  public static func openModel(path: String) throws(ModelOpenError) -> (
    file: WeightFile, codec: HyperpriorCodec?
  ) {
    let file: WeightFile
    do { file = try loadModel(path: path) } catch {
      throw ModelOpenError(path: path, underlying: error)
    }
    guard case .string(let name) = file.metadata(CodecModelSchema.Key.profile),
      ModelProfile(name: name)?.isCodec == true
    else { return (file, nil) }
    do { return (file, try HyperpriorCodec(file: file)) } catch {
      throw ModelOpenError(path: path, underlying: error)
    }
  }

  /// Opens a codec model container and loads the codec.
  ///
  /// - Throws: ``ModelOpenError`` naming the file (also when it is not a codec model).
  public static func openCodec(path: String) throws(ModelOpenError) -> HyperpriorCodec {
    let file: WeightFile
    do { file = try loadModel(path: path) } catch {
      throw ModelOpenError(path: path, underlying: error)
    }
    do { return try HyperpriorCodec(file: file) } catch {
      throw ModelOpenError(path: path, underlying: error)
    }
  }
}

/// Why a model file could not be opened: the container's or the codec model's error, with the
/// file's path (I/O errors name it already).
public struct ModelOpenError: Error, CustomStringConvertible, Sendable {
  public var path: String
  public var underlying: any Error & Sendable

  public var description: String {
    if let e = underlying as? WeightFormatError, case .io = e { return "\(e)" }
    return "\(path): \(underlying)"
  }
}
