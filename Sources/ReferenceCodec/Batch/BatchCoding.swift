import Foundation
import WeightFormat

/// The work of one picture in `gic-ref encode` and `decode` batches: exactly what the
/// single-picture commands do, so a batch writes the same bytes.
public enum BatchCoding {
  /// PNG → `.gic` with `codec` as `settings` ask.
  public static func encode(codec: HyperpriorCodec, settings: EncodeSettings)
    -> BatchRunner.Work
  {
    { input, bytes, output, threads in
      try located(input) {
        let decoded = try PNGCodec.decode([UInt8](bytes))
        let stream = try codec.encode(
          decoded.image, grayscale: decoded.codesAsGray, settings: settings, threads: threads)
        let data = stream.serialized()
        try AtomicFileOutput.write(data, to: output)
        return entry(input, stream, bytes: data.count, output: data, codec: codec)
      }
    }
  }

  /// `.gic` → PNG with `codec`; the entry records the decoded samples' SHA-256.
  public static func decode(codec: HyperpriorCodec) -> BatchRunner.Work {
    { input, bytes, output, threads in
      try located(input) {
        let stream = try Bitstream(parsing: [UInt8](bytes))
        let image = try codec.decode(stream, threads: threads)
        let png = try stream.grayscale ? PNGCodec.encodeGray(image) : PNGCodec.encode(image)
        try AtomicFileOutput.write(png, to: output)
        var e = entry(input, stream, bytes: bytes.count, output: png, codec: codec)
        e.rgbSha256 = SHA256Hex.of(Data(image.pixels))
        return e
      }
    }
  }

  static func entry(
    _ input: BatchInput, _ stream: Bitstream, bytes: Int, output: [UInt8], codec: HyperpriorCodec
  ) -> BatchEntry {
    var e = BatchEntry(input: input.name)
    e.modelDigest = codec.modelDigest
    e.outputSha256 = SHA256Hex.of(Data(output))
    (e.width, e.height, e.bytes) = (stream.width, stream.height, bytes)
    e.bpp = Double(bytes * 8) / Double(stream.width * stream.height)
    return e
  }

  /// `body()`, with a ``GICError`` it throws attached to the input's name.
  static func located<T>(_ input: BatchInput, _ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw LocatedError.attaching(input.name, to: error) }
  }
}
