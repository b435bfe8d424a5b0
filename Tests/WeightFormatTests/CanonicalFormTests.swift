import Foundation
import Testing
import WeightFormat

@Suite("Canonical form (§7)")
struct CanonicalFormTests {
  @Test("any insertion order gives byte-identical output and the same model digest")
  func insertionOrder() throws {
    let content = ModelContent.full()
    let reference = try content.writer().serialized()
    let referenceDigest = Array(reference[32..<64])
    var rng = SplitMix64(seed: 2024)
    var orders = [Array(content.items.indices.reversed())]
    for _ in 0..<12 { orders.append(content.items.indices.shuffled(using: &rng)) }
    for order in orders {
      let writer = try content.writer(order: order)
      let bytes = writer.serialized()
      #expect(bytes == reference)
      #expect(Array(bytes[32..<64]) == referenceDigest)
    }
  }

  @Test("serializing twice gives the same bytes, and write(to:) writes exactly those bytes")
  func deterministic() throws {
    let writer = try ModelContent.full().writer()
    let first = writer.serialized()
    #expect(writer.serialized() == first)
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let digest = try writer.write(to: dir.path + "/a.gicw")
    try writer.write(to: dir.path + "/b.gicw")
    let a = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/a.gicw"))
    let b = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/b.gicw"))
    #expect(Array(a) == first)
    #expect(a == b)
    #expect(digest == Array(first[32..<64]))
  }

  @Test("setting a metadata key again replaces its value as if it had been set once")
  func metadataReplacement() throws {
    var a = WeightFileWriter()
    try a.setMetadata("k", .integer(1))
    try a.setMetadata("other", .string("x"))
    try a.setMetadata("k", .string("final"))
    var b = WeightFileWriter()
    try b.setMetadata("other", .string("x"))
    try b.setMetadata("k", .string("final"))
    #expect(a.serialized() == b.serialized())
    let file = try WeightFile(bytes: Data(a.serialized()))
    #expect(file.metadata.count == 2)
    #expect(file.metadata("k") == .string("final"))
  }

  /// Small edits of a base content, each of which must change the model digest.
  static let variants: [String] = [
    "base", "one data byte", "one data bit of a bool", "dtype int8→uint8 (same bytes)",
    "shape [2,3]→[3,2]", "shape [2,3]→[1,6]", "name", "name case", "quantization multiplier",
    "quantization zero point", "per-tensor→per-axis", "metadata value", "metadata key",
    "metadata integer→string", "extra metadata entry", "list vs nested list",
    "CDF entry", "CDF offset", "CDF precision", "CDF table name", "tensor→CDF table name swap",
    "extra empty tensor", "empty tensor shape [0]→[0,1]", "extra list entry",
  ]

  static func variant(_ name: String) throws(WeightFormatError) -> WeightFileWriter {
    var rng = SplitMix64(seed: 77)
    var kern = Samples.tensor("kern", .int8, [2, 3], &rng)
    var flags = Samples.tensor("flags", .bool, [4], &rng)
    var table = Samples.prior
    var tableName = "prior"
    var kernName = "kern"
    var meta: [(String, MetadataValue)] = [("gic.profile", .string("raw")), ("n", .integer(3))]
    var extraEmpty: Tensor?
    switch name {
    case "base": break
    case "one data byte": kern.data[kern.data.startIndex + 4] ^= 0x80
    case "one data bit of a bool": flags.data[flags.data.startIndex] ^= 0x01
    case "dtype int8→uint8 (same bytes)": kern.dtype = .uint8
    case "shape [2,3]→[3,2]": kern.shape = [3, 2]
    case "shape [2,3]→[1,6]": kern.shape = [1, 6]
    case "name": kernName = "kern2"
    case "name case": kernName = "Kern"
    case "quantization multiplier", "quantization zero point", "per-tensor→per-axis": break
    case "metadata value": meta[1].1 = .integer(4)
    case "metadata key": meta[1].0 = "m"
    case "metadata integer→string": meta[1].1 = .string("3")
    case "extra metadata entry": meta.append(("x", .list([])))
    case "list vs nested list": meta.append(("x", .list([.list([])])))
    case "CDF entry": table.cdf[1] = 101
    case "CDF offset": table.offsets[0] = 0
    case "CDF precision":
      table = CDFTable(
        precision: 9,
        rows: [(offset: -1, cdf: [0, 100, 512]), (offset: 0, cdf: [0, 1, 511, 512])])
    case "CDF table name": tableName = "prior2"
    case "tensor→CDF table name swap":
      tableName = "kern"
      kernName = "prior"
    case "extra empty tensor":
      extraEmpty = Tensor(name: "void", dtype: .float32, shape: [0], data: Data())
    case "empty tensor shape [0]→[0,1]":
      extraEmpty = Tensor(name: "void", dtype: .float32, shape: [0, 1], data: Data())
    default: meta.append(("y", .list([.integer(1), .integer(2)])))
    }
    var q = QuantizationParameters(multiplier: 3, shift: 2, zeroPoint: 1)
    if name == "quantization multiplier" { q.multiplier = 4 }
    if name == "quantization zero point" { q.zeroPoint = 2 }
    kern.name = kernName
    kern.quantization =
      name == "per-tensor→per-axis" ? .perAxis(axis: 0, [q, q]) : .perTensor(q)
    var w = WeightFileWriter()
    for (k, v) in meta { try w.setMetadata(k, v) }
    try w.add(kern)
    try w.add(flags)
    try w.add(table, named: tableName)
    if let extraEmpty { try w.add(extraEmpty) }
    return w
  }

