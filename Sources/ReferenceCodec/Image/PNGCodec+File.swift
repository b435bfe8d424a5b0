import WeightFormat

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
    do {
      let output = try AtomicFileOutput(path: path)
      try output.write(bytes)
      try output.commit()
    } catch {
      if case .io(let p, let reason) = error { throw .io(path: p, reason: reason) }
      throw .io(path: path, reason: error.description)
    }
  }

  /// The bytes of the file at `path`.
  static func readFile(_ path: String) throws(ImageError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .io(path: path, reason: "cannot open: \(errnoText())") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw .io(path: path, reason: "cannot stat: \(errnoText())")
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw .io(path: path, reason: "not a regular file")
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(Int(info.st_size))
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw .io(path: path, reason: "read failed: \(errnoText())")
      }
      if n == 0 { return bytes }
      bytes.append(contentsOf: chunk[0..<n])
    }
  }

  private static func errnoText() -> String { String(cString: strerror(errno)) }
}
