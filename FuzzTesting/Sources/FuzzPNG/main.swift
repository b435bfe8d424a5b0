import FuzzSupport
import ReferenceCodec

/// PNG input through ``PNGCodec/decode(_:)``.
///
/// Covers the IHDR pre-check, the chunk walks and libpng's simplified reader. A decoded image must
/// hold width × height × 3 samples.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
  do {
    let decoded = try PNGCodec.decode(bytes)
    let image = decoded.image
    fuzzCheck(
      image.pixels.count == image.width * image.height * 3,
      "\(image.pixels.count) samples for \(image.width)×\(image.height)")
    Sink.consume(image.pixels)
    Sink.consume(decoded.ignoredChunks.count)
  } catch {
    Sink.consume(error.code.utf8)
  }
  return 0
}
