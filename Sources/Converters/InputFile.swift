import Foundation
import WeightFormat

/// A file whose kind was recognised by its magic bytes: a `.npy`, `.npz` or `.gicw`.
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
    if data.starts(with: NPYReader.magic) { return .npy(data) }
    if data.starts(with: WeightFile.magic) { return .gicw(data) }
    // Zip archives start with a local header, or with the end record when empty; judge
    // everything else that names itself .npz as a (damaged) zip so its error is specific.
    if data.starts(with: [0x50, 0x4B]) || path.lowercased().hasSuffix(".npz") { return .npz(data) }
    if path.lowercased().hasSuffix(".npy") { return .npy(data) }
    if path.lowercased().hasSuffix(".gicw") { return .gicw(data) }
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
