import Crypto
import Foundation

/// Writes a canonical `.gicw` container (spec/container.md §7) without holding its tensors in
/// memory.
///
/// The caller declares every tensor (name, dtype, shape, quantization) up front; the layout is
/// then fixed, since it does not depend on the data. Tensor data may arrive in any order and is
/// hashed and written straight to its final place; ``finish()`` writes the index sections and
/// header, whose digests are known only then, and renames the file into place. The output is
/// byte-identical to ``WeightFileWriter``'s for the same content.
///
/// `write(tensor:data:)` may be called from any one thread at a time.
public final class StreamingWeightFileWriter: @unchecked Sendable {
  /// A tensor's description, without its data.
  public struct TensorSpec: Sendable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var quantization: Quantization?

    public init(name: String, dtype: DType, shape: [Int], quantization: Quantization? = nil) {
      self.name = name
      self.dtype = dtype
      self.shape = shape
      self.quantization = quantization
    }
  }

  private let layout: ContainerLayout
  private let output: AtomicFileOutput
  private let dataStart: UInt64
  private let lengths: [ByteName: UInt64]
  private var digests: [ByteName: [UInt8]] = [:]

  /// Validates the declared content, fixes the layout and creates the temporary output file.
  ///
  /// - Throws: ``WeightFormatError`` if a name, shape, quantization or table breaks the spec or a
  ///   limit, or the file cannot be created.
  public init(
    path: String, metadata: [String: MetadataValue], tensors: [TensorSpec],
    cdfTables: [String: CDFTable] = [:]
  ) throws(WeightFormatError) {
    // The in-memory writer's checks (names, limits, running section sizes) apply unchanged.
    var checker = WeightFileWriter()
    for (key, value) in metadata { try checker.setMetadata(key, value) }
    var lengths: [ByteName: UInt64] = [:]
    for t in tensors { lengths[ByteName(t.name)] = try checker.declare(t) }
    for (name, table) in cdfTables { try checker.add(table, named: name) }
    layout = checker.containerLayout
    self.lengths = lengths
    dataStart = layout.dataSectionOffset()
    output = try AtomicFileOutput(path: path)
    try output.setLength(dataStart + layout.dataLength)
    for (name, table) in cdfTables {
      let bytes = table.serializedData
      try withBytes(bytes) { (b) throws(WeightFormatError) in try store(ByteName(name), b) }
    }
  }

  /// Hashes a tensor's data (little-endian, C order) and writes it to its place.
  ///
  /// - Throws: ``WeightFormatError`` if the tensor was not declared, was already written, or the
  ///   data length does not match its shape.
  public func write(tensor name: String, data: UnsafeRawBufferPointer) throws(WeightFormatError) {
    guard let length = lengths[ByteName(name)] else {
      throw .invalidTensor(name: name, reason: "was not declared to the streaming writer")
    }
    guard UInt64(data.count) == length else {
      throw .dataLengthMismatch(name: name, expected: length, declared: UInt64(data.count))
    }
    try store(ByteName(name), data)
  }

  private func store(_ name: ByteName, _ data: UnsafeRawBufferPointer) throws(WeightFormatError) {
    guard digests[name] == nil else { throw .duplicateName(kind: "object", name: name.string) }
    digests[name] = Array(SHA256.hash(data: data))
    try output.write(data, at: dataStart + (layout.dataOffsets[name] ?? 0))
  }

  /// Writes the header and index sections and renames the file into place.
  ///
  /// - Returns: The model digest.
  /// - Throws: ``WeightFormatError`` if a declared tensor's data was never written, or on I/O
  ///   failure (then no file is left at the destination).
  public func finish() throws(WeightFormatError) -> [UInt8] {
    if let missing = layout.objectOrder.first(where: { digests[$0] == nil }) {
      throw .invalidTensor(name: missing.string, reason: "its data was never written")
    }
    let (prefix, modelDigest) = layout.prefix(digests: digests)
    try withBytes(prefix) { (b) throws(WeightFormatError) in try output.write(b, at: 0) }
    try output.commit()
    return modelDigest
  }
}

/// Calls `body` with the bytes of `array`, keeping the typed error.
func withBytes<R>(
  _ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(WeightFormatError) -> R
) throws(WeightFormatError) -> R {
  var outcome: Result<R, WeightFormatError>?
  array.withUnsafeBytes { b in outcome = Result { () throws(WeightFormatError) in try body(b) } }
  guard let outcome else { throw .io(path: "", reason: "internal: no result") }
  return try outcome.get()
}
