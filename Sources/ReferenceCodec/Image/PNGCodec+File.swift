import WeightFormat

extension PNGCodec {
  /// Reads and decodes the PNG file at `path`.
  ///
  /// - Throws: ``ImageError/io(path:reason:)`` if the file cannot be read, else as
  ///   ``decode(_:)``.
  public static func read(path: String) throws(ImageError) -> PNGDecoded {
    try decode(readFile(path))
  }

  /// Encodes `image` and writes it to `path` atomically: the PNG appears at `path` only when
  /// complete, and a failure leaves no file behind and an existing file untouched.
  ///
  /// - Throws: as ``encode(_:)``, or ``ImageError/io(path:reason:)``.
  public static func write(
    _ image: RGBImage, to path: String, grayscale: Bool = false, threads: Int = 1
  ) throws(ImageError) {
    let bytes =
      try grayscale ? encodeGray(image, threads: threads) : encode(image, threads: threads)
    do { try AtomicFileOutput.write(bytes, to: path) } catch {
      if case .io(let p, let reason) = error { throw .io(path: p, reason: reason) }
      throw .io(path: path, reason: error.description)
    }
  }

  /// The largest PNG file read: 1 GiB, five times the raw samples of the largest picture
  /// (2^26 pixels × 3 bytes); checked from the file's size before reading.
  public static let maxFileBytes = 1 << 30

  /// The bytes of the file at `path` (a regular file, opened without blocking).
  static func readFile(_ path: String) throws(ImageError) -> [UInt8] {
    do { return [UInt8](try InputFiles.read(path, maxBytes: maxFileBytes)) } catch {
      if case .io(_, let reason) = error { throw .io(path: path, reason: reason) }
      throw .io(path: path, reason: error.description)
    }
  }

}
