import Foundation
import WeightFormat

/// Reads Hugging Face `.safetensors` files: an 8-byte little-endian header length N, N bytes of
/// JSON header, then the tensors' bytes.
///
/// Checks what the format's own reader (the `safetensors` Rust crate) checks: a header of at
/// most 100 MB that is a JSON object, each tensor's `data_offsets` `[begin, end]` with
/// `begin ≤ end` and `end − begin = product(shape) × dtype size` (overflow checked), and the
/// ranges, sorted, contiguous from 0 to the end of the file without holes or overlaps. Every
/// size is checked against the file's size before anything is read; a tensor is read only when
/// it is handed out, with `pread`, so the file is never mapped or loaded whole.
public final class SafetensorsReader {
  /// The format's header limit: 100,000,000 bytes (the Rust crate's `MAX_HEADER_SIZE`).
  public static let maxHeaderBytes: UInt64 = 100_000_000
  /// The largest tensor read into memory: 1 GiB, as for a `.npz` member.
  public static let maxTensorBytes = 1 << 30

  /// One tensor's entry in the header.
  public struct Entry: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// Absolute byte range in the file.
    public var range: Range<Int>
  }

  private let source: ByteSource
  /// The tensors, in the order of their data in the file.
  public let entries: [Entry]
  /// The `__metadata__` map, if any.
  public let metadata: [String: String]

  /// Opens the file at `path` and checks its header.
  ///
  /// - Throws: ``ConverterError`` if the file cannot be opened, ``SafetensorsError`` if it is
  ///   malformed.
  public convenience init(path: String) throws {
    let source = try ByteSource.open(path: path)
    do { try self.init(source: source) } catch {
      source.close()
      throw error
    }
  }

  /// Checks the header of a file held in memory.
  public convenience init(_ bytes: Data) throws(SafetensorsError) {
    try self.init(source: .memory(bytes))
  }

  init(source: ByteSource) throws(SafetensorsError) {
    self.source = source
    let size = source.count
    let head = source.read(0..<8)
    guard head.count == 8 else { throw .truncated(size: size) }
    let n: UInt64 = ByteOrder.littleEndian(from: head, at: 0)
    guard n <= Self.maxHeaderBytes, n <= UInt64(size - 8) else {
      throw .headerTooLarge(declared: n, limit: Self.maxHeaderBytes, fileBytes: size)
    }
    let text = source.read(8..<(8 + Int(n)))
    (entries, metadata) = try Self.parseHeader(text, dataStart: 8 + Int(n), fileSize: size)
  }

  deinit { source.close() }

  /// Calls `body` with each tensor's name and array, in file order (only the names in `only`,
  /// when given).
  public func forEachArray(
    only: Set<String>? = nil, progress: (UInt64) -> Void = { _ in },
    _ body: (String, NumPyArray) throws -> Void
  ) throws {
    var done: UInt64 = 0
    for entry in entries where only?.contains(entry.name) ?? true {
      guard entry.range.count <= Self.maxTensorBytes else {
        throw SafetensorsError.invalidTensor(
          name: entry.name,
          detail: "\(entry.range.count) bytes, over the \(Self.maxTensorBytes) one tensor may hold")
      }
      let bytes = source.read(entry.range)
      guard bytes.count == entry.range.count else {
        throw SafetensorsError.badOffsets(
          name: entry.name, detail: "the file ended while its data was read (it changed?)")
      }
      try body(entry.name, NumPyArray(dtype: entry.dtype, shape: entry.shape, data: Data(bytes)))
      done += UInt64(bytes.count)
      progress(done)
    }
  }

  /// The total size of all tensors' data.
  public var totalBytes: UInt64 { entries.reduce(0) { $0 + UInt64($1.range.count) } }

  /// The dtypes of the format, with gic's type where gic can use it.
  static let dtypes: [String: DType?] = [
    "F64": .float64, "F32": .float32, "F16": .float16, "I64": .int64, "I32": .int32,
    "I16": .int16, "I8": .int8, "U8": .uint8, "BOOL": .bool, "U16": .uint16, "U32": .uint32,
    "U64": .uint64, "BF16": nil, "F8_E5M2": nil, "F8_E4M3": nil, "F8_E8M0": nil, "F6_E2M3": nil,
    "F6_E3M2": nil, "F4": nil, "C64": nil,
  ]
}
