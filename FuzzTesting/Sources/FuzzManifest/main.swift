import Foundation
import FuzzSupport
import ReferenceCodec

/// The conformance manifest parser, ``ConformanceManifest/init(parsing:)``.
///
/// JSONDecoder plus the set's own rules. A manifest that parses must survive its canonical
/// serialization unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(bytes: data, count: size)
  do {
    let manifest = try ConformanceManifest(parsing: bytes)
    let canonical = manifest.serialized()
    let again = try ConformanceManifest(parsing: canonical)
    fuzzCheck(again == manifest, "the canonical serialization parses to another manifest")
    Sink.consume(canonical)
  } catch {
    Sink.consume(error.code.utf8)
  }
  return 0
}
