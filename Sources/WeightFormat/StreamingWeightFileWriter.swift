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
/// A tensor too large to hold whole may arrive in pieces instead, in order:
/// ``begin(tensor:)``, ``write(tensor:piece:)`` for each piece, ``end(tensor:)``. Each piece is
/// fed to an incremental SHA-256 and written at its running offset, so the output is
/// byte-identical to writing the pieces' concatenation with ``write(tensor:data:)``.
///
/// The writer's methods may be called from any one thread at a time.
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
  /// The tensor arriving in pieces, between ``begin(tensor:)`` and ``end(tensor:)``.
  private var piecewise: Piecewise?

  /// A tensor being written in pieces: its running digest and how much of it has been written.
  private struct Piecewise {
    var name: ByteName
    var length: UInt64
    var written: UInt64 = 0
    var hasher = SHA256()
  }

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

  /// Begins a tensor whose data will arrive in pieces, in order, through
  /// ``write(tensor:piece:)``, completed by ``end(tensor:)``; one such tensor at a time.
  ///
  /// Invariant: the output is byte-identical to writing the pieces' concatenation with
  /// ``write(tensor:data:)``: the same bytes land at the same offsets, and SHA-256 fed the
  /// pieces in order is the SHA-256 of the whole. ``finish()`` refuses a tensor begun and not
  /// completed.
  ///
  /// - Throws: ``WeightFormatError`` if the tensor was not declared or was already written or
  ///   begun, or another tensor's pieces are not completed.
  public func begin(tensor name: String) throws(WeightFormatError) {
    if let open = piecewise {
      throw .invalidTensor(
        name: open.name.string,
        reason: "its pieces are not completed, so \(JSONText.quote(name)) cannot begin")
    }
    let key = ByteName(name)
    guard let length = lengths[key] else {
      throw .invalidTensor(name: name, reason: "was not declared to the streaming writer")
    }
    guard digests[key] == nil else { throw .duplicateName(kind: "object", name: name) }
    piecewise = Piecewise(name: key, length: length)
  }

  /// Hashes the next piece of the tensor begun with ``begin(tensor:)`` and writes it after the
  /// previous ones.
  ///
  /// - Throws: ``WeightFormatError/dataLengthMismatch(name:expected:declared:)`` if the pieces so
  ///   far exceed the tensor's length (nothing of this piece is written), ``WeightFormatError``
  ///   if `name` is not the tensor begun, or on I/O failure.
  public func write(tensor name: String, piece: UnsafeRawBufferPointer)
    throws(WeightFormatError)
  {
    var open = try begun(name)
    let total = open.written + UInt64(piece.count)
    guard total <= open.length else {
      throw .dataLengthMismatch(name: name, expected: open.length, declared: total)
    }
    try output.write(
      piece, at: dataStart + (layout.dataOffsets[open.name] ?? 0) + open.written)
    open.hasher.update(bufferPointer: piece)
    open.written = total
    piecewise = open
  }

  /// Completes the tensor begun with ``begin(tensor:)``: its pieces must add up to its length.
  ///
  /// - Throws: ``WeightFormatError/dataLengthMismatch(name:expected:declared:)`` if they fall
  ///   short (the tensor then stays incomplete and ``finish()`` refuses), ``WeightFormatError``
  ///   if `name` is not the tensor begun.
  public func end(tensor name: String) throws(WeightFormatError) {
    let open = try begun(name)
    guard open.written == open.length else {
      throw .dataLengthMismatch(name: name, expected: open.length, declared: open.written)
    }
    digests[open.name] = Array(open.hasher.finalize())
    piecewise = nil
  }

  /// The tensor being written in pieces, which must be `name`.
  private func begun(_ name: String) throws(WeightFormatError) -> Piecewise {
    guard let open = piecewise, open.name == ByteName(name) else {
      throw .invalidTensor(name: name, reason: "was not begun with begin(tensor:)")
    }
    return open
  }

  private func store(_ name: ByteName, _ data: UnsafeRawBufferPointer) throws(WeightFormatError) {
    guard digests[name] == nil, piecewise?.name != name else {
      throw .duplicateName(kind: "object", name: name.string)
    }
    digests[name] = Array(SHA256.hash(data: data))
    try output.write(data, at: dataStart + (layout.dataOffsets[name] ?? 0))
  }

  /// Writes the header and index sections and renames the file into place.
  ///
  /// - Returns: The model digest.
  /// - Throws: ``WeightFormatError`` if a declared tensor's data was never written or its pieces
  ///   never completed, or on I/O failure (then no file is left at the destination).
  public func finish() throws(WeightFormatError) -> [UInt8] {
    if let open = piecewise {
      throw .invalidTensor(name: open.name.string, reason: "its pieces were never completed")
    }
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
