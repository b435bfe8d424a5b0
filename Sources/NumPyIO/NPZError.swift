import WeightFormat

/// Why a `.npz` archive could not be read or written.
///
/// ``description`` is a one-line message; ``code`` (`npz.crcMismatch`, …) a stable identifier.
public enum NPZError: Error, Sendable, Equatable {
  case notZip
  case junkBeforeFirstMember(bytes: Int)
  case missingCentralDirectory
  case truncatedCentralDirectory(detail: String)
  case tooManyMembers(count: UInt64, limit: Int)
  case duplicateMember(name: String)
  case unsafeMemberName(name: String, reason: String)
  case notRegularFile(name: String, kind: String)
  case notNpyMember(name: String)
  case encryptedMember(name: String)
  case unsupportedCompression(name: String, method: UInt16)
  case compressionRatioTooHigh(name: String, compressed: UInt64, uncompressed: UInt64)
  case archiveTooLarge(uncompressed: UInt64, limit: UInt64)
  case memberTooLarge(name: String, declared: UInt64)
  /// A member declares more bytes than one member may inflate to in memory.
  case memberOverLimit(name: String, declared: UInt64, limit: UInt64)
  case memberTruncated(name: String, declared: UInt64, actual: UInt64)
  case crcMismatch(name: String)
  case invalidMember(name: String, error: NPYError)
  case archive(name: String?, message: String)

  /// A stable identifier of the error kind, such as `npz.crcMismatch`.
  public var code: String {
    // Cases without a payload have no Mirror child to name them.
    switch self {
    case .notZip: "npz.notZip"
    case .missingCentralDirectory: "npz.missingCentralDirectory"
    default: "npz." + caseName(of: self)
    }
  }
}

extension NPZError: GICError {
  /// A one-line message naming what is wrong and in which member.
  public var description: String {
    switch self {
    case .notZip:
      "not a .npz file: no zip end-of-central-directory record and no zip local header at offset 0"
    case .junkBeforeFirstMember(let n):
      "\(n) bytes of unknown data precede the first zip member"
    case .missingCentralDirectory:
      "the zip central directory is missing: the archive is truncated"
    case .truncatedCentralDirectory(let detail):
      "the zip central directory is truncated or damaged: \(detail)"
    case .tooManyMembers(let n, let limit):
      "archive has \(n) members, over the limit of \(limit)"
    case .duplicateMember(let name):
      "member \(JSONText.quote(name)) appears more than once"
    case .unsafeMemberName(let name, let reason):
      "member name \(JSONText.quote(name)) is unsafe: \(reason)"
    case .notRegularFile(let name, let kind):
      "member \(JSONText.quote(name)) is a \(kind), not a regular file"
    case .notNpyMember(let name):
      "member \(JSONText.quote(name)) is not a .npy file (its name must end in .npy)"
    case .encryptedMember(let name):
      "member \(JSONText.quote(name)) is encrypted"
    case .unsupportedCompression(let name, let method):
      "member \(JSONText.quote(name)) uses zip compression method \(method); only stored (0) and "
        + "deflate (8) are supported"
    case .compressionRatioTooHigh(let name, let c, let u):
      "member \(JSONText.quote(name)) claims \(u) bytes from \(c) compressed, beyond deflate's "
        + "maximum ratio (limit: 1100 × compressed + 4096)"
    case .archiveTooLarge(let u, let limit):
      "archive members total \(u) uncompressed bytes, over the limit of \(limit)"
    case .memberTooLarge(let name, let declared):
      "member \(JSONText.quote(name)) inflates past its declared size of \(declared) bytes"
    case .memberOverLimit(let name, let declared, let limit):
      "member \(JSONText.quote(name)) declares \(declared) bytes, more than the \(limit) one "
        + "member may inflate to in memory"
    case .memberTruncated(let name, let declared, let actual):
      "member \(JSONText.quote(name)) holds \(actual) bytes, its header declares \(declared)"
    case .crcMismatch(let name):
      "member \(JSONText.quote(name)) fails its CRC-32 check: data corrupted"
    case .invalidMember(let name, let error):
      "member \(JSONText.quote(name)): \(error)"
    case .archive(let name, let message):
      name.map { "member \(JSONText.quote($0)): \(message)" } ?? message
    }
  }
}
