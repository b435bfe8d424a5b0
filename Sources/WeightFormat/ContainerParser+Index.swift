import Crypto
import Foundation

extension ContainerParser {
  // MARK: Index sections (§5.1–5.3)

  /// Checks that `name` follows `previous` in strictly ascending UTF-8 byte order (§5).
  static func checkOrder(_ name: String, after previous: String?, kind: String)
    throws(WeightFormatError)
  {
    guard let previous else { return }
    if ContainerRules.sameName(previous, name) { throw .duplicateName(kind: kind, name: name) }
    if !ContainerRules.precedes(previous, name) {
      throw .unsortedNames(kind: kind, name: name, previous: previous)
    }
  }

  static func readName(_ c: inout ByteCursor, section: String, maxBytes: Int)
    throws(WeightFormatError) -> String
  {
    let start = c.offset
    guard let length = c.readU16() else { throw .truncatedRecord(section: section, offset: start) }
    guard Int(length) <= maxBytes else {
      throw .limitExceeded(
        what: "name length", value: UInt64(length), limit: UInt64(maxBytes), offset: start)
    }
    guard let bytes = c.readBytes(Int(length)) else {
      throw .truncatedRecord(section: section, offset: start)
    }
    guard let name = String(validating: bytes, as: UTF8.self) else {
      throw .invalidString(offset: start + 2, reason: "not valid UTF-8")
    }
    try ContainerRules.checkName(name, maxBytes: maxBytes, offset: start + 2)
    return name
  }

  static func parseMetadata(_ bytes: UnsafeRawBufferPointer, base: Int)
    throws(WeightFormatError) -> [(key: String, value: MetadataValue)]
  {
    var values = 0
    return try parseList(
      bytes, base: base, section: "META", counted: "metadata entry count",
      limit: ContainerLimits.maxMetadataEntries, kind: "metadata key",
      maxNameBytes: ContainerLimits.maxKeyBytes, name: \.key
    ) { (c, _, key) throws(WeightFormatError) in
      (key, try readValue(&c, depth: 1, values: &values))
    }
  }

  /// Parses an index section: a u32 count, then records that each open with a name (§5.1–5.3).
  ///
  /// Names must be strictly ascending; `record` reads the rest of a record given the cursor,
  /// the record's start offset and its name. The section must end with the last record.
  static func parseList<Record>(
    _ bytes: UnsafeRawBufferPointer, base: Int, section: String, counted: String, limit: Int,
    kind: String, maxNameBytes: Int, name: (Record) -> String,
    record: (inout ByteCursor, Int, String) throws(WeightFormatError) -> Record
  ) throws(WeightFormatError) -> [Record] {
    var c = ByteCursor(bytes, base: base)
    guard let count = c.readU32() else { throw .truncatedRecord(section: section, offset: base) }
    guard Int(count) <= limit else {
      throw .limitExceeded(what: counted, value: UInt64(count), limit: UInt64(limit), offset: base)
    }
    var records: [Record] = []
    for _ in 0..<count {
      let start = c.offset
      let recordName = try readName(&c, section: section, maxBytes: maxNameBytes)
      try checkOrder(recordName, after: records.last.map(name), kind: kind)
      records.append(try record(&c, start, recordName))
    }
    guard c.remaining == 0 else {
      throw .trailingBytesInSection(section: section, offset: c.offset)
    }
    return records
  }

  static func readValue(_ c: inout ByteCursor, depth: Int, values: inout Int)
    throws(WeightFormatError) -> MetadataValue
  {
    let start = c.offset
    values += 1
    guard values <= ContainerLimits.maxMetadataValues else {
      throw .limitExceeded(
        what: "metadata value count", value: UInt64(values),
        limit: UInt64(ContainerLimits.maxMetadataValues), offset: start)
    }
    guard depth <= ContainerLimits.maxListDepth else {
      throw .limitExceeded(
        what: "metadata list depth", value: UInt64(depth),
        limit: UInt64(ContainerLimits.maxListDepth), offset: start)
    }
    guard let tag = c.readU8() else { throw .truncatedRecord(section: "META", offset: start) }
    switch tag {
    case 1:
      let length = try readLength(
        &c, start: start, what: "string length", limit: ContainerLimits.maxStringBytes)
      guard let bytes = c.readBytes(length) else {
        throw .truncatedRecord(section: "META", offset: start)
      }
      guard let s = String(validating: bytes, as: UTF8.self) else {
        throw .invalidString(offset: start + 5, reason: "not valid UTF-8")
      }
      guard !s.utf8.contains(0) else {
        throw .invalidString(offset: start + 5, reason: "contains U+0000")
      }
      return .string(s)
    case 2:
      guard let v = c.readI64() else { throw .truncatedRecord(section: "META", offset: start) }
      return .integer(v)
    case 3:
      let count = try readLength(
        &c, start: start, what: "list length", limit: ContainerLimits.maxListElements)
      var items: [MetadataValue] = []
      for _ in 0..<count { items.append(try readValue(&c, depth: depth + 1, values: &values)) }
      return .list(items)
    default:
      throw .unknownMetadataTag(tag: tag, offset: start)
    }
  }

