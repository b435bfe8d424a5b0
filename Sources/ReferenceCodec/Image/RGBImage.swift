/// An 8-bit RGB image: three samples per pixel, interleaved (R, G, B), rows top to bottom.
///
/// The pixel at column `x`, row `y` starts at `pixels[(y * width + x) * 3]`.
public struct RGBImage: Sendable, Equatable {
  /// The number of columns, at least 1.
  public let width: Int
  /// The number of rows, at least 1.
  public let height: Int
  /// `width × height × 3` samples, row-major, R G B interleaved.
  ///
  /// The count is checked by ``init(width:height:pixels:)`` and again by every consumer
  /// (``PNGCodec/encode(_:)``), since the array can be replaced after construction.
  public var pixels: [UInt8]

  /// Creates an image after checking that `pixels` holds exactly `width × height × 3` samples.
  ///
  /// - Throws: ``ImageError/invalidImage(reason:)`` if a dimension is below 1, the sample count
  ///   overflows, or `pixels.count` does not match.
  public init(width: Int, height: Int, pixels: [UInt8]) throws(ImageError) {
    try Self.check(width: width, height: height, count: pixels.count)
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// Creates an image without checking; callers guarantee the invariant.
  init(unchecked width: Int, height: Int, pixels: [UInt8]) {
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// Checks that `count` samples make a `width × height` RGB image.
  static func check(width: Int, height: Int, count: Int) throws(ImageError) {
    guard width >= 1, height >= 1 else {
      throw .invalidImage(reason: "dimensions \(width)×\(height): both must be at least 1")
    }
    let (area, o1) = width.multipliedReportingOverflow(by: height)
    let (samples, o2) = area.multipliedReportingOverflow(by: 3)
    guard !o1, !o2 else {
      throw .invalidImage(reason: "dimensions \(width)×\(height) overflow the sample count")
    }
    guard count == samples else {
      throw .invalidImage(
        reason: "\(count) samples for \(width)×\(height) pixels (expected \(samples) = w×h×3)")
    }
  }
}
