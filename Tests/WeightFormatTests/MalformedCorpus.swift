/// Malformations of ``Samples/corpus``, each with the error code the reader must report.
///
/// Offsets come from the file's own header, section table and records (``ContainerImage``,
/// ``RecordLayout``); offsets inside DATA follow the object layout documented on
/// ``Samples/corpusWriter()``, which `CanonicalFormTests.corpusLayout` checks.
enum MalformedCorpus {
  typealias I = ContainerImage
  typealias L = RecordLayout

  static func need<T>(_ value: T?, _ what: String) throws -> T { try Mutation.need(value, what) }

  /// The absolute offset of the section-table entry of `kind`.
  static func entry(_ i: I, _ kind: UInt32) throws -> Int {
    I.entryOffset(try need(i.entryIndex(kind: kind), "section \(kind)"))
  }

  static func tensor(_ l: L, _ name: String) throws -> L.TensorFields {
    try need(l.tensor(name), "tensor \(name)")
  }

  static func cdf(_ l: L, _ name: String) throws -> L.CDFFields {
    try need(l.cdf(name), "CDF table \(name)")
  }

  static func value(_ l: L, _ key: String, _ index: Int = 0) throws -> L.ValueFields {
    let e = try need(l.entry(key), "metadata key \(key)")
    return try need(
      e.values.indices.contains(index) ? e.values[index] : nil, "value \(index) of \(key)")
  }

  /// The absolute offset of CDF entry `k` of row `row` in the data of table `name` (n = 2 rows).
  static func cdfEntry(_ i: I, _ l: L, _ name: String, row: Int, k: Int) throws -> Int {
    let c = try cdf(l, name)
    let n = Int(i.u32(at: c.distributions))
    let m = Int(i.u32(at: c.stride))
    return l.dataSection + Int(i.u64(at: c.dataOffset)) + 8 * n + 4 * (row * m + k)
  }

  /// Edits the data of CDF table `enc/zeta`, then repairs its object digest (the model digest is
  /// recomputed by the mutation), so only the row invariants of §5.3 are violated.
  static func cdfData(_ name: String, _ edit: @escaping @Sendable (inout I, L) throws -> Void)
    -> Mutation
  {
    .fixed("CDF data: " + name, "gicw.invalidCDF") { i, l in
      try edit(&i, l)
      try Mutation.fixObjectDigest(cdf: "enc/zeta", &i, l)
    }
  }

  /// Replaces one section's content and re-lays the file out canonically.
  static func relayout(_ kind: UInt32, _ edit: @escaping @Sendable ([UInt8]) -> [UInt8])
    -> Mutation.Edit
  {
    { i, _ in
      i = i.reassembled { sections in
        for s in sections.indices where sections[s].kind == kind {
          sections[s].content = edit(sections[s].content)
        }
      }
    }
  }

  static let short = "gicw.fileTooShort"
  static let magic = "gicw.badMagic"
  static let major = "gicw.unsupportedMajorVersion"
  static let reserved = "gicw.reservedNotZero"
  static let lengthMismatch = "gicw.fileLengthMismatch"
  static let count = "gicw.sectionCountOutOfRange"
  static let order = "gicw.sectionsOutOfOrder"
  static let flags = "gicw.invalidSectionFlags"
  static let oob = "gicw.sectionOutOfBounds"
  static let padding = "gicw.nonZeroPadding"
  static let truncated = "gicw.truncatedRecord"
  static let trailing = "gicw.trailingBytesInSection"
  static let limit = "gicw.limitExceeded"
  static let string = "gicw.invalidString"
  static let unsorted = "gicw.unsortedNames"
  static let duplicate = "gicw.duplicateName"
  static let dtype = "gicw.unknownDType"
  static let qkind = "gicw.unknownQuantizationKind"
  static let quant = "gicw.invalidQuantization"
  static let dataLength = "gicw.dataLengthMismatch"
  static let unaligned = "gicw.dataUnaligned"
  static let dataOOB = "gicw.dataOutOfBounds"
  static let misplaced = "gicw.dataMisplaced"
  static let invalidCDF = "gicw.invalidCDF"
  static let modelDigest = "gicw.modelDigestMismatch"
  static let objectDigest = "gicw.objectDigestMismatch"

  static let all: [Mutation] = header + sectionTable + metadata + tensors + cdfs + data + digests

  // MARK: Header (§3)

