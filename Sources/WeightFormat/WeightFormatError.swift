/// Why a `.gicw` container could not be read or written.
///
/// Each case names the offset, section or object concerned; ``description`` is the one-line
/// message the command-line tools print after `error:`, and ``code`` a stable identifier that
/// tests and `--json` output use.
public enum WeightFormatError: Error, Sendable, Equatable {
  case fileTooShort(length: Int)
  case badMagic
  case unsupportedMajorVersion(major: UInt16, minor: UInt16)
  case fileLengthMismatch(declared: UInt64, actual: Int)
  case fileTooLarge(length: UInt64)
  case reservedNotZero(field: String, offset: Int)
  case sectionCountOutOfRange(count: UInt32)
  case unknownCriticalSection(kind: UInt32)
  case invalidSectionFlags(kind: UInt32, flags: UInt32)
  case sectionsOutOfOrder(kind: UInt32, previous: UInt32)
  case missingSection(kind: UInt32)
  case sectionUnaligned(kind: UInt32, offset: UInt64)
  case sectionOutOfBounds(kind: UInt32, offset: UInt64, length: UInt64, fileLength: Int)
  case sectionOverlap(kind: UInt32, offset: UInt64, previousEnd: UInt64)
  case sectionNotPacked(kind: UInt32, offset: UInt64, expected: UInt64)
  case sectionTooLarge(kind: UInt32, length: UInt64, limit: UInt64)
  case nonZeroPadding(offset: Int)
  case fileLengthNotCanonical(declared: UInt64, expected: UInt64)
  case dataSectionLengthNotCanonical(length: UInt64, expected: UInt64)
  case truncatedRecord(section: String, offset: Int)
  case trailingBytesInSection(section: String, offset: Int)
  case limitExceeded(what: String, value: UInt64, limit: UInt64, offset: Int)
  case invalidString(offset: Int, reason: String)
  case duplicateName(kind: String, name: String)
  case unsortedNames(kind: String, name: String, previous: String)
  case unknownDType(code: UInt8, tensor: String)
  case unknownMetadataTag(tag: UInt8, offset: Int)
  case unknownQuantizationKind(kind: UInt8, tensor: String)
  case invalidQuantization(tensor: String, reason: String)
  case dataLengthMismatch(name: String, expected: UInt64, declared: UInt64)
  case dataUnaligned(name: String, offset: UInt64)
  case dataOutOfBounds(name: String, offset: UInt64, length: UInt64)
  case dataMisplaced(name: String, offset: UInt64, expected: UInt64)
  case invalidCDF(table: String, row: Int, reason: String)
  case modelDigestMismatch(stored: String, computed: String)
  case objectDigestMismatch(name: String)
  case invalidTensor(name: String, reason: String)
  case io(path: String, reason: String)

  /// A stable identifier of the error kind, such as `gicw.badMagic`.
  public var code: String {
    // Cases without a payload have no Mirror child to name them.
    switch self {
    case .badMagic: "gicw.badMagic"
    default: "gicw." + caseName(of: self)
    }
  }
}

extension WeightFormatError: GICError {
  /// The file an I/O error names.
  public var namedFile: String? {
    if case .io(let path, _) = self { return path }
    return nil
  }

