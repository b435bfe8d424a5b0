import Foundation
import WeightFormat

/// Random access to the bytes of an archive: a file read with `pread`, or memory.
///
/// The zip directory is read through this, so a large archive on disk is never mapped or read
/// whole: only its end record and central directory are.
public enum ByteSource: Sendable {
  case memory(Data)
  case file(path: String, descriptor: Int32, size: Int)

  /// Opens a file for reading.
  public static func open(path: String) throws(ConverterError) -> ByteSource {
    do {
      let (fd, status) = try InputFiles.open(path)
      return .file(path: path, descriptor: fd, size: status.size)
    } catch {
      if case .io(_, let reason) = error { throw .unreadableFile(path: path, reason: reason) }
      throw .unreadableFile(path: path, reason: error.description)
    }
  }

  public var count: Int {
    switch self {
    case .memory(let d): d.count
    case .file(_, _, let size): size
    }
  }

  /// Reads the bytes in `range` (clamped to the source).
  public func read(_ range: Range<Int>) -> [UInt8] {
    let lower = max(0, range.lowerBound)
    let upper = min(count, range.upperBound)
    guard lower < upper else { return [] }
    switch self {
    case .memory(let d):
      return Array(d[(d.startIndex + lower)..<(d.startIndex + upper)])
    case .file(_, let fd, _):
      var out = [UInt8](repeating: 0, count: upper - lower)
      var done = 0
      out.withUnsafeMutableBytes { b in
        while done < b.count {
          let n = SystemCalls.readFile(
            fd, b.baseAddress.map { $0 + done }, b.count - done, at: lower + done)
          if n <= 0 { break }
          done += n
        }
      }
      return Array(out[0..<done])
    }
  }

  public func close() {
    if case .file(_, let fd, _) = self { SystemCalls.closeFile(fd) }
  }
}

/// A region of an archive held in memory, addressed by absolute offsets.
struct ByteWindow {
  let base: Int
  let bytes: [UInt8]

  init(_ source: ByteSource, _ range: Range<Int>) {
    base = max(0, range.lowerBound)
    bytes = source.read(range)
  }

  func contains(_ offset: Int, _ length: Int) -> Bool {
    offset >= base && offset + length <= base + bytes.count
  }
  func u16(_ o: Int) -> UInt16 { ByteOrder.littleEndian(from: bytes, at: o - base) }
  func u32(_ o: Int) -> UInt32 { ByteOrder.littleEndian(from: bytes, at: o - base) }
  func u64(_ o: Int) -> UInt64 { ByteOrder.littleEndian(from: bytes, at: o - base) }
  func signature(_ o: Int, _ sig: UInt32) -> Bool { contains(o, 4) && u32(o) == sig }
  func slice(_ o: Int, _ length: Int) -> ArraySlice<UInt8> {
    bytes[(o - base)..<(o - base + length)]
  }
}