  static let header: [Mutation] = [
    .raw("empty file", short) { i, _ in i.bytes = [] },
    .raw("10 bytes", short) { i, _ in i.bytes = Array(i.bytes[0..<10]) },
    .raw("63 bytes", short) { i, _ in i.bytes = Array(i.bytes[0..<63]) },
    .raw("first magic byte without its high bit", magic) { i, _ in i.set(u8: 0x09, at: 0) },
    .raw("magic CR LF turned into LF", magic) { i, _ in i.set(bytes: [0x0A, 0x0A], at: 5) },
    .raw("magic in lower case", magic) { i, _ in i.set(bytes: Array("gicw".utf8), at: 1) },
    .raw("magic Ctrl-Z cleared", magic) { i, _ in i.set(u8: 0, at: 7) },
    .fixed("major version 0", major) { i, _ in i.set(u16: 0, at: I.majorOffset) },
    .fixed("major version 2", major) { i, _ in i.set(u16: 2, at: I.majorOffset) },
    .fixed("major version 1 stored big-endian", major) { i, _ in
      i.set(u16: 0x0100, at: I.majorOffset)
    },
    .fixed("header flags 1", reserved) { i, _ in i.set(u32: 1, at: I.flagsOffset) },
    .fixed("header flags bit 31", reserved) { i, _ in i.set(u32: 1 << 31, at: I.flagsOffset) },
    .fixed("header reserved field non-zero", reserved) { i, _ in
      i.set(u32: 0x100, at: I.reservedOffset)
    },
    .fixed("file_length 64 bytes too small", lengthMismatch) { i, _ in
      i.set(u64: UInt64(i.count - 64), at: I.fileLengthOffset)
    },
    .fixed("file_length 1 byte too large", lengthMismatch) { i, _ in
      i.set(u64: UInt64(i.count + 1), at: I.fileLengthOffset)
    },
    .fixed("file_length 0", lengthMismatch) { i, _ in i.set(u64: 0, at: I.fileLengthOffset) },
    .fixed("file_length over 2^40", "gicw.fileTooLarge") { i, _ in
      i.set(u64: (1 << 40) + 64, at: I.fileLengthOffset)
    },
    .fixed("file_length 2^64 − 1", "gicw.fileTooLarge") { i, _ in
      i.set(u64: .max, at: I.fileLengthOffset)
    },
    .raw("one trailing byte", lengthMismatch) { i, _ in i.bytes.append(0) },
    .raw("64 trailing zero bytes", lengthMismatch) { i, _ in
      i.bytes += [UInt8](repeating: 0, count: 64)
    },
    .fixed("64 trailing zero bytes counted in file_length", "gicw.fileLengthNotCanonical") { i, _ in
      i.bytes += [UInt8](repeating: 0, count: 64)
      i.set(u64: UInt64(i.count), at: I.fileLengthOffset)
    },
    .raw("truncated to the header", lengthMismatch) { i, _ in i.bytes = Array(i.bytes[0..<64]) },
    .raw("truncated inside the section table", lengthMismatch) { i, _ in
      i.bytes = Array(i.bytes[0..<100])
    },
    .raw("truncated inside META", lengthMismatch) { i, l in
      i.bytes = Array(i.bytes[0..<(l.metaCountField + 5)])
    },
    .raw("truncated at the start of DATA", lengthMismatch) { i, l in
      i.bytes = Array(i.bytes[0..<l.dataSection])
    },
    .raw("truncated by one byte", lengthMismatch) { i, _ in i.bytes.removeLast() },
    .fixed("truncated by 64 bytes, file_length updated", oob) { i, _ in
      i.bytes.removeLast(64)
      i.set(u64: UInt64(i.count), at: I.fileLengthOffset)
    },
  ]

  // MARK: Section table (§4)

