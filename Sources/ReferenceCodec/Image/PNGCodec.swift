/// PNG input and output for the reference codec, through libpng's simplified API.
///
/// Decoding accepts 8-bit (and 1-, 2-, 4-bit) gray, gray+alpha, RGB, RGBA and palette PNGs,
/// interlaced or not, and returns 8-bit RGB:
/// - gray is replicated to R = G = B; palettes are expanded; samples below 8 bits are scaled
///   to 8 bits (v × 255 / (2^depth − 1));
/// - alpha (an alpha channel or tRNS) is **dropped**: each pixel keeps its stored colour, even at
///   alpha 0; nothing is composited onto a background. ``PNGDecoded/droppedAlpha`` says so;
/// - samples are taken as stored: colour-space chunks (`gAMA`, `cHRM`, `iCCP`, `cICP`) are
///   ignored and listed in ``PNGDecoded/ignoredChunks``;
/// - 16-bit PNGs are refused (``ImageError/unsupportedBitDepth(bitDepth:)``) rather than
///   reduced: libpng's simplified reader would treat them as linear light and re-encode to sRGB.
///
/// Resource limits (``maxDimension``, ``maxPixels``) are checked against the header before
/// anything is allocated, and every chunk before the image data must fit in the file (libpng
/// buffers such chunks whole, at their declared length). Decoding needs at most 4 bytes per
/// pixel (256 MiB at the limit).
///
/// Encoding writes an 8-bit RGB PNG with ``PNGWriter`` (zlib directly, not libpng): chunks IHDR,
/// sRGB, IDAT, IEND, no time or text chunk, so the same image always gives the same bytes with a
/// given zlib, whatever the thread count.
public enum PNGCodec {
  /// The largest accepted width or height.
  public static let maxDimension = 65535
  /// The largest accepted number of pixels, width × height: 2^26 = 67,108,864 (8192 × 8192).
  public static let maxPixels = 1 << 26

  /// Decodes a PNG to 8-bit RGB.
  ///
  /// - Throws: ``ImageError/notPNG``, ``ImageError/badHeader(reason:)``,
  ///   ``ImageError/dimensionsOutOfRange(width:height:)``,
  ///   ``ImageError/tooManyPixels(width:height:)`` (all before any allocation),
  ///   ``ImageError/unsupportedBitDepth(bitDepth:)``, or ``ImageError/malformed(message:)``
  ///   with libpng's message for truncated or corrupt data.
  /// - Complexity: O(width × height) time; 3 to 4 bytes per pixel of memory besides `data`.
  public static func decode(_ data: [UInt8]) throws(ImageError) -> PNGDecoded {
    let header = try PNGHeader(data)
    try checkLimits(width: header.width, height: header.height)
    guard header.bitDepth != 16 else { throw .unsupportedBitDepth(bitDepth: 16) }
    try PNGHeader.checkChunkLengths(data)
    let (input, ignored) = PNGHeader.strippingColorSpaceChunks(data)

    var fileFormat: UInt32 = 0
    let samples = try LibPNG.read(input) { (png) throws(ImageError) in
      // libpng has now validated IHDR; the two views of the header must agree.
      guard png.format & LibPNG.Flag.linear == 0 else {
        throw .unsupportedBitDepth(bitDepth: 16)
      }
      guard png.width == header.width, png.height == header.height else {
        throw .malformed(message: "libpng read \(png.width)×\(png.height) from the header")
      }
      fileFormat = png.format
      return readPlan(fileFormat: png.format, pixels: png.width * png.height)
    }
    guard let samples else { preconditionFailure("a read plan was given") }
    return PNGDecoded(
      image: RGBImage(unchecked: header.width, height: header.height, pixels: samples),
      sourceFormat: try sourceFormat(colorType: header.colorType),
      sourceBitDepth: header.bitDepth,
      droppedAlpha: fileFormat & LibPNG.Flag.alpha != 0,
      ignoredChunks: ignored)
  }

