import Crypto

/// The canonical placement of a container's content (spec/container.md §4, §5.4, §7), shared by
/// the in-memory and the streaming writer so both produce the same bytes.
///
/// The layout depends only on names, dtypes, shapes, quantization and metadata; digests enter
/// only the index sections. So a streaming writer can place every object before it has seen
/// any data, and write the index last.
struct ContainerLayout {
  struct TensorEntry {
    var name: String
    var dtype: DType
    var shape: [Int]
    var quantization: Quantization?
    var length: UInt64
  }

  let metadata: [(key: String, value: MetadataValue)]  // sorted by key
  let tensors: [TensorEntry]  // sorted by name
  let cdfTables: [(name: String, table: CDFTable)]  // sorted by name
  /// Offset of each object relative to the start of DATA.
  let dataOffsets: [ByteName: UInt64]
  /// The length of the DATA section.
  let dataLength: UInt64
  /// The objects (tensors and CDF tables) in DATA order.
  let objectOrder: [ByteName]

  /// Lays out content whose names are unique by their UTF-8 bytes.
  init(
    metadata: [(key: String, value: MetadataValue)], tensors: [TensorEntry],
    cdfTables: [(name: String, table: CDFTable)]
  ) {
    self.metadata = metadata.sorted { ContainerRules.precedes($0.key, $1.key) }
    self.tensors = tensors.sorted { ContainerRules.precedes($0.name, $1.name) }
    self.cdfTables = cdfTables.sorted { ContainerRules.precedes($0.name, $1.name) }
    var lengths = Dictionary(uniqueKeysWithValues: tensors.map { (ByteName($0.name), $0.length) })
    for c in cdfTables {
      lengths[ByteName(c.name)] = UInt64(8 * c.table.count + 4 * c.table.count * c.table.stride)
    }
    let order = lengths.keys.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
    var offsets: [ByteName: UInt64] = [:]
    var cursor: UInt64 = 0
    for name in order {
      let start = align64(cursor)
      offsets[name] = start
      cursor = start + (lengths[name] ?? 0)
    }
    dataOffsets = offsets
    dataLength = align64(cursor)
    objectOrder = order
  }

  /// The index sections: META, TENSORS, CDFS, given each object's digest.
  func indexSections(digests: [ByteName: [UInt8]]) -> [[UInt8]] {
    var meta = ByteWriter()
    meta.append(UInt32(metadata.count))
    for (key, value) in metadata {
      Self.appendName(&meta, key)
      Self.appendValue(&meta, value)
    }

    var tensorIndex = ByteWriter()
    tensorIndex.append(UInt32(tensors.count))
    for t in tensors {
      Self.appendName(&tensorIndex, t.name)
      tensorIndex.append(t.dtype.rawValue)
      tensorIndex.append(UInt8(t.shape.count))
      tensorIndex.append(t.quantization?.kind ?? 0)
      tensorIndex.append(UInt8(0))
      for d in t.shape { tensorIndex.append(UInt64(d)) }
      tensorIndex.append(dataOffsets[ByteName(t.name)] ?? 0)
      tensorIndex.append(t.length)
      tensorIndex.append(contentsOf: digests[ByteName(t.name)] ?? [])
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
    for (name, t) in cdfTables {
      Self.appendName(&cdfIndex, name)
      cdfIndex.append(UInt8(t.precision))
      cdfIndex.append(contentsOf: [0, 0, 0])
      cdfIndex.append(UInt32(t.count))
      cdfIndex.append(UInt32(t.stride))
      cdfIndex.append(dataOffsets[ByteName(name)] ?? 0)
      cdfIndex.append(UInt64(8 * t.count + 4 * t.count * t.stride))
      cdfIndex.append(contentsOf: digests[ByteName(name)] ?? [])
    }
    return [meta.bytes, tensorIndex.bytes, cdfIndex.bytes]
  }

  /// The absolute offset of the DATA section.
  ///
  /// It does not depend on the digests' values, as
  /// every digest has the same size.
  func dataSectionOffset() -> UInt64 {
    let placeholder = [UInt8](repeating: 0, count: 32)
    let digests = Dictionary(uniqueKeysWithValues: objectOrder.map { ($0, placeholder) })
    return UInt64(prefix(digests: digests).bytes.count)
  }

  /// Everything before DATA — header, section table, index sections and padding — and the
  /// model digest (§6).
  func prefix(digests: [ByteName: [UInt8]]) -> (bytes: [UInt8], modelDigest: [UInt8]) {
    let indexSections = indexSections(digests: digests)
    var table = ByteWriter()
    var position = align64(UInt64(64 + 32 * 4))
    for (i, length) in (indexSections.map { UInt64($0.count) } + [dataLength]).enumerated() {
      table.append(UInt32(i + 1))
      table.append(UInt32(1))  // critical
      table.append(position)
      table.append(length)
      table.append(UInt64(0))
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

    var out = ByteWriter()
    out.append(contentsOf: head.bytes)
    out.append(contentsOf: table.bytes)
    for s in indexSections {
      out.padTo64()
      out.append(contentsOf: s)
    }
    out.padTo64()
    return (out.bytes, modelDigest)
  }

  private static func appendName(_ w: inout ByteWriter, _ name: String) {
    w.append(UInt16(name.utf8.count))
    w.append(contentsOf: name.utf8)
  }

  private static func appendValue(_ w: inout ByteWriter, _ value: MetadataValue) {
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
}