  /// Reads the u32 length of the metadata string or list whose tag is at `start`.
  static func readLength(_ c: inout ByteCursor, start: Int, what: String, limit: Int)
    throws(WeightFormatError) -> Int
  {
    guard let length = c.readU32() else { throw .truncatedRecord(section: "META", offset: start) }
    guard Int(length) <= limit else {
      throw .limitExceeded(
        what: what, value: UInt64(length), limit: UInt64(limit), offset: start + 1)
    }
    return Int(length)
  }

  static func parseTensors(_ bytes: UnsafeRawBufferPointer, base: Int, dataLength: UInt64)
    throws(WeightFormatError) -> [TensorRecord]
  {
    try parseList(
      bytes, base: base, section: "TENSORS", counted: "tensor count",
      limit: ContainerLimits.maxTensors, kind: "tensor", maxNameBytes: ContainerLimits.maxNameBytes,
      name: \.name
    ) { (c, start, name) throws(WeightFormatError) in
      guard let code = c.readU8(), let rank = c.readU8(), let qkind = c.readU8(),
        let reserved = c.readU8()
      else { throw .truncatedRecord(section: "TENSORS", offset: start) }
      guard let dtype = DType(rawValue: code) else { throw .unknownDType(code: code, tensor: name) }
      guard Int(rank) <= ContainerLimits.maxRank else {
        throw .limitExceeded(
          what: "rank of \(name)", value: UInt64(rank), limit: UInt64(ContainerLimits.maxRank),
          offset: c.offset - 3)
      }
      guard qkind <= 2 else { throw .unknownQuantizationKind(kind: qkind, tensor: name) }
      guard reserved == 0 else {
        throw .reservedNotZero(field: "tensor record reserved", offset: c.offset - 1)
      }
      var dims: [UInt64] = []
      for _ in 0..<rank {
        guard let d = c.readU64() else { throw .truncatedRecord(section: "TENSORS", offset: start) }
        dims.append(d)
      }
      guard let dataOffset = c.readU64(), let length = c.readU64(),
        let digest = c.readBytes(32)
      else { throw .truncatedRecord(section: "TENSORS", offset: start) }
      let expected = try ContainerRules.dataLength(name: name, dtype: dtype, shape: dims)
      guard length == expected else {
        throw .dataLengthMismatch(name: name, expected: expected, declared: length)
      }
      try checkDataRange(name: name, offset: dataOffset, length: length, dataLength: dataLength)

      var quantization: Quantization?
      if qkind != 0 {
        var axis = -1
        var tripleCount = 1
        if qkind == 2 {
          guard let a = c.readU8() else {
            throw .truncatedRecord(section: "TENSORS", offset: start)
          }
          guard Int(a) < dims.count else {
            throw .invalidQuantization(tensor: name, reason: "axis \(a) is not below rank \(rank)")
          }
          axis = Int(a)
          // Bound the count by the bytes present before allocating for it.
          guard dims[axis] <= UInt64(c.remaining / 12) else {
            throw .truncatedRecord(section: "TENSORS", offset: start)
          }
          tripleCount = Int(dims[axis])
        }
        var params: [QuantizationParameters] = []
        params.reserveCapacity(tripleCount)
        for _ in 0..<tripleCount {
          guard let m = c.readI32(), let s = c.readI32(), let z = c.readI32() else {
            throw .truncatedRecord(section: "TENSORS", offset: start)
          }
          params.append(QuantizationParameters(multiplier: m, shift: s, zeroPoint: z))
        }
        let q: Quantization =
          qkind == 1 ? .perTensor(params[0]) : .perAxis(axis: axis, params)
        try ContainerRules.checkQuantization(q, name: name, dtype: dtype, shape: dims)
        quantization = q
      }
      return TensorRecord(
        name: name, dtype: dtype, shape: dims.map { Int($0) }, quantization: quantization,
        dataOffset: dataOffset, dataLength: length, sha256: Array(digest))
    }
  }