  static let sectionTable: [Mutation] = [
    .fixed("section count 3", count) { i, _ in i.set(u32: 3, at: I.sectionCountOffset) },
    .fixed("section count 33", count) { i, _ in i.set(u32: 33, at: I.sectionCountOffset) },
    .fixed("section count 0", count) { i, _ in i.set(u32: 0, at: I.sectionCountOffset) },
    .fixed("section count 2^32 − 1", count) { i, _ in i.set(u32: .max, at: I.sectionCountOffset) },
    .fixed("section count 5: the table now overlaps META", "gicw.sectionOverlap") { i, _ in
      i.set(u32: 5, at: I.sectionCountOffset)
    },
    .fixed("META and TENSORS kinds swapped", order) { i, _ in
      let a = try entry(i, 1)
      let b = try entry(i, 2)
      i.set(u32: 2, at: a)
      i.set(u32: 1, at: b)
    },
    .fixed(
      "META and TENSORS entries swapped whole: TENSORS is not where packing puts it",
      "gicw.sectionNotPacked"
    ) { i, _ in
      let a = try entry(i, 1)
      let b = try entry(i, 2)
      let first = Array(i.bytes[a..<(a + 32)])
      i.set(bytes: Array(i.bytes[b..<(b + 32)]), at: a)
      i.set(bytes: first, at: b)
    },
    .fixed("TENSORS entry says kind 1 (META twice)", order) { i, _ in
      i.set(u32: 1, at: try entry(i, 2))
    },
    .fixed("CDFS entry says kind 2 (TENSORS twice)", order) { i, _ in
      i.set(u32: 2, at: try entry(i, 3))
    },
    .fixed("kind 0 in the first entry", order) { i, _ in i.set(u32: 0, at: try entry(i, 1)) },
    .fixed("DATA replaced by a private non-critical kind", "gicw.missingSection") { i, _ in
      let e = try entry(i, 4)
      i.set(u32: 65_536, at: e)
      i.set(u32: 0, at: e + 4)
    },
    .fixed(
      "META moved into a private non-critical section", "gicw.missingSection",
      { i, _ in
        i = i.reassembled { s in
          var meta = s.removeFirst()
          meta.kind = 65_536
          meta.flags = 0
          s.append(meta)
        }
      }),
    .fixed("DATA kind changed to reserved kind 5, critical", "gicw.unknownCriticalSection") {
      i, _ in
      i.set(u32: 5, at: try entry(i, 4))
    },
    .fixed(
      "extra critical section of reserved kind 5", "gicw.unknownCriticalSection",
      { i, _ in i = i.reassembled { $0.append(.init(kind: 5, flags: 1, content: [1, 2, 3])) } }),
    .fixed(
      "extra private section 70000 flagged critical", flags,
      { i, _ in i = i.reassembled { $0.append(.init(kind: 70_000, flags: 1, content: [1])) } }),
    .fixed(
      "extra private section with reserved flag bit 1", flags,
      { i, _ in i = i.reassembled { $0.append(.init(kind: 70_000, flags: 2, content: [1])) } }),
    .fixed("META flagged non-critical", flags) { i, _ in i.set(u32: 0, at: try entry(i, 1) + 4) },
    .fixed("DATA flagged non-critical", flags) { i, _ in i.set(u32: 0, at: try entry(i, 4) + 4) },
    .fixed("reserved flag bit 1 on META", flags) { i, _ in i.set(u32: 3, at: try entry(i, 1) + 4) },
    .fixed("reserved flag bit 31 on CDFS", flags) { i, _ in
      i.set(u32: 1 | 1 << 31, at: try entry(i, 3) + 4)
    },
    .fixed("section entry reserved field non-zero", reserved) { i, _ in
      i.set(u64: 1, at: try entry(i, 2) + 24)
    },
    .fixed("META offset + 1 (unaligned)", "gicw.sectionUnaligned") { i, _ in
      let e = try entry(i, 1)
      i.set(u64: i.u64(at: e + 8) + 1, at: e + 8)
    },
    .fixed("DATA offset + 32 (unaligned)", "gicw.sectionUnaligned") { i, _ in
      let e = try entry(i, 4)
      i.set(u64: i.u64(at: e + 8) + 32, at: e + 8)
    },
    .fixed("DATA 64 bytes longer than the file", oob) { i, _ in
      let e = try entry(i, 4)
      i.set(u64: i.u64(at: e + 16) + 64, at: e + 16)
    },
    .fixed("META offset past the end of the file", oob) { i, _ in
      i.set(u64: UInt64(I.align64(i.count) + 64), at: try entry(i, 1) + 8)
    },
    .fixed("TENSORS offset + length overflowing 64 bits", oob) { i, _ in
      let e = try entry(i, 2)
      i.set(u64: UInt64.max - 63, at: e + 8)
      i.set(u64: 128, at: e + 16)
    },
    .fixed("META length 64 MiB + 1 (only the field)", oob) { i, _ in
      i.set(u64: (64 << 20) + 1, at: try entry(i, 1) + 16)
    },
    .fixed("META starts inside the section table", "gicw.sectionOverlap") { i, _ in
      i.set(u64: 128, at: try entry(i, 1) + 8)
    },
    .fixed("TENSORS starts where META starts", "gicw.sectionOverlap") { i, _ in
      i.set(u64: i.u64(at: try entry(i, 1) + 8), at: try entry(i, 2) + 8)
    },
    .fixed("gap of 64 bytes before TENSORS", "gicw.sectionNotPacked") { i, _ in
      let e = try entry(i, 2)
      i.set(u64: i.u64(at: e + 8) + 64, at: e + 8)
    },
    .fixed("gap of 64 bytes before DATA, DATA shortened", "gicw.sectionNotPacked") { i, _ in
      let e = try entry(i, 4)
      i.set(u64: i.u64(at: e + 8) + 64, at: e + 8)
      i.set(u64: i.u64(at: e + 16) - 64, at: e + 16)
    },
    .fixed("non-zero padding after META", padding) { i, _ in
      let r = try need(i.range(of: 1), "META")
      i.set(u8: 1, at: r.upperBound)
    },
    .fixed("non-zero last padding byte before CDFS", padding) { i, _ in
      let r = try need(i.range(of: 3), "CDFS")
      i.set(u8: 0x80, at: r.lowerBound - 1)
    },
    .fixed("non-zero padding after CDFS", padding) { i, _ in
      let r = try need(i.range(of: 3), "CDFS")
      i.set(u8: 1, at: r.upperBound)
    },
    .fixed(
      "non-zero padding between a 5-entry table and META", padding,
      { i, _ in
        i = i.reassembled { $0.append(.init(kind: 70_000, flags: 0, content: [7])) }
        i.set(u8: 1, at: 64 + 5 * 32)
      }),
  ]

