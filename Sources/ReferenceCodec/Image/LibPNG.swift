import CPNG

/// The one file that talks to libpng, through its simplified API (`png_image_*`), which reports
/// failure by return value and `png_image.message` rather than longjmp.
enum LibPNG {
  /// The `png_image.format` bits (PNG_FORMAT_FLAG_*).
  enum Flag {
    static let alpha = gic_png_format_flag_alpha()
    static let color = gic_png_format_flag_color()
    static let linear = gic_png_format_flag_linear()
    static let colormap = gic_png_format_flag_colormap()
  }

  /// What `png_image_begin_read_from_memory` reports about a PNG.
  struct Header: Equatable {
    let width: Int
    let height: Int
    /// The file's own layout: ALPHA (alpha channel or tRNS), COLOR, LINEAR (16-bit),
    /// COLORMAP (palette).
    let format: UInt32
    /// PNG_IMAGE_FLAG_* (COLORSPACE_NOT_sRGB = 1).
    let flags: UInt32
  }

  /// How to finish a read: the output format, the buffer to decode into, and an in-place pass
  /// that turns the decoded samples into the final ones.
  struct ReadPlan {
    /// A PNG_FORMAT_* value without LINEAR or COLORMAP.
    let format: UInt32
    /// The buffer's size in bytes: at least the decoded size.
    let capacity: Int
    /// Rewrites the decoded samples in place; returns the final byte count.
    let finish: (UnsafeMutablePointer<UInt8>) -> Int
  }

  /// Reads the header of `data`, asks `plan` what to do with it, and decodes accordingly.
  ///
  /// - Returns: the samples, or `nil` if `plan` returned `nil` (header only).
  /// - Throws: ``ImageError/malformed(message:)`` with libpng's message, or whatever `plan`
  ///   throws.
  static func read(
    _ data: [UInt8], plan: (Header) throws(ImageError) -> ReadPlan?
  ) throws(ImageError) -> [UInt8]? {
    var outcome: Result<[UInt8]?, ImageError> = .success(nil)
    // libpng keeps the pointer between begin and finish: both run inside one closure.
    data.withUnsafeBytes { bytes in
      outcome = Result { () throws(ImageError) in try read(bytes, plan: plan) }
    }
    return try outcome.get()
  }

  private static func read(
    _ bytes: UnsafeRawBufferPointer, plan: (Header) throws(ImageError) -> ReadPlan?
  ) throws(ImageError) -> [UInt8]? {
    var image = png_image()
    image.version = gic_png_image_version()
    defer { png_image_free(&image) }
    guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
      throw .malformed(message: message(of: image))
    }
    let header = Header(
      width: Int(image.width), height: Int(image.height), format: image.format,
      flags: image.flags)
    guard let plan = try plan(header) else { return nil }
    let needed = header.width * header.height * channels(plan.format)
    precondition(plan.capacity >= needed, "read buffer smaller than the decoded image")
    var failure: ImageError?
    let samples = [UInt8](unsafeUninitializedCapacity: plan.capacity) { buffer, count in
      count = 0
      image.format = plan.format
      guard let base = buffer.baseAddress else { return }
      // Background NULL: never used, as the plan's format keeps the file's alpha channel.
      guard png_image_finish_read(&image, nil, base, 0, nil) != 0 else {
        failure = .malformed(message: message(of: image))
        return
      }
      // UInt8 is trivial: every byte up to `count` counts as initialised once written.
      count = plan.finish(base)
    }
    if let failure { throw failure }
    return samples
  }

  /// Bytes per pixel of an 8-bit PNG_FORMAT_* value.
  static func channels(_ format: UInt32) -> Int {
    (format & Flag.color != 0 ? 3 : 1) + (format & Flag.alpha != 0 ? 1 : 0)
  }

  /// libpng's message (`png_image.message`, NUL-terminated in 64 bytes).
  private static func message(of image: png_image) -> String {
    let text = withUnsafeBytes(of: image.message) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    return text.isEmpty ? "libpng reported an error without a message" : text
  }
}
