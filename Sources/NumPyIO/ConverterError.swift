import WeightFormat

/// Why a conversion, inspection or extraction failed, for reasons other than a malformed file.
public enum ConverterError: Error, Sendable, Equatable {
  case unreadableFile(path: String, reason: String)
  case unrecognisedInput(path: String)
  case unknownProfile(name: String, available: [String])
  case profileMismatch(profile: String, reason: String)
  case outputFailed(path: String, reason: String)
  /// The written model does not load as the decoder loads it (the converter's own check).
  case outputRefused(path: String, reason: String)

  /// A stable identifier of the error kind, such as `convert.unknownProfile`.
  public var code: String { "convert." + caseName(of: self) }
}

extension ConverterError: GICError {
  /// A one-line message naming what is wrong.
  public var description: String {
    switch self {
    case .unreadableFile(let path, let reason): "\(path): \(reason)"
    case .unrecognisedInput(let path):
      "\(path): not a .npy, .npz, .safetensors, PyTorch checkpoint or .gicw file (by extension or magic bytes)"
    case .unknownProfile(let name, let available):
      "unknown profile '\(name)' (available: \(available.joined(separator: ", ")))"
    case .profileMismatch(let profile, let reason):
      "profile '\(profile)' cannot convert this input: \(reason)"
    case .outputFailed(let path, let reason): "\(path): \(reason)"
    case .outputRefused(let path, let reason):
      "\(path): the converted model does not load as the decoder loads it (removed): \(reason)"
    }
  }
}

extension LocatedError {
  /// Attaches `path` to a file-format error; other errors (which name their file already, or
  /// concern no file) are returned unchanged.
  public static func located(_ error: any Error, path: String) -> any Error {
    switch error {
    case let e as NPYError: LocatedError(path: path, e)
    case let e as NPZError: LocatedError(path: path, e)
    case let e as SafetensorsError: LocatedError(path: path, e)
    case let e as PyTorchError: LocatedError(path: path, e)
    case let e as WeightFormatError: LocatedError(path: path, e)
    default: error
    }
  }

}