  // MARK: META (§5.1)

  // Four literals, not one: a single 30-element literal of closures took Swift 6.0.3 past its
  // type-checking limit under emulation (scripts/cross-check.sh).
  static let metadata: [Mutation] =
    metadataCounts + metadataKeys + metadataStrings + metadataLayout

  static let metadataCounts: [Mutation] = [
    .fixed("4,097 metadata entries", limit) { i, l in i.set(u32: 4_097, at: l.metaCountField) },
    .fixed("2^32 − 1 metadata entries", limit) { i, l in i.set(u32: .max, at: l.metaCountField) },
    .fixed("one more metadata entry than present", truncated) { i, l in
      i.set(u32: i.u32(at: l.metaCountField) + 1, at: l.metaCountField)
    },
    .fixed("one metadata entry fewer than present", trailing) { i, l in
      i.set(u32: i.u32(at: l.metaCountField) - 1, at: l.metaCountField)
    },
    .fixed("keys ka and kb swapped", unsorted) { i, l in
      i.set(bytes: Array("kb".utf8), at: try need(l.entry("ka"), "ka").keyBytes)
      i.set(bytes: Array("ka".utf8), at: try need(l.entry("kb"), "kb").keyBytes)
    },
    .fixed("key kb renamed ka", duplicate) { i, l in
      i.set(bytes: Array("ka".utf8), at: try need(l.entry("kb"), "kb").keyBytes)
    },
  ]

  static let metadataKeys: [Mutation] = [
    .fixed("key length 0", string) { i, l in
      i.set(u16: 0, at: try need(l.entry("ka"), "ka").keyLength)
    },
    .fixed("key length 256", limit) { i, l in
      i.set(u16: 256, at: try need(l.entry("ka"), "ka").keyLength)
    },
    .fixed("key with invalid UTF-8", string) { i, l in
      i.set(u8: 0xFF, at: try need(l.entry("kb"), "kb").keyBytes + 1)
    },
    .fixed("key with NUL", string) { i, l in
      i.set(u8: 0, at: try need(l.entry("kb"), "kb").keyBytes + 1)
    },
    .fixed("unknown value tag 4", "gicw.unknownMetadataTag") { i, l in
      i.set(u8: 4, at: try value(l, "ka").tag)
    },
    .fixed("unknown value tag 0 inside a list", "gicw.unknownMetadataTag") { i, l in
      i.set(u8: 0, at: try value(l, "list", 1).tag)
    },
  ]

  static let metadataStrings: [Mutation] = [
    .fixed("string length 1 MiB + 1", limit) { i, l in
      i.set(u32: (1 << 20) + 1, at: try value(l, "kb").tag + 1)
    },
    .fixed("string length 1 MiB, past the end of META", truncated) { i, l in
      i.set(u32: 1 << 20, at: try value(l, "kb").tag + 1)
    },
    .fixed("string with invalid UTF-8", string) { i, l in
      i.set(u8: 0xFF, at: try value(l, "kb").tag + 7)
    },
    .fixed("string with a UTF-16 surrogate", string) { i, l in
      i.set(bytes: [0xED, 0xA0, 0x80], at: try value(l, "kb").tag + 6)
    },
    .fixed("string with an overlong NUL", string) { i, l in
      i.set(bytes: [0xC0, 0x80], at: try value(l, "kb").tag + 6)
    },
    .fixed("string with NUL", string) { i, l in i.set(u8: 0, at: try value(l, "kb").tag + 9) },
    .fixed("string in a list with NUL", string) { i, l in
      i.set(u8: 0, at: try value(l, "list", 3).tag + 5)
    },
    .fixed("list of 65,537 elements", limit) { i, l in
      i.set(u32: 65_537, at: try value(l, "list").tag + 1)
    },
    .fixed("list count past the end of META", truncated) { i, l in
      i.set(u32: 65_536, at: try value(l, "list").tag + 1)
    },
  ]

  /// A META section of one entry `key` whose value is `lists` nested one-element lists around
  /// a value of tag `innermostTag` and bytes `innermost` (built piece by piece: one chain of +
  /// took Swift 6.0.3 past its type-checking limit under emulation).
  static func nestedListEntry(key: String, lists: Int, innermostTag: UInt8, innermost: [UInt8])
    -> [UInt8]
  {
    var bytes: [UInt8] = I.le(UInt32(1))
    bytes += I.le(UInt16(key.utf8.count))
    bytes += Array(key.utf8)
    for _ in 0..<lists {
      bytes.append(3)
      bytes += I.le(UInt32(1))
    }
    bytes.append(innermostTag)
    bytes += innermost
    return bytes
  }

