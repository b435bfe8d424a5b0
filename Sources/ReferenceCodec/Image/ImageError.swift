import WeightFormat

/// Why an image could not be read, decoded, encoded or written.
///
/// ``description`` is a one-line message; ``code`` (`image.notPNG`, …) a stable identifier.
public enum ImageError: Error, Sendable, Equatable {
  /// The data does not start with the 8-byte PNG signature (empty data included).
  case notPNG
  /// The PNG header (the IHDR chunk that must follow the signature) is missing, cut short, or
  /// fails its CRC.
  case badHeader(reason: String)
  /// A dimension in the header is outside 1…``PNGCodec/maxDimension``.
  case dimensionsOutOfRange(width: Int, height: Int)
  /// The header's width × height exceeds ``PNGCodec/maxPixels``.
  case tooManyPixels(width: Int, height: Int)
  /// A bit depth the codec refuses rather than convert: 16 bits per sample.
  case unsupportedBitDepth(bitDepth: Int)
  /// libpng refused the data (truncated, corrupt, or invalid); `message` is libpng's.
  case malformed(message: String)
  /// libpng could not encode the image; `message` is libpng's.
  case encodingFailed(message: String)
  /// An ``RGBImage`` whose dimensions and sample count disagree.
  case invalidImage(reason: String)
  /// A file could not be read or written.
  case io(path: String, reason: String)

  /// A stable identifier of the error kind, such as `image.notPNG`.
  public var code: String {
    // Cases without a payload have no Mirror child to name them.
    switch self {
    case .notPNG: "image.notPNG"
    default: "image." + caseName(of: self)
    }
  }
}

extension ImageError: GICError {
  /// The file an I/O error names.
  public var namedFile: String? {
    if case .io(let path, _) = self { return path }
    return nil
  }

  /// A one-line message naming what is wrong and where.
  public var description: String {
    switch self {
    case .notPNG:
      "not a PNG file: the first 8 bytes are not the PNG signature \\x89PNG\\r\\n\\x1a\\n"
    case .badHeader(let reason):
      "PNG header is invalid: \(reason)"
    case .dimensionsOutOfRange(let width, let height):
      "PNG is \(width)×\(height) pixels; width and height must each be 1…\(PNGCodec.maxDimension)"
    case .tooManyPixels(let width, let height):
      "PNG is \(width)×\(height) = \(width * height) pixels, over the limit of "
        + "\(PNGCodec.maxPixels) (2^26)"
    case .unsupportedBitDepth(let bitDepth):
      "PNG has \(bitDepth) bits per sample; only 8-bit (or lower) PNGs are accepted, "
        + "convert it to 8 bits first"
    case .malformed(let message):
      "PNG data is damaged or invalid: \(message)"
    case .encodingFailed(let message):
      "PNG encoding failed: \(message)"
    case .invalidImage(let reason):
      "invalid RGB image: \(reason)"
    case .io(let path, let reason):
      "\(path): \(reason)"
    }
  }
}
