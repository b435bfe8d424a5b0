import Converters
import Foundation
import FuzzSupport

/// `.safetensors` reading from memory: the header length, the JSON header (dtypes, shapes,
/// `data_offsets`), the contiguity of the tensors' byte ranges, and every tensor's data.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(bytes: data, count: size)
  do {
    let reader = try SafetensorsReader(bytes)
    Sink.consume(reader.metadata.count)
    try reader.forEachArray { name, array in
      Sink.consume(name.utf8)
      Sink.consume(array.data)
    }
  } catch let error as SafetensorsError {
    Sink.consume(error.code.utf8)
  } catch {
    Sink.consume(String(describing: error).utf8)
  }
  return 0
}