  static let metadataLayout: [Mutation] = [
    .fixed(
      "list nesting depth 5", limit,
      relayout(1) { _ in
        nestedListEntry(key: "deep", lists: 4, innermostTag: 3, innermost: I.le(UInt32(0)))
      }),
    .fixed(
      "integer at depth 5 inside four lists", limit,
      relayout(1) { _ in
        nestedListEntry(key: "d", lists: 4, innermostTag: 2, innermost: I.le(Int64(1)))
      }),
    .fixed("one trailing byte in META", trailing, relayout(1) { $0 + [0] }),
    .fixed("META of 3 bytes", truncated, relayout(1) { _ in [0, 0, 0] }),
    .fixed("empty META section", truncated, relayout(1) { _ in [] }),
    .fixed(
      "META cut inside an integer value", truncated,
      relayout(1) { _ in
        I.le(UInt32(1)) + I.le(UInt16(1)) + Array("k".utf8) + [2, 1, 2, 3]
      }),
  ]

  // MARK: TENSORS (§5.2)

  static let tensors: [Mutation] = [
    .fixed("65,537 tensors", limit) { i, l in i.set(u32: 65_537, at: l.tensorCountField) },
    .fixed("one more tensor than present", truncated) { i, l in
      i.set(u32: i.u32(at: l.tensorCountField) + 1, at: l.tensorCountField)
    },
    .fixed("one tensor fewer than present", trailing) { i, l in
      i.set(u32: i.u32(at: l.tensorCountField) - 1, at: l.tensorCountField)
    },
    .fixed(
      "8 trailing bytes in TENSORS", trailing, relayout(2) { $0 + [UInt8](repeating: 0, count: 8) }),
    .fixed("TENSORS cut 10 bytes short", truncated, relayout(2) { Array($0.dropLast(10)) }),
    .fixed("TENSORS cut inside the first name", truncated, relayout(2) { Array($0.prefix(8)) }),
    .fixed("tensor names swapped", unsorted) { i, l in
      i.set(bytes: Array("enc/gain".utf8), at: try tensor(l, "enc/bias").nameBytes)
      i.set(bytes: Array("enc/bias".utf8), at: try tensor(l, "enc/gain").nameBytes)
    },
    .fixed("duplicate tensor name", duplicate) { i, l in
      i.set(bytes: Array("enc/bias".utf8), at: try tensor(l, "enc/gain").nameBytes)
    },
    .fixed("tensor name length 1025", limit) { i, l in
      i.set(u16: 1025, at: try tensor(l, "enc/kern").nameLength)
    },
    .fixed("tensor name length 0", string) { i, l in
      i.set(u16: 0, at: try tensor(l, "enc/kern").nameLength)
    },
    .fixed("tensor name with invalid UTF-8", string) { i, l in
      i.set(u8: 0xFE, at: try tensor(l, "scalar").nameBytes + 2)
    },
    .fixed("tensor name with a lone continuation byte", string) { i, l in
      i.set(u8: 0x80, at: try tensor(l, "enc/bias").nameBytes)
    },
    .fixed("tensor name truncated UTF-8 sequence", string) { i, l in
      let t = try tensor(l, "scalar")
      i.set(u8: 0xE2, at: t.nameBytes + 5)
    },
    .fixed("tensor name with NUL", string) { i, l in
      i.set(u8: 0, at: try tensor(l, "enc/zero").nameBytes + 3)
    },
    .fixed("dtype 0", dtype) { i, l in i.set(u8: 0, at: try tensor(l, "enc/bias").dtype) },
    .fixed("dtype 13", dtype) { i, l in i.set(u8: 13, at: try tensor(l, "scalar").dtype) },
    .fixed("dtype 255", dtype) { i, l in i.set(u8: 255, at: try tensor(l, "enc/kern").dtype) },
    .fixed("rank 17", limit) { i, l in i.set(u8: 17, at: try tensor(l, "enc/bias").rank) },
    .fixed("rank 255", limit) { i, l in i.set(u8: 255, at: try tensor(l, "scalar").rank) },
    .fixed("quantization kind 3", qkind) { i, l in
      i.set(u8: 3, at: try tensor(l, "enc/bias").quantization)
    },
    .fixed("quantization kind 255", qkind) { i, l in
      i.set(u8: 255, at: try tensor(l, "enc/gain").quantization)
    },
    .fixed("tensor reserved byte 1", reserved) { i, l in
      i.set(u8: 1, at: try tensor(l, "enc/kern").reserved)
    },
    .fixed("data_length + 1", dataLength) { i, l in
      let t = try tensor(l, "enc/bias")
      i.set(u64: i.u64(at: t.dataLength) + 1, at: t.dataLength)
    },
    .fixed("data_length 0 for a 0-d tensor", dataLength) { i, l in
      i.set(u64: 0, at: try tensor(l, "scalar").dataLength)
    },
    .fixed("data_length 1 for an empty tensor", dataLength) { i, l in
      i.set(u64: 1, at: try tensor(l, "enc/zero").dataLength)
    },
    .fixed("dimension 4 → 5", dataLength) { i, l in
      i.set(u64: 5, at: try tensor(l, "enc/bias").dims[0])
    },
    .fixed("zero dimension → 1", dataLength) { i, l in
      i.set(u64: 1, at: try tensor(l, "enc/zero").dims[1])
    },
    .fixed("dtype float32 → float64", dataLength) { i, l in
      i.set(u8: 12, at: try tensor(l, "enc/bias").dtype)
    },
    .fixed("dimension 2^40 + 1", "gicw.invalidTensor") { i, l in
      i.set(u64: (1 << 40) + 1, at: try tensor(l, "enc/bias").dims[0])
    },
    .fixed("dimension 2^64 − 1", "gicw.invalidTensor") { i, l in
      i.set(u64: .max, at: try tensor(l, "enc/bias").dims[0])
    },
    .fixed("dimensions whose product overflows", "gicw.invalidTensor") { i, l in
      let t = try tensor(l, "enc/kern")
      i.set(u64: 1 << 40, at: t.dims[0])
      i.set(u64: 1 << 40, at: t.dims[1])
    },
    .fixed("data size over 2^40 bytes", "gicw.invalidTensor") { i, l in
      let t = try tensor(l, "enc/kern")
      i.set(u64: 1 << 21, at: t.dims[0])
      i.set(u64: 1 << 20, at: t.dims[1])
    },
    .fixed("data offset + 1", unaligned) { i, l in
      let t = try tensor(l, "enc/gain")
      i.set(u64: i.u64(at: t.dataOffset) + 1, at: t.dataOffset)
    },
    .fixed("data offset 32", unaligned) { i, l in
      i.set(u64: 32, at: try tensor(l, "enc/kern").dataOffset)
    },
    .fixed("data offset past DATA", dataOOB) { i, l in
      i.set(u64: UInt64(l.dataSectionLength + 64), at: try tensor(l, "enc/bias").dataOffset)
    },
    .fixed("data running past the end of DATA", dataOOB) { i, l in
      i.set(u64: UInt64(l.dataSectionLength), at: try tensor(l, "scalar").dataOffset)
    },
    .fixed("data offset + length overflowing 64 bits", dataOOB) { i, l in
      i.set(u64: UInt64.max - 63, at: try tensor(l, "enc/bias").dataOffset)
    },
    .fixed("data offsets of enc/bias and enc/gain swapped", misplaced) { i, l in
      let a = try tensor(l, "enc/bias").dataOffset
      let b = try tensor(l, "enc/gain").dataOffset
      let v = i.u64(at: a)
      i.set(u64: i.u64(at: b), at: a)
      i.set(u64: v, at: b)
    },
    .fixed("enc/gain overlapping enc/bias", misplaced) { i, l in
      i.set(u64: 0, at: try tensor(l, "enc/gain").dataOffset)
    },
    .fixed("enc/kern one block late", misplaced) { i, l in
      let t = try tensor(l, "enc/kern")
      i.set(u64: i.u64(at: t.dataOffset) + 64, at: t.dataOffset)
    },
    .fixed("empty tensor not at the aligned position", misplaced) { i, l in
      i.set(u64: 0, at: try tensor(l, "enc/zero").dataOffset)
    },
    .fixed("multiplier 0", quant) { i, l in i.set(i32: 0, at: try tensor(l, "enc/gain").triples[0])
    },
    .fixed("multiplier −1", quant) { i, l in
      i.set(i32: -1, at: try tensor(l, "enc/gain").triples[0])
    },
    .fixed("shift 64", quant) { i, l in i.set(i32: 64, at: try tensor(l, "enc/gain").triples[0] + 4)
    },
    .fixed("shift −33", quant) { i, l in
      i.set(i32: -33, at: try tensor(l, "enc/gain").triples[0] + 4)
    },
    .fixed("uint8 zero point 256", quant) { i, l in
      i.set(i32: 256, at: try tensor(l, "enc/gain").triples[0] + 8)
    },
    .fixed("uint8 zero point −1", quant) { i, l in
      i.set(i32: -1, at: try tensor(l, "enc/gain").triples[0] + 8)
    },
    .fixed("int8 zero point −129 in the second triple", quant) { i, l in
      i.set(i32: -129, at: try tensor(l, "enc/kern").triples[1] + 8)
    },
    .fixed("multiplier 0 in the second triple", quant) { i, l in
      i.set(i32: 0, at: try tensor(l, "enc/kern").triples[1])
    },
    .fixed("quantization axis 2 of a rank-2 tensor", quant) { i, l in
      i.set(u8: 2, at: try need(tensor(l, "enc/kern").axis, "axis"))
    },
    .fixed("quantized tensor's dtype uint8 → bool", quant) { i, l in
      i.set(u8: 1, at: try tensor(l, "enc/gain").dtype)
    },
    .fixed("quantized tensor's dtype uint8 → int8 (zero point 128 out of range)", quant) { i, l in
      i.set(u8: 2, at: try tensor(l, "enc/gain").dtype)
    },
  ]

