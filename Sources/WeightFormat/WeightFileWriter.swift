import Crypto
import Foundation

/// Builds a `.gicw` container in canonical form (spec/container.md §7).
///
/// The same logical content — metadata, tensors and CDF tables, in any insertion order — always
/// serializes to the same bytes: records sorted by name, packed 64-byte-aligned objects, zero
/// padding and reserved fields, no timestamps.
public struct WeightFileWriter: Sendable {
  private var metadata: [ByteName: MetadataValue] = [:]
  /// Encoded size and value count of each metadata entry, for the running totals.
  private var metadataCost: [ByteName: (bytes: Int, values: Int)] = [:]
  /// Every tensor declared so far; ``tensorData`` holds the data of those added with data.
  private var declared: [ByteName: ContainerLayout.TensorEntry] = [:]
  private var tensorData: [ByteName: Data] = [:]
  private var cdfTables: [ByteName: CDFTable] = [:]
  // Running totals, so content the reader would refuse (§8) is refused here, when added.
  private var metaSectionBytes = 4
  private var metadataValues = 0
  private var tensorSectionBytes = 4
  private var cdfSectionBytes = 4

  public init() {}

  /// The number of tensors added so far.
  public var tensorCount: Int { declared.count }

  /// Sets a metadata entry, replacing an earlier value for the key.
  ///
  /// - Throws: ``WeightFormatError`` if the key or value breaks a rule or limit of §5.1 or §8.
  public mutating func setMetadata(_ key: String, _ value: MetadataValue) throws(WeightFormatError)
  {
    try ContainerRules.checkName(key, maxBytes: ContainerLimits.maxKeyBytes, offset: 0)
    let values = try ContainerRules.checkMetadataValue(value, depth: 1, offset: 0)
    let name = ByteName(key)
    let old = metadataCost[name] ?? (0, 0)
    if metadata[name] == nil && metadata.count >= ContainerLimits.maxMetadataEntries {
      throw .limitExceeded(
        what: "metadata entry count", value: UInt64(metadata.count + 1),
        limit: UInt64(ContainerLimits.maxMetadataEntries), offset: 0)
    }
    let bytes = 2 + key.utf8.count + Self.encodedSize(value)
    let totalValues = metadataValues - old.values + values
    guard totalValues <= ContainerLimits.maxMetadataValues else {
      throw .limitExceeded(
        what: "metadata value count", value: UInt64(totalValues),
        limit: UInt64(ContainerLimits.maxMetadataValues), offset: 0)
    }
    let totalBytes = metaSectionBytes - old.bytes + bytes
    try Self.checkSection(SectionKind.meta, bytes: totalBytes)
    metadata[name] = value
    metadataCost[name] = (bytes, values)
    metadataValues = totalValues
    metaSectionBytes = totalBytes
  }

  /// Adds a tensor.
  ///
  /// - Throws: ``WeightFormatError`` if the name is taken or invalid, the data does not match the
  ///   shape, the quantization parameters break §5.2.2, or a limit of §8 would be exceeded.
  public mutating func add(_ tensor: Tensor) throws(WeightFormatError) {
    let spec = StreamingWeightFileWriter.TensorSpec(
      name: tensor.name, dtype: tensor.dtype, shape: tensor.shape,
      quantization: tensor.quantization)
    let length = try Self.dataLength(of: spec)
    guard length == UInt64(tensor.data.count) else {
      throw .dataLengthMismatch(
        name: tensor.name, expected: length, declared: UInt64(tensor.data.count))
    }
    try declare(spec)
    tensorData[ByteName(tensor.name)] = tensor.data
  }

  /// Declares a tensor without its data (for the streaming writer) and returns its data length.
  @discardableResult
  mutating func declare(_ spec: StreamingWeightFileWriter.TensorSpec) throws(WeightFormatError)
    -> UInt64
  {
    try checkNewName(spec.name)
    let length = try Self.dataLength(of: spec)
    guard declared.count < ContainerLimits.maxTensors else {
      throw .limitExceeded(
        what: "tensor count", value: UInt64(declared.count + 1),
        limit: UInt64(ContainerLimits.maxTensors), offset: 0)
    }
    var record = 2 + spec.name.utf8.count + 4 + 8 * spec.shape.count + 48
    switch spec.quantization {
    case .none: break
    case .perTensor: record += 12
    case .perAxis(_, let p): record += 1 + 12 * p.count
    }
    try Self.checkSection(SectionKind.tensors, bytes: tensorSectionBytes + record)
    tensorSectionBytes += record
    declared[ByteName(spec.name)] = .init(
      name: spec.name, dtype: spec.dtype, shape: spec.shape, quantization: spec.quantization,
      length: length)
    return length
  }

  /// Checks a tensor description against §5.2 and the limits, and returns its data length.
  static func dataLength(of spec: StreamingWeightFileWriter.TensorSpec) throws(WeightFormatError)
    -> UInt64
  {
    guard spec.shape.allSatisfy({ $0 >= 0 }) else {
      throw .invalidTensor(name: spec.name, reason: "negative dimension in \(spec.shape)")
    }
    let dims = spec.shape.map { UInt64($0) }
    let length = try ContainerRules.dataLength(name: spec.name, dtype: spec.dtype, shape: dims)
    if let q = spec.quantization {
      try ContainerRules.checkQuantization(q, name: spec.name, dtype: spec.dtype, shape: dims)
    }
    return length
  }

