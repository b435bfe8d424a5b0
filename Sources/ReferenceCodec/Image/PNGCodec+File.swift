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
  public static func write(_ image: RGBImage, to path: String, grayscale: Bool = false)
    throws(ImageError)
  {
    let bytes = try grayscale ? encodeGray(image) : encode(image)
    do { try AtomicFileOutput.write(bytes, to: path) } catch {
      if case .io(let p, let reason) = error { throw .io(path: p, reason: reason) }
      throw .io(path: path, reason: error.description)
    }
  }

  /// The bytes of the file at `path`.
  static func readFile(_ path: String) throws(ImageError) -> [UInt8] {
    let fd = SystemCalls.openFile(path, .read)
    guard fd >= 0 else {
      throw .io(path: path, reason: "cannot open: \(SystemCalls.errorMessage)")
    }
    defer { SystemCalls.closeFile(fd) }
    guard let info = SystemCalls.status(fd) else {
      throw .io(path: path, reason: "cannot stat: \(SystemCalls.errorMessage)")
    }
    guard info.isRegularFile else {
      throw .io(path: path, reason: "not a regular file")
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(info.size)
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = chunk.withUnsafeMutableBytes { SystemCalls.readFile(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        throw .io(path: path, reason: "read failed: \(SystemCalls.errorMessage)")
      }
      if n == 0 { return bytes }
      bytes.append(contentsOf: chunk[0..<n])
    }
  }

}