  // MARK: CDFS (§5.3)

  static let cdfs: [Mutation] = [
    .fixed("65,537 CDF tables", limit) { i, l in i.set(u32: 65_537, at: l.cdfCountField) },
    .fixed("one more CDF table than present", truncated) { i, l in
      i.set(u32: i.u32(at: l.cdfCountField) + 1, at: l.cdfCountField)
    },
    .fixed("4 trailing bytes in CDFS", trailing, relayout(3) { $0 + [0, 0, 0, 0] }),
    .fixed("CDF names swapped", unsorted) { i, l in
      i.set(u8: UInt8(ascii: "b"), at: try cdf(l, "enc/zeta").nameBytes + 7)
      i.set(u8: UInt8(ascii: "a"), at: try cdf(l, "enc/zetb").nameBytes + 7)
    },
    .fixed("duplicate CDF name", duplicate) { i, l in
      i.set(u8: UInt8(ascii: "a"), at: try cdf(l, "enc/zetb").nameBytes + 7)
    },
    .fixed("CDF table named like a tensor", duplicate) { i, l in
      i.set(bytes: Array("enc/zero".utf8), at: try cdf(l, "enc/zeta").nameBytes)
    },
    .fixed("CDF name with invalid UTF-8", string) { i, l in
      i.set(u8: 0xC1, at: try cdf(l, "enc/zeta").nameBytes)
    },
    .fixed("CDF precision 0", invalidCDF) { i, l in
      i.set(u8: 0, at: try cdf(l, "enc/zeta").precision)
    },
    .fixed("CDF precision 17", invalidCDF) { i, l in
      i.set(u8: 17, at: try cdf(l, "enc/zetb").precision)
    },
    .fixed("CDF reserved byte 0", reserved) { i, l in
      i.set(u8: 1, at: try cdf(l, "enc/zeta").reserved)
    },
    .fixed("CDF reserved byte 2", reserved) { i, l in
      i.set(u8: 0x80, at: try cdf(l, "enc/zeta").reserved + 2)
    },
    .fixed("CDF with 0 distributions", invalidCDF) { i, l in
      i.set(u32: 0, at: try cdf(l, "enc/zeta").distributions)
    },
    .fixed("CDF with 2^20 + 1 distributions", invalidCDF) { i, l in
      i.set(u32: (1 << 20) + 1, at: try cdf(l, "enc/zeta").distributions)
    },
    .fixed("CDF stride 1", invalidCDF) { i, l in i.set(u32: 1, at: try cdf(l, "enc/zeta").stride) },
    .fixed("CDF stride 2^p + 2", invalidCDF) { i, l in
      i.set(u32: 258, at: try cdf(l, "enc/zeta").stride)
    },
    .fixed("CDF with n·m over 2^26", invalidCDF) { i, l in
      let c = try cdf(l, "enc/zeta")
      i.set(u8: 16, at: c.precision)
      i.set(u32: 1 << 20, at: c.distributions)
      i.set(u32: 65, at: c.stride)
    },
    .fixed("CDF data_length + 4", dataLength) { i, l in
      let c = try cdf(l, "enc/zeta")
      i.set(u64: i.u64(at: c.dataLength) + 4, at: c.dataLength)
    },
    .fixed("CDF stride 3 (data_length no longer matches)", dataLength) { i, l in
      i.set(u32: 3, at: try cdf(l, "enc/zeta").stride)
    },
    .fixed("CDF data offset + 4", unaligned) { i, l in
      let c = try cdf(l, "enc/zetb")
      i.set(u64: i.u64(at: c.dataOffset) + 4, at: c.dataOffset)
    },
    .fixed("CDF data offset past DATA", dataOOB) { i, l in
      i.set(u64: UInt64(l.dataSectionLength), at: try cdf(l, "enc/zetb").dataOffset)
    },
    .fixed("CDF data overlapping the previous table", misplaced) { i, l in
      let zeta = try cdf(l, "enc/zeta")
      i.set(u64: i.u64(at: zeta.dataOffset), at: try cdf(l, "enc/zetb").dataOffset)
    },
    cdfData("row 0 starts at 1") { i, l in
      i.set(u32: 1, at: try cdfEntry(i, l, "enc/zeta", row: 0, k: 0))
    },
    cdfData("zero-frequency symbol in row 1") { i, l in
      i.set(u32: 1, at: try cdfEntry(i, l, "enc/zeta", row: 1, k: 2))
    },
    cdfData("decreasing entries") { i, l in
      i.set(u32: 300, at: try cdfEntry(i, l, "enc/zeta", row: 0, k: 1))
    },
    cdfData("row 0 ends at 2^p − 1") { i, l in
      i.set(u32: 255, at: try cdfEntry(i, l, "enc/zeta", row: 0, k: 2))
    },
    cdfData("row 1 ends above 2^p") { i, l in
      i.set(u32: 257, at: try cdfEntry(i, l, "enc/zeta", row: 1, k: 3))
    },
    cdfData("non-zero entry after the row's length") { i, l in
      i.set(u32: 7, at: try cdfEntry(i, l, "enc/zeta", row: 0, k: 3))
    },
    cdfData("row length 1") { i, l in
      let c = try cdf(l, "enc/zeta")
      i.set(u32: 1, at: l.dataSection + Int(i.u64(at: c.dataOffset)) + 8)
    },
    cdfData("row length over the stride") { i, l in
      let c = try cdf(l, "enc/zeta")
      i.set(u32: 5, at: l.dataSection + Int(i.u64(at: c.dataOffset)) + 12)
    },
    cdfData("row length 0") { i, l in
      let c = try cdf(l, "enc/zeta")
      i.set(u32: 0, at: l.dataSection + Int(i.u64(at: c.dataOffset)) + 12)
    },
    .fixed("CDF row broken, object digest not repaired", objectDigest) { i, l in
      i.set(u32: 1, at: try cdfEntry(i, l, "enc/zeta", row: 0, k: 0))
    },
  ]