  @Test("different content gives a different model digest")
  func digestsDiffer() throws {
    var seen: [[UInt8]: String] = [:]
    for name in Self.variants {
      let bytes = try Self.variant(name).serialized()
      let file = try WeightFile(bytes: Data(bytes))
      #expect(file.modelDigest == Array(bytes[32..<64]))
      if let other = seen[file.modelDigest] {
        Issue.record("variants \(other) and \(name) have the same model digest")
      }
      seen[file.modelDigest] = name
    }
    #expect(seen.count == Self.variants.count)
  }

  /// Checks the packing rules of §4 and §5.4 on a written file, computed independently.
  static func checkLayout(_ bytes: [UInt8]) throws {
    let image = ContainerImage(bytes)
    let file = try WeightFile(bytes: image.data)
    let entries = image.entries
    #expect(entries.count == 4)
    var expected = ContainerImage.align64(64 + 32 * entries.count)
    for e in entries {
      #expect(Int(e.offset) == expected, "section \(e.kind)")
      #expect(e.offset % 64 == 0)
      let end = Int(e.offset + e.length)
      #expect(image.bytes[end..<ContainerImage.align64(end)].allSatisfy { $0 == 0 })
      expected = ContainerImage.align64(end)
    }
    #expect(bytes.count == expected)
    #expect(Int(image.u64(at: 16)) == bytes.count)

    // Objects: ascending name order over tensors and tables, each at the aligned position.
    let dataStart = Int(try #require(image.range(of: 4)).lowerBound)
    var objects = file.tensors.map { ($0.name, $0.dataOffset, $0.dataLength) }
    objects += file.cdfTables.map { ($0.name, $0.dataOffset, $0.dataLength) }
    objects.sort { Samples.precedes($0.0, $1.0) }
    var cursor = 0
    var covered = Set<Int>()
    for (name, offset, length) in objects {
      #expect(Int(offset) == ContainerImage.align64(cursor), "\(name)")
      #expect((dataStart + Int(offset)) % 64 == 0, "absolute offset of \(name)")
      cursor = Int(offset) + Int(length)
      covered.formUnion((dataStart + Int(offset))..<(dataStart + cursor))
    }
    let range = try #require(image.range(of: 4))
    #expect(Int(range.count) == ContainerImage.align64(cursor))
    for i in dataStart..<bytes.count where !covered.contains(i) {
      #expect(bytes[i] == 0, "DATA padding at \(i)")
    }
  }

  @Test("every section and object starts on a 64-byte boundary, packed, with zero padding")
  func alignment() throws {
    try Self.checkLayout(try ModelContent.full().writer().serialized())
    try Self.checkLayout(Samples.corpus.bytes)
    try Self.checkLayout(Samples.small.bytes)
    // Objects of every length around the alignment boundary.
    var rng = SplitMix64(seed: 64)
    var w = WeightFileWriter()
    for n in [0, 1, 2, 63, 64, 65, 127, 128, 129, 0, 1] {
      try w.add(Samples.tensor("t\(w.tensorCount)", .uint8, [n], &rng))
    }
    try Self.checkLayout(w.serialized())
  }

  @Test("the corpus file has the layout its documentation states")
  func corpusLayout() throws {
    let file = try WeightFile(bytes: Samples.corpus.data)
    let offsets =
      file.tensors.map { "\($0.name)@\($0.dataOffset)+\($0.dataLength)" }
      + file.cdfTables.map { "\($0.name)@\($0.dataOffset)+\($0.dataLength)" }
    #expect(
      offsets == [
        "enc/bias@0+16", "enc/gain@64+5", "enc/kern@128+6", "enc/zero@192+0", "scalar@320+8",
        "enc/zeta@192+48", "enc/zetb@256+48",
      ])
    #expect(file.sections.last?.length == 384)
  }

  @Test("the empty file is exactly the 384 bytes of §10")
  func emptyFile() throws {
    let bytes = WeightFileWriter().serialized()
    #expect(bytes.count == 384)
    let image = ContainerImage(bytes)
    #expect(Array(bytes[0..<8]) == ContainerImage.magic)
    #expect(Array(bytes[0..<8]) == WeightFile.magic)
    #expect(image.u16(at: 8) == 1)
    #expect(image.u16(at: 10) == 0)
    #expect(image.u32(at: 12) == 0)
    #expect(image.u64(at: 16) == 384)
    #expect(image.u32(at: 24) == 4)
    #expect(image.u32(at: 28) == 0)
    let table: [(UInt32, UInt64, UInt64)] = [(1, 192, 4), (2, 256, 4), (3, 320, 4), (4, 384, 0)]
    for (i, (kind, offset, length)) in table.enumerated() {
      let o = 64 + 32 * i
      #expect(image.u32(at: o) == kind)
      #expect(image.u32(at: o + 4) == 1)
      #expect(image.u64(at: o + 8) == offset)
      #expect(image.u64(at: o + 16) == length)
      #expect(image.u64(at: o + 24) == 0)
    }
    // META, TENSORS and CDFS hold the count 0, and padding is zero: bytes 192..<384 are zero.
    #expect(bytes[192..<384].allSatisfy { $0 == 0 })
    let digestInput =
      Array(bytes[0..<32]) + Array(bytes[64..<192]) + [UInt8](repeating: 0, count: 12)
    #expect(image.storedDigest == ContainerImage.sha256(digestInput))
    let file = try WeightFile(bytes: Data(bytes))
    #expect(file.metadata.isEmpty)
    #expect(file.tensors.isEmpty)
    #expect(file.cdfTables.isEmpty)
    #expect(file.fileLength == 384)
    #expect(file.sections.map(\.offset) == [192, 256, 320, 384])
    #expect(file.sections.map(\.length) == [4, 4, 4, 0])
  }
}
