import Crypto
import Foundation

/// Parses and validates container format 1.x (spec/container.md), in the order: header, section
/// table and layout, index sections, object placement, model digest, object digests, CDF rows.
enum ContainerParser {
  struct Parsed {
    var major: UInt16
    var minor: UInt16
    var modelDigest: [UInt8]
    var sections: [SectionEntry]
    var metadata: [(key: String, value: MetadataValue)]
    var tensors: [TensorRecord]
    var cdfTables: [CDFTableRecord]
    var dataSectionOffset: Int
  }

  /// Where a tensor's or CDF table's data lies in DATA and its digest, as its record says (§5.4).
  struct DataObject {
    var name: String
    var offset: UInt64
    var length: UInt64
    var sha256: [UInt8]
  }

  /// A CDF record before its data is read: its table's shape and its data.
  struct PendingCDF {
    var precision: Int
    var count: Int
    var stride: Int
    var object: DataObject
  }

  static func parse(_ data: Data) throws(WeightFormatError) -> Parsed {
    var outcome: Result<Parsed, WeightFormatError> = .failure(.badMagic)
    data.withUnsafeBytes { raw in
      outcome = Result { () throws(WeightFormatError) in try parse(raw) }
    }
    return try outcome.get()
  }

  static func parse(_ file: UnsafeRawBufferPointer) throws(WeightFormatError) -> Parsed {
    guard file.count >= 64 else { throw .fileTooShort(length: file.count) }
    var header = ByteCursor(UnsafeRawBufferPointer(rebasing: file[0..<64]), base: 0)
    guard let magic = header.readBytes(8), Array(magic) == WeightFile.magic else { throw .badMagic }
    let major = header.readU16() ?? 0
    let minor = header.readU16() ?? 0
    guard major == WeightFile.currentVersion.major else {
      throw .unsupportedMajorVersion(major: major, minor: minor)
    }
    guard header.readU32() == 0 else { throw .reservedNotZero(field: "header flags", offset: 12) }
    let fileLength = header.readU64() ?? 0
    guard fileLength <= ContainerLimits.maxFileLength else {
      throw .fileTooLarge(length: fileLength)
    }
    guard fileLength == UInt64(file.count) else {
      throw .fileLengthMismatch(declared: fileLength, actual: file.count)
    }
    let sectionCount = header.readU32() ?? 0
    guard ContainerLimits.sectionCount.contains(sectionCount) else {
      throw .sectionCountOutOfRange(count: sectionCount)
    }
    guard header.readU32() == 0 else {
      throw .reservedNotZero(field: "header reserved", offset: 28)
    }
    let storedDigest = Array(header.readBytes(32) ?? UnsafeRawBufferPointer(start: nil, count: 0))

    let sections = try parseSectionTable(file, count: Int(sectionCount))
    func region(_ s: SectionEntry) -> UnsafeRawBufferPointer {
      UnsafeRawBufferPointer(rebasing: file[Int(s.offset)..<Int(s.offset + s.length)])
    }
    func section(_ kind: UInt32) -> SectionEntry {
      // Presence of every required kind was checked by parseSectionTable.
      sections.first { $0.kind == kind } ?? SectionEntry(kind: kind, flags: 1, offset: 0, length: 0)
    }
    let metaSection = section(SectionKind.meta)
    let tensorSection = section(SectionKind.tensors)
    let cdfSection = section(SectionKind.cdfs)
    let dataSection = section(SectionKind.data)

    let metadata = try parseMetadata(region(metaSection), base: Int(metaSection.offset))
    let tensors = try parseTensors(
      region(tensorSection), base: Int(tensorSection.offset), dataLength: dataSection.length)
    let pending = try parseCDFRecords(
      region(cdfSection), base: Int(cdfSection.offset), dataLength: dataSection.length)
    let objects = tensors.map(\.object) + pending.map(\.object)
    try checkPlacement(objects, data: dataSection, file: file)

    // Model digest (§6): header bytes 0..<32, the section table, every section but DATA.
    var hasher = SHA256()
    hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: file[0..<32]))
    hasher.update(
      bufferPointer: UnsafeRawBufferPointer(rebasing: file[64..<(64 + 32 * sections.count)]))
    for s in sections where s.kind != SectionKind.data { hasher.update(bufferPointer: region(s)) }
    let computed = Array(hasher.finalize())
    guard computed == storedDigest else {
      throw .modelDigestMismatch(stored: hexString(storedDigest), computed: hexString(computed))
    }

    // Object digests, on all cores for large files; the first mismatch in name order is reported.
    let data = region(dataSection)
    let dataBase = UInt(bitPattern: data.baseAddress)
    let matches = parallelMap(objects.count, work: data.count) { i in
      let o = objects[i]
      let start = UnsafeRawPointer(bitPattern: dataBase).map { $0 + Int(o.offset) }
      let digest = SHA256.hash(data: UnsafeRawBufferPointer(start: start, count: Int(o.length)))
      return Array(digest) == o.sha256
    }
    let failed = objects.indices.filter { !matches[$0] }.map { objects[$0].name }
    if let bad = failed.min(by: ContainerRules.precedes) { throw .objectDigestMismatch(name: bad) }

    var cdfTables: [CDFTableRecord] = []
    for p in pending {
      let o = p.object
      let bytes = UnsafeRawBufferPointer(rebasing: data[Int(o.offset)..<Int(o.offset + o.length)])
      var c = ByteCursor(bytes, base: 0)
      var offsets: [Int32] = []
      var lengths: [UInt32] = []
      var cdf: [UInt32] = []
      offsets.reserveCapacity(p.count)
      lengths.reserveCapacity(p.count)
      cdf.reserveCapacity(p.count * p.stride)
      for _ in 0..<p.count { offsets.append(c.readI32() ?? 0) }
      for _ in 0..<p.count { lengths.append(c.readU32() ?? 0) }
      for _ in 0..<(p.count * p.stride) { cdf.append(c.readU32() ?? 0) }
      let table = CDFTable(
        precision: p.precision, offsets: offsets, lengths: lengths, stride: p.stride, cdf: cdf)
      try table.validate(name: o.name)
      cdfTables.append(
        CDFTableRecord(
          name: o.name, table: table, dataOffset: o.offset, dataLength: o.length,
          sha256: o.sha256))
    }

    return Parsed(
      major: major, minor: minor, modelDigest: storedDigest, sections: sections,
      metadata: metadata, tensors: tensors, cdfTables: cdfTables,
      dataSectionOffset: Int(dataSection.offset))
  }

  // MARK: Section table and layout (§4)

  static func parseSectionTable(_ file: UnsafeRawBufferPointer, count: Int)
    throws(WeightFormatError) -> [SectionEntry]
  {
    let tableEnd = 64 + 32 * count
    guard file.count >= tableEnd else {
      throw .truncatedRecord(section: "section table", offset: 64)
    }
    var c = ByteCursor(UnsafeRawBufferPointer(rebasing: file[64..<tableEnd]), base: 64)
    var sections: [SectionEntry] = []
    var previousKind: UInt32 = 0
    var previousEnd = UInt64(tableEnd)
    for _ in 0..<count {
      let entryOffset = c.offset
      let kind = c.readU32() ?? 0
      let flags = c.readU32() ?? 0
      let offset = c.readU64() ?? 0
      let length = c.readU64() ?? 0
      guard c.readU64() == 0 else {
        throw .reservedNotZero(field: "section entry reserved", offset: entryOffset + 24)
      }
      guard kind > previousKind else {
        throw .sectionsOutOfOrder(kind: kind, previous: previousKind)
      }
      let known = SectionKind.required.contains(kind)
      guard flags & ~1 == 0, !known || flags == 1, kind < 65_536 || flags == 0 else {
        throw .invalidSectionFlags(kind: kind, flags: flags)
      }
      if !known && flags & 1 != 0 { throw .unknownCriticalSection(kind: kind) }
      guard offset % 64 == 0 else { throw .sectionUnaligned(kind: kind, offset: offset) }
      let (end, overflow) = offset.addingReportingOverflow(length)
      guard !overflow, end <= UInt64(file.count) else {
        throw .sectionOutOfBounds(
          kind: kind, offset: offset, length: length, fileLength: file.count)
      }
      guard offset >= previousEnd else {
        throw .sectionOverlap(kind: kind, offset: offset, previousEnd: previousEnd)
      }
      guard offset == align64(previousEnd) else {
        throw .sectionNotPacked(kind: kind, offset: offset, expected: align64(previousEnd))
      }
      if SectionKind.required.contains(kind) && kind != SectionKind.data
        && length > ContainerLimits.maxIndexSectionLength
      {
        throw .sectionTooLarge(
          kind: kind, length: length, limit: ContainerLimits.maxIndexSectionLength)
      }
      try checkZero(file, from: Int(previousEnd), to: Int(offset))
      sections.append(SectionEntry(kind: kind, flags: flags, offset: offset, length: length))
      previousKind = kind
      previousEnd = end
    }
    for kind in SectionKind.required where !sections.contains(where: { $0.kind == kind }) {
      throw .missingSection(kind: kind)
    }
    guard UInt64(file.count) == align64(previousEnd) else {
      throw .fileLengthNotCanonical(declared: UInt64(file.count), expected: align64(previousEnd))
    }
    try checkZero(file, from: Int(previousEnd), to: file.count)
    return sections
  }

  /// Checks that padding bytes `from..<to` are zero.
  static func checkZero(_ file: UnsafeRawBufferPointer, from: Int, to: Int)
    throws(WeightFormatError)
  {
    guard from < to else { return }
    for i in from..<to where file[i] != 0 { throw .nonZeroPadding(offset: i) }
  }
}
