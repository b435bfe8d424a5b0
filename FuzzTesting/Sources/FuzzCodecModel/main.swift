import Foundation
import FuzzSupport
import ReferenceCodec
import WeightFormat

/// Loading a container as a codec model: ``HyperpriorCodec/init(file:)`` reads the profile, the
/// graphs (`gic.graph.*` metadata), every operator's parameters and accumulator proof, the
/// entropy tables and the gic-v1 rate and sampler tables, and must succeed or throw
/// ``ModelError``.
///
/// The input is first repaired (``DigestRepair``): graphs live in metadata covered by the model
/// digest, so an unrepaired mutant would almost never get past ``WeightFile/init(bytes:)``, whose
/// own checks `FuzzWeightFile` covers. Inputs the repair cannot follow are tried as they are.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(bytes: data, count: size)
  let file: WeightFile
  do {
    file = try WeightFile(bytes: DigestRepair.repaired(bytes) ?? bytes)
  } catch {
    Sink.consume(error.code.utf8)
    return 0
  }
  do throws(ModelError) {
    let codec = try HyperpriorCodec(file: file)
    Sink.consume(codec.digestPrefix)
  } catch {
    Sink.consume(error.code.utf8)
  }
  return 0
}
