import Crypto
import Foundation

/// Builds a `.gicw` container in canonical form (spec/container.md §7).
///
/// The same logical content — metadata, tensors and CDF tables, in any insertion order — always
/// serializes to the same bytes: records sorted by name, packed 64-byte-aligned objects, zero
/// padding and reserved fields, no timestamps.
public struct WeightFileWriter: Sendable {
  private var metadata: [String: MetadataValue] = [:]
  private var tensors: [String: Tensor] = [:]
  private var cdfTables: [String: CDFTable] = [:]

  public init() {}

  /// The number of tensors added so far.
  public var tensorCount: Int { tensors.count }

  /// Sets a metadata entry, replacing an earlier value for the key.
  ///
  /// - Throws: ``WeightFormatError`` if the key or value breaks a rule or limit of §5.1.
  public mutating func setMetadata(_ key: String, _ value: MetadataValue) throws(WeightFormatError) {
    try ContainerRules.checkName(key, maxBytes: ContainerLimits.maxKeyBytes, offset: 0)
    _ = try ContainerRules.checkMetadataValue(value, depth: 1, offset: 0)
    if metadata[key] == nil && metadata.count >= ContainerLimits.maxMetadataEntries {
      throw .limitExceeded(
        what: "metadata entry count", value: UInt64(metadata.count + 1),
        limit: UInt64(ContainerLimits.maxMetadataEntries), offset: 0)
    }
    metadata[key] = value
  }

  /// Adds a tensor.
  ///
  /// - Throws: ``WeightFormatError`` if the name is taken or invalid, the data does not match the
  ///   shape, or the quantization parameters break §5.2.2.
  public mutating func add(_ tensor: Tensor) throws(WeightFormatError) {
    try checkNewName(tensor.name)
    guard tensor.shape.allSatisfy({ $0 >= 0 }) else {
      throw .invalidTensor(name: tensor.name, reason: "negative dimension in \(tensor.shape)")
    }
    let dims = tensor.shape.map { UInt64($0) }
    let length = try ContainerRules.dataLength(name: tensor.name, dtype: tensor.dtype, shape: dims)
    guard length == UInt64(tensor.data.count) else {
      throw .dataLengthMismatch(
        name: tensor.name, expected: length, declared: UInt64(tensor.data.count))
    }
    if let q = tensor.quantization {
      try ContainerRules.checkQuantization(q, name: tensor.name, dtype: tensor.dtype, shape: dims)
    }
    guard tensors.count < ContainerLimits.maxTensors else {
      throw .limitExceeded(
        what: "tensor count", value: UInt64(tensors.count + 1),
        limit: UInt64(ContainerLimits.maxTensors), offset: 0)
    }
    tensors[tensor.name] = tensor
  }

  /// Adds a CDF table under `name`.
  ///
  /// - Throws: ``WeightFormatError`` if the name is taken or the table breaks §5.3.
  public mutating func add(_ table: CDFTable, named name: String) throws(WeightFormatError) {
    try checkNewName(name)
    try table.validate(name: name)
    guard cdfTables.count < ContainerLimits.maxCDFTables else {
      throw .limitExceeded(
        what: "CDF table count", value: UInt64(cdfTables.count + 1),
        limit: UInt64(ContainerLimits.maxCDFTables), offset: 0)
    }
    cdfTables[name] = table
  }

