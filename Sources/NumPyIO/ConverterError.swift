import WeightFormat

/// Why a conversion, inspection or extraction failed, for reasons other than a malformed file.
public enum ConverterError: Error, Sendable, Equatable {
  case unreadableFile(path: String, reason: String)
  case unrecognisedInput(path: String)
  case unknownProfile(name: String, available: [String])
  case profileMismatch(profile: String, reason: String)
  case outputFailed(path: String, reason: String)

  /// A stable identifier of the error kind, such as `convert.unknownProfile`.
  public var code: String { "convert." + caseName(of: self) }
}

extension ConverterError: CustomStringConvertible {
  /// A one-line message naming what is wrong.
  public var description: String {
    switch self {
    case .unreadableFile(let path, let reason): "\(path): \(reason)"
    case .unrecognisedInput(let path):
      "\(path): not a .npy, .npz or .gicw file (by extension or magic bytes)"
    case .unknownProfile(let name, let available):
      "unknown profile '\(name)' (available: \(available.joined(separator: ", ")))"
    case .profileMismatch(let profile, let reason):
      "profile '\(profile)' cannot convert this input: \(reason)"
    case .outputFailed(let path, let reason): "\(path): \(reason)"
    }
  }
}

/// An error from any stage, with the file it concerns, as the command-line tools report it.
public struct LocatedError: Error, CustomStringConvertible, Sendable {
  /// The file being read when the error happened.
  public var path: String
  /// The underlying typed error.
  public var underlying: any Error & Sendable
  /// The underlying error's stable code.
  public var code: String

  public init(path: String, _ error: NPYError) { self.init(path, error, error.code) }
  public init(path: String, _ error: NPZError) { self.init(path, error, error.code) }
  public init(path: String, _ error: WeightFormatError) { self.init(path, error, error.code) }

  /// Attaches `path` to a file-format error; other errors (which name their file already, or
  /// concern no file) are returned unchanged.
  public static func located(_ error: any Error, path: String) -> any Error {
    switch error {
    case let e as NPYError: LocatedError(path: path, e)
    case let e as NPZError: LocatedError(path: path, e)
    case let e as WeightFormatError: LocatedError(path: path, e)
    default: error
    }
  }

  private init(_ path: String, _ error: any Error & Sendable, _ code: String) {
    self.path = path
    self.underlying = error
    self.code = code
  }

  public var description: String { "\(path): \(underlying)" }
}