  // MARK: DATA (§5.4)

  static let data: [Mutation] = [
    .fixed(
      "DATA 64 bytes longer than its objects need", "gicw.dataSectionLengthNotCanonical",
      relayout(4) {
        $0 + [UInt8](repeating: 0, count: 64)
      }),
    .fixed(
      "DATA 64 bytes shorter than its objects need", dataOOB, relayout(4) { Array($0.dropLast(64)) }
    ),
    .fixed("empty DATA", dataOOB, relayout(4) { _ in [] }),
    .fixed("non-zero padding after the first object", padding) { i, l in
      i.set(u8: 1, at: l.dataSection + 16)
    },
    .fixed("non-zero padding before an empty object", padding) { i, l in
      i.set(u8: 0xFF, at: l.dataSection + 191)
    },
    .fixed("non-zero padding at the end of DATA", padding) { i, l in i.set(u8: 1, at: i.count - 1)
    },
    .fixed("tensor data byte flipped", objectDigest) { i, l in i.flip(at: l.dataSection + 3) },
    .fixed("0-d tensor data byte flipped", objectDigest) { i, l in
      i.flip(at: l.dataSection + Int(i.u64(at: try tensor(l, "scalar").dataOffset)) + 7, mask: 1)
    },
  ]

  // MARK: Digests (§6)