  static func parseCDFRecords(_ bytes: UnsafeRawBufferPointer, base: Int, dataLength: UInt64)
    throws(WeightFormatError) -> [PendingCDF]
  {
    try parseList(
      bytes, base: base, section: "CDFS", counted: "CDF table count",
      limit: ContainerLimits.maxCDFTables, kind: "CDF table",
      maxNameBytes: ContainerLimits.maxNameBytes, name: \.object.name
    ) { (c, start, name) throws(WeightFormatError) in
      guard let precision = c.readU8(), let r0 = c.readU8(), let r1 = c.readU8(),
        let r2 = c.readU8(), let n = c.readU32(), let m = c.readU32(),
        let dataOffset = c.readU64(), let length = c.readU64(), let digest = c.readBytes(32)
      else { throw .truncatedRecord(section: "CDFS", offset: start) }
      guard r0 == 0, r1 == 0, r2 == 0 else {
        throw .reservedNotZero(
          field: "CDF record reserved", offset: start + 2 + name.utf8.count + 1)
      }
      guard ContainerLimits.precisionRange.contains(Int(precision)) else {
        throw .invalidCDF(table: name, row: 0, reason: "precision \(precision) is outside 1…16")
      }
      guard n >= 1, n <= ContainerLimits.maxDistributions else {
        throw .invalidCDF(table: name, row: 0, reason: "\(n) distributions, allowed 1…2^20")
      }
      guard m >= 2, UInt64(m) <= (UInt64(1) << precision) + 1 else {
        throw .invalidCDF(table: name, row: 0, reason: "stride \(m) is outside 2…2^p+1")
      }
      guard UInt64(n) * UInt64(m) <= UInt64(ContainerLimits.maxCDFEntries) else {
        throw .invalidCDF(
          table: name, row: 0, reason: "\(UInt64(n) * UInt64(m)) entries, over 2^26")
      }
      let expected = 8 * UInt64(n) + 4 * UInt64(n) * UInt64(m)
      guard length == expected else {
        throw .dataLengthMismatch(name: name, expected: expected, declared: length)
      }
      try checkDataRange(name: name, offset: dataOffset, length: length, dataLength: dataLength)
      return PendingCDF(
        precision: Int(precision), count: Int(n), stride: Int(m),
        object: DataObject(
          name: name, offset: dataOffset, length: length, sha256: Array(digest)))
    }
  }

  static func checkDataRange(name: String, offset: UInt64, length: UInt64, dataLength: UInt64)
    throws(WeightFormatError)
  {
    guard offset % 64 == 0 else { throw .dataUnaligned(name: name, offset: offset) }
    let (end, overflow) = offset.addingReportingOverflow(length)
    guard !overflow, end <= dataLength else {
      throw .dataOutOfBounds(name: name, offset: offset, length: length)
    }
  }

  /// Checks §5.4: names unique over tensors and CDF tables, objects packed in name order, DATA's
  /// length and zero padding.
  static func checkPlacement(
    _ objects: [DataObject], data: SectionEntry, file: UnsafeRawBufferPointer
  ) throws(WeightFormatError) {
    let objects = objects.sorted { ContainerRules.precedes($0.name, $1.name) }
    var cursor: UInt64 = 0
    var previous: String?
    for o in objects {
      if let previous, ContainerRules.sameName(o.name, previous) {
        throw .duplicateName(kind: "object", name: o.name)
      }
      previous = o.name
      let expected = align64(cursor)
      guard o.offset == expected else {
        throw .dataMisplaced(name: o.name, offset: o.offset, expected: expected)
      }
      try checkZero(file, from: Int(data.offset + cursor), to: Int(data.offset + expected))
      cursor = expected + o.length
    }
    guard data.length == align64(cursor) else {
      throw .dataSectionLengthNotCanonical(length: data.length, expected: align64(cursor))
    }
    try checkZero(file, from: Int(data.offset + cursor), to: Int(data.offset + data.length))
  }
}
