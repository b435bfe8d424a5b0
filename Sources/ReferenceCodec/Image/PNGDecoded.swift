/// A decoded PNG: its pixels as 8-bit RGB, and what the file held before conversion.
public struct PNGDecoded: Sendable, Equatable {
  /// The PNG colour type, as declared in the file's header.
  public enum SourceFormat: String, Sendable, Equatable, CaseIterable {
    /// Colour type 0: one gray sample; decoded as R = G = B = gray.
    case gray
    /// Colour type 4: gray and alpha; alpha dropped, gray replicated.
    case grayAlpha
    /// Colour type 2: red, green, blue.
    case rgb
    /// Colour type 6: red, green, blue, alpha; alpha dropped.
    case rgba
    /// Colour type 3: palette indices; expanded through the palette (and tRNS dropped).
    case palette
  }

  /// The pixels, 8-bit RGB.
  public var image: RGBImage
  /// The file's colour type.
  public var sourceFormat: SourceFormat
  /// The file's bit depth: 1, 2, 4 or 8 (16 is refused).
  ///
  /// Samples below 8 bits are scaled to 8 bits by libpng (v × 255 / (2^depth − 1): a 4-bit
  /// gray 5 becomes 85).
  public var sourceBitDepth: Int
  /// Whether the file had transparency that was dropped.
  ///
  /// Transparency is an alpha channel, or a tRNS chunk on a gray, RGB or palette image. Every
  /// pixel keeps its stored colour, whatever its alpha: nothing is composited onto a background.
  /// True even if every alpha value was 255.
  public var droppedAlpha: Bool
  /// Colour-space chunks the file carried that were not applied, in file order.
  ///
  /// `gAMA`, `cHRM`, `iCCP` and `cICP` are ignored: samples are taken as stored. Empty for most
  /// files.
  public var ignoredChunks: [String]
}

extension PNGDecoded {
  /// Whether the file was grayscale (with or without alpha) by its colour type.
  public var isGray: Bool { sourceFormat == .gray || sourceFormat == .grayAlpha }

  /// Whether every pixel has R = G = B, whatever the colour type: a black-and-white picture
  /// stored as RGB, RGBA or palette is gray as well.
  public var hasGrayContent: Bool {
    image.pixels.withUnsafeBufferPointer { p in
      var i = 0
      while i < p.count {
        if p[i] != p[i + 1] || p[i] != p[i + 2] { return false }
        i += 3
      }
      return true
    }
  }

  /// Whether encoders flag the picture as a grayscale source (spec/bitstream.md §2, §6.1).
  ///
  /// True for a grayscale colour type, or gray content in any colour type. The flag changes no
  /// decoded sample; it makes decoders write a gray picture, ⌊(R + G + B + 1) / 3⌋ (§6.4).
  public var codesAsGray: Bool { isGray || hasGrayContent }
}