  /// A one-line message naming what is wrong and where.
  public var description: String {
    switch self {
    case .fileTooShort(let n):
      "file is \(n) bytes, shorter than the 64-byte .gicw header"
    case .badMagic:
      "not a .gicw file: bad magic at offset 0 (expected \\x89GICW\\r\\n\\x1a)"
    case .unsupportedMajorVersion(let major, let minor):
      "unsupported container version \(major).\(minor) at offset 8; this reader implements 1.x"
    case .fileLengthMismatch(let declared, let actual):
      actual < declared
        ? "file is truncated: header (offset 16) declares \(declared) bytes, file has \(actual)"
        : "file has \(actual) bytes but its header (offset 16) declares \(declared): trailing bytes"
    case .fileTooLarge(let n):
      "header declares a file length of \(n) bytes, over the limit of 2^40"
    case .reservedNotZero(let field, let offset):
      "reserved field \(field) at offset \(offset) is not zero"
    case .sectionCountOutOfRange(let n):
      "section count \(n) at offset 24 is outside 4…32"
    case .unknownCriticalSection(let kind):
      "unknown section kind \(kind) is flagged critical; this reader cannot use the file"
    case .invalidSectionFlags(let kind, let flags):
      "section kind \(kind) has invalid flags 0x\(String(flags, radix: 16))"
    case .sectionsOutOfOrder(let kind, let previous):
      "section table is not sorted: kind \(kind) follows kind \(previous)"
    case .missingSection(let kind):
      "required section kind \(kind) (\(SectionKind.name(kind))) is missing"
    case .sectionUnaligned(let kind, let offset):
      "section \(SectionKind.name(kind)) starts at offset \(offset), not a multiple of 64"
    case .sectionOutOfBounds(let kind, let offset, let length, let fileLength):
      "section \(SectionKind.name(kind)) (offset \(offset), length \(length)) lies outside the "
        + "\(fileLength)-byte file"
    case .sectionOverlap(let kind, let offset, let previousEnd):
      "section \(SectionKind.name(kind)) at offset \(offset) overlaps the previous section, "
        + "which ends at \(previousEnd)"
    case .sectionNotPacked(let kind, let offset, let expected):
      "section \(SectionKind.name(kind)) at offset \(offset) is not where canonical layout puts "
        + "it (\(expected))"
    case .sectionTooLarge(let kind, let length, let limit):
      "section \(SectionKind.name(kind)) is \(length) bytes, over the limit of \(limit)"
    case .fileLengthNotCanonical(let declared, let expected):
      "file is \(declared) bytes but canonical layout ends it at \(expected)"
    case .dataSectionLengthNotCanonical(let length, let expected):
      "DATA section is \(length) bytes but its objects need exactly \(expected)"
    case .nonZeroPadding(let offset):
      "padding byte at offset \(offset) is not zero"
    case .truncatedRecord(let section, let offset):
      "\(section) record at offset \(offset) runs past the end of its section"
    case .trailingBytesInSection(let section, let offset):
      "\(section) section has unused bytes from offset \(offset)"
    case .limitExceeded(let what, let value, let limit, let offset):
      "\(what) \(value) at offset \(offset) exceeds the limit of \(limit)"
    case .invalidString(let offset, let reason):
      "string at offset \(offset) is invalid: \(reason)"
    case .duplicateName(let kind, let name):
      "duplicate \(kind) \(JSONText.quote(name))"
    case .unsortedNames(let kind, let name, let previous):
      "\(kind) records are not sorted: \(JSONText.quote(name)) follows \(JSONText.quote(previous))"
    case .unknownDType(let code, let tensor):
      "tensor \(JSONText.quote(tensor)) has unknown dtype code \(code)"
    case .unknownMetadataTag(let tag, let offset):
      "metadata value at offset \(offset) has unknown type tag \(tag)"
    case .unknownQuantizationKind(let kind, let tensor):
      "tensor \(JSONText.quote(tensor)) has unknown quantization kind \(kind)"
    case .invalidQuantization(let tensor, let reason):
      "tensor \(JSONText.quote(tensor)) has invalid quantization parameters: \(reason)"
    case .dataLengthMismatch(let name, let expected, let declared):
      "\(JSONText.quote(name)) declares \(declared) data bytes but its shape needs \(expected)"
    case .dataUnaligned(let name, let offset):
      "data of \(JSONText.quote(name)) at DATA offset \(offset) is not 64-byte aligned"
    case .dataOutOfBounds(let name, let offset, let length):
      "data of \(JSONText.quote(name)) (DATA offset \(offset), length \(length)) lies outside "
        + "the DATA section"
    case .dataMisplaced(let name, let offset, let expected):
      "data of \(JSONText.quote(name)) at DATA offset \(offset) overlaps or is not where "
        + "canonical layout puts it (\(expected))"
    case .invalidCDF(let table, let row, let reason):
      "CDF table \(JSONText.quote(table)) row \(row): \(reason)"
    case .modelDigestMismatch(let stored, let computed):
      "model digest mismatch: header says \(stored), content hashes to \(computed)"
    case .objectDigestMismatch(let name):
      "SHA-256 of the data of \(JSONText.quote(name)) does not match its record: data corrupted"
    case .invalidTensor(let name, let reason):
      "tensor \(JSONText.quote(name)): \(reason)"
    case .io(let path, let reason):
      "\(path): \(reason)"
    }
  }
}
