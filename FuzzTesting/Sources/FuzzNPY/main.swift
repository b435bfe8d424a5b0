import Converters
import Foundation
import FuzzSupport

/// `.npy` parsing: ``NPYReader/read(_:)`` must return an array whose data matches its shape, or
/// throw ``NPYError``; anything else (a trap, a hang, a huge allocation) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(bytes: data, count: size)
  do {
    let array = try NPYReader.read(bytes)
    fuzzCheck(
      elementCount(array.shape).map { array.data.count == $0 * array.dtype.itemSize } ?? false,
      "\(array.data.count) data bytes for shape \(array.shape) of \(array.dtype)")
    Sink.consume(array.data)
  } catch {
    Sink.consume(error.code.utf8)
  }
  return 0
}
