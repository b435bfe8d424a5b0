import Foundation
import FuzzSupport
import ReferenceCodec
import WeightFormat

/// The shipped codec models, loaded once: `$GIC_FUZZ_MODELS` (a directory of `.gicw` files) or
/// the repository's published ones, `conformance/models` and every `conformance/<set>/models`
/// (so every codec profile, context models included).
let codecs: [HyperpriorCodec] = {
  let conformance = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../../conformance").standardized.path
  let directories: [String]
  if let given = ProcessInfo.processInfo.environment["GIC_FUZZ_MODELS"] {
    directories = [given]
  } else {
    let sets = (try? FileManager.default.contentsOfDirectory(atPath: conformance)) ?? []
    directories =
      [conformance + "/models"] + sets.sorted().map { conformance + "/" + $0 + "/models" }
  }
  let codecs = directories.flatMap { directory in
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.filter { $0.hasSuffix(".gicw") }.sorted().compactMap { name in
      try? HyperpriorCodec(file: WeightFile.open(path: directory + "/" + name))
    }
  }
  guard !codecs.isEmpty else { fatalError("FuzzBitstream: no codec model in \(directories)") }
  return codecs
}()

/// `.gic` parsing and decoding against every shipped model.
///
/// ``Bitstream/init(parsing:)`` must give back the same bytes when serialized (the encoding is
/// canonical); the stream is then decoded with each model: the one whose digest it names runs
/// the entropy decoders and the networks, the others must refuse it. Every failure must be a
/// typed error (``BitstreamError`` or ``EntropyError``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
  let stream: Bitstream
  do {
    stream = try Bitstream(parsing: bytes)
  } catch {
    Sink.consume(error.code.utf8)
    return 0
  }
  fuzzCheck(stream.serialized() == bytes, "a parsed bitstream does not serialize to its bytes")
  for codec in codecs {
    do {
      let image = try codec.decode(stream)
      fuzzCheck(
        image.width == stream.width && image.height == stream.height
          && image.pixels.count == image.width * image.height * 3,
        "decoded \(image.width)×\(image.height) for a \(stream.width)×\(stream.height) stream")
      Sink.consume(image.pixels)
    } catch let error as BitstreamError {
      Sink.consume(error.code.utf8)
    } catch let error as EntropyError {
      Sink.consume(error.code.utf8)
    } catch {
      fatalError("untyped decoding error: \(type(of: error)): \(error)")
    }
  }
  return 0
}
