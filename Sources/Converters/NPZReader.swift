import CArchive
import Foundation
import WeightFormat

/// Reads NumPy `.npz` archives through libarchive.
///
/// Accepts what `np.savez` and `np.savez_compressed` write, including the Zip64 local headers
/// NumPy always writes and members streamed with data descriptors. The central directory is
/// checked first (``ZipDirectory``); libarchive then inflates each member into a buffer of
/// exactly its declared size, and any byte beyond it, any CRC failure (a warning in libarchive
/// 3.6) or any other negative status is an error.
public struct NPZReader {
  /// The default cap on the total uncompressed size of all members: 64 GiB.
  public static let defaultMaxTotalBytes: UInt64 = 64 << 30

  private let archive: Data
  private let directory: ZipDirectory

  /// Opens an archive held in (or mapped into) memory and checks its directory.
  ///
  /// - Throws: ``NPZError`` for a damaged, unsafe or unsupported archive.
  public init(_ archive: Data, maxTotalBytes: UInt64 = NPZReader.defaultMaxTotalBytes)
    throws(NPZError)
  {
    var outcome: Result<ZipDirectory, NPZError> = .failure(.notZip)
    archive.withUnsafeBytes { raw in
      outcome = Result { () throws(NPZError) in try ZipDirectory.read(raw, maxTotalBytes: maxTotalBytes) }
    }
    self.archive = archive
    self.directory = try outcome.get()
  }

  /// The member names, without their `.npy` suffix, in directory order.
  public var names: [String] { directory.entries.map { String($0.name.dropLast(4)) } }

  /// The total uncompressed size of all members.
  public var totalUncompressedBytes: UInt64 {
    directory.entries.reduce(0) { $0 + $1.uncompressedSize }
  }

  /// Decodes every member, in archive order, and passes it to `body` with its tensor name (the
  /// member name without `.npy`).
  ///
  /// - Parameter progress: called after each member with the uncompressed bytes done so far.
  public func forEachArray(
    progress: (UInt64) -> Void = { _ in },
    _ body: (String, NumPyArray) throws(NPZError) -> Void
  ) throws(NPZError) {
    guard !directory.entries.isEmpty else { return }
    guard let a = archive_read_new() else {
      throw .archive(name: nil, message: "libarchive could not allocate a reader")
    }
    defer { archive_read_free(a) }
    archive_read_support_format_zip_seekable(a)
    var pending = Dictionary(
      uniqueKeysWithValues: directory.entries.map { ($0.name, $0) })
    var done: UInt64 = 0
    var outcome: Result<Void, NPZError> = .success(())
    archive.withUnsafeBytes { raw in
      outcome = Result { () throws(NPZError) in
        guard archive_read_open_memory(a, raw.baseAddress, raw.count) == ARCHIVE_OK else {
          throw .archive(name: nil, message: errorString(a))
        }
        var entry: OpaquePointer?
        while true {
          let status = archive_read_next_header(a, &entry)
          if status == ARCHIVE_EOF { break }
          guard status >= ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
            throw .archive(name: nil, message: errorString(a))
          }
          if status == ARCHIVE_WARN { throw .archive(name: nil, message: errorString(a)) }
          let name = archive_entry_pathname_utf8(entry).map { String(cString: $0) }
            ?? archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
          guard let info = pending.removeValue(forKey: name) else {
            throw .archive(
              name: name, message: "local header does not match any central directory entry")
          }
          if archive_entry_is_encrypted(entry) != 0 { throw .encryptedMember(name: name) }
          let bytes = try readMember(a, info)
          let array: NumPyArray
          do throws(NPYError) { array = try NPYReader.read(bytes) } catch {
            throw .invalidMember(name: name, error: error)
          }
          try body(String(name.dropLast(4)), array)
          done += info.uncompressedSize
          progress(done)
        }
        if let missing = pending.keys.sorted().first {
          throw .archive(name: missing, message: "listed in the directory but not found")
        }
      }
    }
    try outcome.get()
  }

  /// Reads all arrays into a dictionary keyed by tensor name.
  public func readAll() throws(NPZError) -> [String: NumPyArray] {
    var out: [String: NumPyArray] = [:]
    try forEachArray { (name, array) throws(NPZError) in out[name] = array }
    return out
  }

  /// Inflates one member into a buffer of exactly its declared size.
  private func readMember(_ a: OpaquePointer, _ info: ZipDirectory.Entry) throws(NPZError) -> Data {
    let size = Int(info.uncompressedSize)
    var data = Data(count: size)
    var filled = 0
    var failure: NPZError?
    data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
      var probe: UInt8 = 0
      while true {
        let n: Int
        if filled < size {
          n = archive_read_data(a, buffer.baseAddress.map { $0 + filled }, size - filled)
        } else {
          // The buffer is full: one more byte means the member is longer than declared; the
          // end-of-entry call is also where libarchive checks the CRC.
          n = archive_read_data(a, &probe, 1)
          if n > 0 {
            failure = .memberTooLarge(name: info.name, declared: info.uncompressedSize)
            return
          }
        }
        if n == 0 { break }
        if n < 0 {
          failure = classify(errorString(a), info)
          return
        }
        filled += n
      }
    }
    if let failure { throw failure }
    guard filled == size else {
      throw .memberTruncated(name: info.name, declared: info.uncompressedSize, actual: UInt64(filled))
    }
    return data
  }
}

/// Maps a libarchive data error to a typed error.
///
/// libarchive 3.6 reports a CRC failure as the warning "ZIP bad CRC" and a size disagreement
/// between the inflated data and the headers as "ZIP uncompressed data is wrong size (read N,
/// expected M)"; anything else is passed through with its message.
private func classify(_ message: String, _ info: ZipDirectory.Entry) -> NPZError {
  if message.contains("CRC") { return .crcMismatch(name: info.name) }
  if message.contains("wrong size") {
    let numbers = message.split(whereSeparator: { !$0.isNumber }).compactMap { UInt64($0) }
    if numbers.count >= 2 && numbers[0] < numbers[1] {
      return .memberTruncated(name: info.name, declared: info.uncompressedSize, actual: numbers[0])
    }
    return .memberTooLarge(name: info.name, declared: info.uncompressedSize)
  }
  return .archive(name: info.name, message: message)
}

/// libarchive's message for the last error on `a`.
func errorString(_ a: OpaquePointer) -> String {
  archive_error_string(a).map { String(cString: $0) } ?? "libarchive error \(archive_errno(a))"
}