  private func checkNewName(_ name: String) throws(WeightFormatError) {
    try ContainerRules.checkName(name, maxBytes: ContainerLimits.maxNameBytes, offset: 0)
    if tensors[name] != nil || cdfTables[name] != nil {
      throw .duplicateName(kind: "object", name: name)
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

  /// Computes the canonical layout: digests, index sections, header.
  private func layout() -> Layout {
    enum Payload {
      case tensor(Tensor)
      case cdf(String, CDFTable, [UInt8])
      var name: String {
        switch self {
        case .tensor(let t): t.name
        case .cdf(let n, _, _): n
        }
      }
      func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch self {
        case .tensor(let t): t.data.withUnsafeBytes(body)
        case .cdf(_, _, let b): b.withUnsafeBytes(body)
        }
      }
    }
    var objects = tensors.values.map { Payload.tensor($0) }
    objects += cdfTables.map { Payload.cdf($0.key, $0.value, $0.value.serializedData) }
    objects.sort { ContainerRules.precedes($0.name, $1.name) }
    let frozen = objects
    let digests = parallelMap(frozen.count) { i in
      frozen[i].withBytes { Array(SHA256.hash(data: $0)) }
    }

    var offsets: [String: UInt64] = [:]
    var cursor: UInt64 = 0
    for o in objects {
      let start = align64(cursor)
      offsets[o.name] = start
      cursor = start + UInt64(o.withBytes { $0.count })
    }
    let dataLength = align64(cursor)
    let digestByName = Dictionary(uniqueKeysWithValues: zip(objects.map(\.name), digests))

    var meta = ByteWriter()
    meta.append(UInt32(metadata.count))
    for key in metadata.keys.sorted(by: ContainerRules.precedes) {
      appendName(&meta, key)
      appendValue(&meta, metadata[key] ?? .integer(0))
    }

    var tensorIndex = ByteWriter()
    tensorIndex.append(UInt32(tensors.count))
    for name in tensors.keys.sorted(by: ContainerRules.precedes) {
      guard let t = tensors[name] else { continue }
      appendName(&tensorIndex, name)
      tensorIndex.append(t.dtype.rawValue)
      tensorIndex.append(UInt8(t.shape.count))
      tensorIndex.append(t.quantization?.kind ?? 0)
      tensorIndex.append(UInt8(0))
      for d in t.shape { tensorIndex.append(UInt64(d)) }
      tensorIndex.append(offsets[name] ?? 0)
      tensorIndex.append(UInt64(t.data.count))
      tensorIndex.append(contentsOf: digestByName[name] ?? [])
      if let q = t.quantization {
        if case .perAxis(let axis, _) = q { tensorIndex.append(UInt8(axis)) }
        for p in q.parameters {
          tensorIndex.append(p.multiplier)
          tensorIndex.append(p.shift)
          tensorIndex.append(p.zeroPoint)
        }
      }
    }

    var cdfIndex = ByteWriter()
    cdfIndex.append(UInt32(cdfTables.count))
    for name in cdfTables.keys.sorted(by: ContainerRules.precedes) {
      guard let t = cdfTables[name] else { continue }
      appendName(&cdfIndex, name)
      cdfIndex.append(UInt8(t.precision))
      cdfIndex.append(contentsOf: [0, 0, 0])
      cdfIndex.append(UInt32(t.count))
      cdfIndex.append(UInt32(t.stride))
      cdfIndex.append(offsets[name] ?? 0)
      cdfIndex.append(UInt64(8 * t.count + 4 * t.count * t.stride))
      cdfIndex.append(contentsOf: digestByName[name] ?? [])
    }

    let indexSections = [meta.bytes, tensorIndex.bytes, cdfIndex.bytes]
    var table = ByteWriter()
    var position = align64(UInt64(64 + 32 * 4))
    var sectionOffsets: [UInt64] = []
    for (i, length) in (indexSections.map { UInt64($0.count) } + [dataLength]).enumerated() {
      table.append(UInt32(i + 1))
      table.append(UInt32(1))
      table.append(position)
      table.append(length)
      table.append(UInt64(0))
      sectionOffsets.append(position)
      position = align64(position + length)
    }
    let fileLength = position

    var head = ByteWriter()
    head.append(contentsOf: WeightFile.magic)
    head.append(WeightFile.currentVersion.major)
    head.append(WeightFile.currentVersion.minor)
    head.append(UInt32(0))
    head.append(fileLength)
    head.append(UInt32(4))
    head.append(UInt32(0))
    var hasher = SHA256()
    hasher.update(data: head.bytes)
    hasher.update(data: table.bytes)
    for s in indexSections { hasher.update(data: s) }
    let modelDigest = Array(hasher.finalize())
    head.append(contentsOf: modelDigest)

    var prefix = head.bytes + table.bytes
    for s in indexSections {
      prefix += [UInt8](repeating: 0, count: Int(align64(UInt64(prefix.count))) - prefix.count)
      prefix += s
    }
    prefix += [UInt8](repeating: 0, count: Int(align64(UInt64(prefix.count))) - prefix.count)

    let payloads = objects
    return Layout(modelDigest: modelDigest, prefix: prefix, dataLength: dataLength) { sink in
      var written: UInt64 = 0
      let zeros = [UInt8](repeating: 0, count: 64)
      for o in payloads {
        let pad = Int(align64(written) - written)
        if pad > 0 { zeros.withUnsafeBytes { sink(UnsafeRawBufferPointer(rebasing: $0[0..<pad])) } }
        written += UInt64(pad)
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
      let pad = Int(align64(written) - written)
      if pad > 0 { zeros.withUnsafeBytes { sink(UnsafeRawBufferPointer(rebasing: $0[0..<pad])) } }
    }
  }

  private func appendName(_ w: inout ByteWriter, _ name: String) {
    w.append(UInt16(name.utf8.count))
    w.append(contentsOf: name.utf8)
  }

  private func appendValue(_ w: inout ByteWriter, _ value: MetadataValue) {
    w.append(value.tag)
    switch value {
    case .string(let s):
      w.append(UInt32(s.utf8.count))
      w.append(contentsOf: s.utf8)
    case .integer(let i):
      w.append(i)
    case .list(let items):
      w.append(UInt32(items.count))
      for item in items { appendValue(&w, item) }
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
