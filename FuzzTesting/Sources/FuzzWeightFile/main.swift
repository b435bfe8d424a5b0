import Foundation
import FuzzSupport
import WeightFormat

/// `.gicw` loading and verification: ``WeightFile/init(bytes:)`` checks structure, limits,
/// canonical layout, every digest and every CDF row; the target then reads every tensor, table
/// and metadata entry it reports.
///
/// An input refused for a digest or length mismatch is tried again with those fields made right
/// (``DigestRepair``), so that mutations reach the checks behind the digests. Loading a container
/// as a codec model is `FuzzCodecModel`'s work: it costs milliseconds per input, this target's
/// checks microseconds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(bytes: data, count: size)
  do throws(WeightFormatError) {
    try open(bytes)
  } catch .modelDigestMismatch, .objectDigestMismatch, .fileLengthMismatch {
    if let repaired = DigestRepair.repaired(bytes) {
      do { try open(repaired) } catch { Sink.consume(error.code.utf8) }
    }
  } catch {
    Sink.consume(error.code.utf8)
  }
  return 0
}

func open(_ bytes: Data) throws(WeightFormatError) {
  let file = try WeightFile(bytes: bytes)
  Sink.consume(file.modelDigest)
  for tensor in file.tensors {
    let payload = file.data(of: tensor)
    fuzzCheck(
      elementCount(tensor.shape).map { payload.count == $0 * tensor.dtype.itemSize } ?? false,
      "tensor \(tensor.name): \(payload.count) bytes for \(tensor.shape) \(tensor.dtype)")
    Sink.consume(payload)
  }
  for entry in file.metadata { Sink.consume(entry.key.utf8) }
  for record in file.cdfTables { Sink.consume(record.name.utf8) }
}
