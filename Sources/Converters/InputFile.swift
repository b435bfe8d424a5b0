import Foundation
import WeightFormat

/// The kinds of file the tools read: `.npy`, `.npz`, `.safetensors` and `.gicw`.
public enum InputFile {
  public enum Kind: Sendable {
    case npy
    case npz
    case safetensors
    /// A PyTorch checkpoint (`torch.save`): `.pth`, `.pth.tar`, `.pt`.
    case pytorch
    case gicw

    /// Whether the file holds a whole state dict (what a codec profile converts).
    public var isStateDict: Bool { self == .npz || self == .safetensors || self == .pytorch }
  }

  /// Recognises a file by its extension when it names a known kind, so that a damaged file gets
  /// that kind's specific error, and by its magic bytes otherwise.
  ///
  /// - Throws: ``ConverterError`` if the file cannot be read or is of no known kind.
  public static func kind(of path: String) throws(ConverterError) -> Kind {
    let source = try ByteSource.open(path: path)
    defer { source.close() }
    let lower = path.lowercased()
    if lower.hasSuffix(".npz") { return .npz }
    if lower.hasSuffix(".npy") { return .npy }
    if lower.hasSuffix(".gicw") { return .gicw }
    if lower.hasSuffix(".safetensors") { return .safetensors }
    if [".pth", ".pt", ".pth.tar", ".ckpt"].contains(where: { lower.hasSuffix($0) }) {
      return .pytorch
    }
    let head = source.read(0..<8)
    if head.starts(with: NPYReader.magic) { return .npy }
    if head.starts(with: WeightFile.magic) { return .gicw }
    if head.starts(with: [0x50, 0x4B]) { return .npz }
    if PyTorchCheckpoint.isLegacy(head) { return .pytorch }
    throw .unrecognisedInput(path: path)
  }

  /// Maps a regular file into memory (``InputFiles/map(_:maxBytes:)``: never blocks, records
  /// the file as an input).
  public static func map(_ path: String) throws(ConverterError) -> Data {
    do { return try InputFiles.map(path) } catch {
      if case .io(_, let reason) = error { throw .unreadableFile(path: path, reason: reason) }
      throw .unreadableFile(path: path, reason: error.description)
    }
  }
}