  /// Adds a CDF table under `name`.
  ///
  /// - Throws: ``WeightFormatError`` if the name is taken, the table breaks §5.3, or a limit of
  ///   §8 would be exceeded.
  public mutating func add(_ table: CDFTable, named name: String) throws(WeightFormatError) {
    try checkNewName(name)
    try table.validate(name: name)
    guard cdfTables.count < ContainerLimits.maxCDFTables else {
      throw .limitExceeded(
        what: "CDF table count", value: UInt64(cdfTables.count + 1),
        limit: UInt64(ContainerLimits.maxCDFTables), offset: 0)
    }
    let record = 2 + name.utf8.count + 62
    try Self.checkSection(SectionKind.cdfs, bytes: cdfSectionBytes + record)
    cdfSectionBytes += record
    cdfTables[ByteName(name)] = table
  }

  private func checkNewName(_ name: String) throws(WeightFormatError) {
    try ContainerRules.checkName(name, maxBytes: ContainerLimits.maxNameBytes, offset: 0)
    let key = ByteName(name)
    if declared[key] != nil || cdfTables[key] != nil {
      throw .duplicateName(kind: "object", name: name)
    }
  }

  private static func checkSection(_ kind: UInt32, bytes: Int) throws(WeightFormatError) {
    guard UInt64(bytes) <= ContainerLimits.maxIndexSectionLength else {
      throw .sectionTooLarge(
        kind: kind, length: UInt64(bytes), limit: ContainerLimits.maxIndexSectionLength)
    }
  }

  /// The encoded size of a metadata value (§5.1).
  private static func encodedSize(_ value: MetadataValue) -> Int {
    switch value {
    case .string(let s): 5 + s.utf8.count
    case .integer: 9
    case .list(let items): 5 + items.reduce(0) { $0 + encodedSize($1) }
    }
  }

  /// Returns the container's bytes.
  public func serialized() -> [UInt8] {
    var out: [UInt8] = []
    layout().emit { out.append(contentsOf: $0) }
    return out
  }

  /// Writes the container to `path` atomically (temporary file, then rename).
  ///
  /// - Returns: The model digest.
  /// - Throws: ``WeightFormatError/io(path:reason:)``; on failure no file is left at `path` and an
  ///   existing one is untouched.
  @discardableResult
  public func write(to path: String) throws(WeightFormatError) -> [UInt8] {
    let output = try AtomicFileOutput(path: path)
    let plan = layout()
    var failure: WeightFormatError?
    plan.emit { bytes in
      guard failure == nil else { return }
      do throws(WeightFormatError) { try output.write(bytes) } catch { failure = error }
    }
    if let failure { throw failure }
    try output.commit()
    return plan.modelDigest
  }

  /// The canonical layout of the current content.
  var containerLayout: ContainerLayout {
    ContainerLayout(
      metadata: metadata.map { ($0.key.string, $0.value) }, tensors: Array(declared.values),
      cdfTables: cdfTables.map { ($0.key.string, $0.value) })
  }

  /// Computes digests, index sections and header, and returns them with a function that
  /// streams DATA.
  private func layout() -> Layout {
    let plan = containerLayout
    let payloads: [Payload] = plan.objectOrder.map { name in
      if let t = tensorData[name] { return .tensor(t) }
      return .cdf(cdfTables[name]?.serializedData ?? [])
    }
    let digests = parallelMap(payloads.count, work: Int(clamping: plan.dataLength)) { i in
      payloads[i].withBytes { Array(SHA256.hash(data: $0)) }
    }
    let (prefix, modelDigest) = plan.prefix(
      digests: Dictionary(uniqueKeysWithValues: zip(plan.objectOrder, digests)))
    return Layout(modelDigest: modelDigest, prefix: prefix, dataLength: plan.dataLength) { sink in
      var written: UInt64 = 0
      let zeros = [UInt8](repeating: 0, count: 64)
      func pad() {
        let n = Int(align64(written) - written)
        if n > 0 { zeros.withUnsafeBytes { sink(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } }
        written += UInt64(n)
      }
      for o in payloads {
        pad()
        o.withBytes { b in
          // Chunked so a sink that copies never holds more than 64 MiB of extra memory.
          var start = 0
          while start < b.count {
            let end = min(b.count, start + (64 << 20))
            sink(UnsafeRawBufferPointer(rebasing: b[start..<end]))
            start = end
          }
          written += UInt64(b.count)
        }
      }
      pad()
    }
  }

  /// The bytes of one object in DATA.
  private enum Payload: Sendable {
    case tensor(Data)
    case cdf([UInt8])
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
      switch self {
      case .tensor(let d): d.withUnsafeBytes(body)
      case .cdf(let b): b.withUnsafeBytes(body)
      }
    }
  }

  /// A computed file layout: everything before DATA, and a function that streams DATA.
  private struct Layout {
    var modelDigest: [UInt8]
    var prefix: [UInt8]
    var dataLength: UInt64
    var emitData: ((UnsafeRawBufferPointer) -> Void) -> Void

    func emit(_ sink: (UnsafeRawBufferPointer) -> Void) {
      prefix.withUnsafeBytes { sink($0) }
      emitData(sink)
    }
  }
}
