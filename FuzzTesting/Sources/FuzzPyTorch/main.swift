import Converters
import Foundation
import FuzzSupport

/// PyTorch checkpoint reading from memory: the zip (any member names), the restricted pickle
/// reader of `data.pkl` (opcodes, globals, memo, nesting), the state dict's extraction and every
/// tensor's offset, shape and strides against its storage.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(bytes: data, count: size)
  do {
    for (name, array) in try PyTorchCheckpoint.read(bytes) {
      Sink.consume(name.utf8)
      Sink.consume(array.data)
    }
  } catch {
    Sink.consume(String(describing: error).utf8)
  }
  return 0
}