  /// Encodes an image as an 8-bit RGB PNG.
  ///
  /// The bytes are deterministic: the same image gives the same file (no time chunk; fixed
  /// filter, zlib settings and band height), whatever `threads` is; `threads` only spreads the
  /// bands' deflating over cores. A different zlib may compress differently.
  ///
  /// - Throws: ``ImageError/invalidImage(reason:)`` if the sample count is wrong,
  ///   ``ImageError/dimensionsOutOfRange(width:height:)`` or
  ///   ``ImageError/tooManyPixels(width:height:)`` if ``decode(_:)`` would refuse the result,
  ///   ``ImageError/encodingFailed(message:)`` if libpng fails.
  public static func encode(_ image: RGBImage, threads: Int = 1) throws(ImageError) -> [UInt8] {
    try RGBImage.check(width: image.width, height: image.height, count: image.pixels.count)
    try checkLimits(width: image.width, height: image.height)
    return try PNGWriter.encode(
      image.pixels, width: image.width, height: image.height, channels: 3, threads: threads)
  }

  /// Encodes an image as an 8-bit grayscale PNG with gray = ⌊(R + G + B + 1) / 3⌋
  /// (spec/bitstream.md §6.4).
  ///
  /// - Throws: as ``encode(_:)``.
  public static func encodeGray(_ image: RGBImage, threads: Int = 1) throws(ImageError) -> [UInt8] {
    try RGBImage.check(width: image.width, height: image.height, count: image.pixels.count)
    try checkLimits(width: image.width, height: image.height)
    let n = image.width * image.height
    var gray = [UInt8](repeating: 0, count: n)
    for i in 0..<n {
      let sum =
        Int(image.pixels[3 * i]) + Int(image.pixels[3 * i + 1]) + Int(image.pixels[3 * i + 2])
      gray[i] = UInt8((sum + 1) / 3)
    }
    return try PNGWriter.encode(
      gray, width: image.width, height: image.height, channels: 1, threads: threads)
  }

  /// Checks a header's dimensions against ``maxDimension`` and ``maxPixels``.
  static func checkLimits(width: Int, height: Int) throws(ImageError) {
    guard (1...maxDimension).contains(width), (1...maxDimension).contains(height) else {
      throw .dimensionsOutOfRange(width: width, height: height)
    }
    guard width * height <= maxPixels else { throw .tooManyPixels(width: width, height: height) }
  }

  /// How to read a file whose own layout is `fileFormat`.
  ///
  /// Implementation note: libpng is asked for the file's own channels (gray, gray+alpha, RGB or
  /// RGBA), so it only expands (palette, tRNS, low bit depths) and never converts gray to colour
  /// or removes alpha — without a background colour, its alpha removal composites onto whatever
  /// the output buffer holds. Gray replication and alpha dropping are done here, in place.
  static func readPlan(fileFormat: UInt32, pixels: Int) -> LibPNG.ReadPlan {
    let format = fileFormat & (LibPNG.Flag.color | LibPNG.Flag.alpha)
    let channels = LibPNG.channels(format)
    return LibPNG.ReadPlan(
      format: format, capacity: pixels * max(channels, 3),
      finish: { p in
        switch channels {
        case 1:  // gray → gray gray gray, from the end (output index ≥ input index)
          var i = pixels - 1
          while i >= 0 {
            let v = p[i]
            p[3 * i] = v
            p[3 * i + 1] = v
            p[3 * i + 2] = v
            i -= 1
          }
        case 2:  // gray alpha → gray gray gray, from the end
          var i = pixels - 1
          while i >= 0 {
            let v = p[2 * i]
            p[3 * i] = v
            p[3 * i + 1] = v
            p[3 * i + 2] = v
            i -= 1
          }
        case 4:  // R G B A → R G B, from the start (output index ≤ input index)
          for i in 0..<pixels {
            p[3 * i] = p[4 * i]
            p[3 * i + 1] = p[4 * i + 1]
            p[3 * i + 2] = p[4 * i + 2]
          }
        default:
          break
        }
        return pixels * 3
      })
  }

  private static func sourceFormat(colorType: Int) throws(ImageError) -> PNGDecoded.SourceFormat {
    switch colorType {
    case 0: return .gray
    case 2: return .rgb
    case 3: return .palette
    case 4: return .grayAlpha
    case 6: return .rgba
    // libpng refuses these first; kept for completeness.
    default: throw .malformed(message: "colour type \(colorType) is not defined by PNG")
    }
  }
}