  static let digests: [Mutation] = [
    .raw("first model digest byte flipped", modelDigest) { i, _ in i.flip(at: I.digestOffset) },
    .raw("last model digest bit flipped", modelDigest) { i, _ in
      i.flip(at: I.digestOffset + 31, mask: 0x80)
    },
    .raw("model digest zeroed", modelDigest) { i, _ in
      i.set(bytes: [UInt8](repeating: 0, count: 32), at: I.digestOffset)
    },
    .raw("tensor record SHA-256 flipped, model digest kept", modelDigest) { i, l in
      i.flip(at: try tensor(l, "enc/kern").sha256 + 5)
    },
    .fixed("tensor record SHA-256 flipped, model digest recomputed", objectDigest) { i, l in
      i.flip(at: try tensor(l, "enc/kern").sha256 + 5)
    },
    .fixed("empty tensor's SHA-256 flipped, model digest recomputed", objectDigest) { i, l in
      i.flip(at: try tensor(l, "enc/zero").sha256)
    },
    .fixed("CDF record SHA-256 flipped, model digest recomputed", objectDigest) { i, l in
      i.flip(at: try cdf(l, "enc/zetb").sha256 + 31)
    },
    .raw("metadata integer changed", modelDigest) { i, l in
      i.set(u8: 6, at: try value(l, "ka").tag + 1)
    },
    .raw("quantization multiplier changed", modelDigest) { i, l in
      i.set(i32: 4, at: try tensor(l, "enc/gain").triples[0])
    },
    .raw("minor version 7", modelDigest) { i, _ in i.set(u16: 7, at: I.minorOffset) },
    .raw(
      "non-critical section's content changed after digesting", modelDigest,
      { i, _ in
        i = i.reassembled { $0.append(.init(kind: 70_000, flags: 0, content: [1, 2, 3])) }
        i.flip(at: try need(i.range(of: 70_000), "section 70000").lowerBound)
      }),
  ]
}
