import Foundation
import WeightFormat

/// The arrays of a state dict file, whatever its format: a `.npz` read member by member, a
/// `.safetensors` file read tensor by tensor, or arrays already read (a PyTorch checkpoint).
///
/// Every conversion of a whole state dict goes through this, so the same arrays give the same
/// container whichever file carried them.
final class StateDictFile {
  private enum Storage {
    case npz(NPZReader)
    case safetensors(SafetensorsReader)
    case arrays([(name: String, array: NumPyArray)])
  }
  private let storage: Storage

  private init(_ storage: Storage) { self.storage = storage }

  /// Opens `path` as a state dict of the given kind; nil for a kind that is not one.
  ///
  /// - Throws: the format's typed error, located at `path`.
  static func open(_ path: String, kind: InputFile.Kind) throws -> StateDictFile? {
    do {
      switch kind {
      case .npz: return StateDictFile(.npz(try NPZReader(path: path)))
      case .safetensors: return StateDictFile(.safetensors(try SafetensorsReader(path: path)))
      case .pytorch: return StateDictFile(.arrays(try PyTorchCheckpoint.read(path: path)))
      case .npy, .gicw: return nil
      }
    } catch { throw LocatedError.located(error, path: path) }
  }

  /// Each array's name, dtype and shape, in file order, without reading the data.
  func forEachSpec(_ body: (String, DType, [Int]) -> Void) throws {
    switch storage {
    case .npz(let reader):
      try reader.forEachHeader { name, header in body(name, header.dtype, header.shape) }
    case .safetensors(let reader):
      for entry in reader.entries { body(entry.name, entry.dtype, entry.shape) }
    case .arrays(let arrays):
      for (name, array) in arrays { body(name, array.dtype, array.shape) }
    }
  }

  /// The reader of a `.npz` state dict, which can hand its arrays over in pieces as they
  /// inflate; nil for the other formats.
  var npzReader: NPZReader? {
    if case .npz(let reader) = storage { return reader }
    return nil
  }

  /// The total size of the arrays' data.
  var totalBytes: UInt64 {
    switch storage {
    case .npz(let reader): reader.totalUncompressedBytes
    case .safetensors(let reader): reader.totalBytes
    case .arrays(let arrays): arrays.reduce(0) { $0 + UInt64($1.array.data.count) }
    }
  }

  /// Calls `body` with each array (only those in `only`, when given), in file order.
  func forEachArray(
    only: Set<String>? = nil, progress: (UInt64) -> Void = { _ in },
    _ body: (String, NumPyArray) throws -> Void
  ) throws {
    switch storage {
    case .npz(let reader):
      // NPZReader's body throws only NPZError; anything else is carried out beside it.
      var thrown: (any Error)?
      do {
        try reader.forEachArray(only: only, progress: progress) { (name, array) throws(NPZError) in
          do { try body(name, array) } catch let error as NPZError { throw error } catch {
            thrown = error
            throw .archive(name: nil, message: "stopped")
          }
        }
      } catch {
        if let thrown { throw thrown }
        throw error
      }
    case .safetensors(let reader):
      try reader.forEachArray(only: only, progress: progress, body)
    case .arrays(let arrays):
      var done: UInt64 = 0
      for (name, array) in arrays where only?.contains(name) ?? true {
        try body(name, array)
        done += UInt64(array.data.count)
        progress(done)
      }
    }
  }
}
