import Foundation
import WeightFormat

/// A file recognised as a `.npy`, `.npz` or `.gicw`, by its extension or else its magic bytes.
public enum InputFile {
  case npy(Data)
  case npz(Data)
  case gicw(Data)

  /// Maps `path` into memory and recognises its kind.
  ///
  /// - Throws: ``ConverterError`` if the file cannot be read or is of no known kind.
  public static func open(_ path: String) throws -> InputFile {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
      throw ConverterError.unreadableFile(path: path, reason: describeIOError(error))
    }
    // The extension decides when it names a known kind, so that a damaged file gets that
    // kind's specific error; the magic bytes decide otherwise.
    let lower = path.lowercased()
    if lower.hasSuffix(".npz") { return .npz(data) }
    if lower.hasSuffix(".npy") { return .npy(data) }
    if lower.hasSuffix(".gicw") { return .gicw(data) }
    if data.starts(with: NPYReader.magic) { return .npy(data) }
    if data.starts(with: WeightFile.magic) { return .gicw(data) }
    if data.starts(with: [0x50, 0x4B]) { return .npz(data) }
    throw ConverterError.unrecognisedInput(path: path)
  }
}

/// A short reason for a Foundation file error.
func describeIOError(_ error: any Error) -> String {
  let ns = error as NSError
  if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError,
    underlying.domain == NSPOSIXErrorDomain
  {
    return String(cString: strerror(Int32(underlying.code)))
  }
  switch ns.code {
  case NSFileReadNoSuchFileError: return "no such file"
  case NSFileReadNoPermissionError: return "permission denied"
  default: return ns.localizedDescription
  }
}
