import Converters
import Foundation
import FuzzSupport

/// `.npz` reading from memory.
///
/// Covers the zip directory checks, libarchive's inflation into buffers of
/// the declared size, and every member's `.npy` header and data. A member larger than 64 MiB is
/// refused through ``NPZReader``'s total-size cap, so no input can ask for more than that.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(bytes: data, count: size)
  do {
    let reader = try NPZReader(bytes, maxTotalBytes: 64 << 20)
    Sink.consume(reader.names.count)
    try reader.forEachHeader { name, header in
      Sink.consume(name.utf8)
      Sink.consume(header.dataOffset)
    }
    try reader.forEachArray { name, array in
      Sink.consume(array.data)
    }
  } catch {
    Sink.consume(error.code.utf8)
  }
  return 0
}
