import CArchive
import Foundation
import WeightFormat

/// Reads NumPy `.npz` archives through libarchive.
///
/// Accepts what `np.savez` and `np.savez_compressed` write, including the Zip64 local headers
/// NumPy always writes and members streamed with data descriptors. The central directory is
/// checked first (``ZipDirectory``); libarchive then inflates each member, into a buffer of
/// exactly its declared size or in pieces counted against it, and any byte beyond it, any CRC
/// failure (a warning in libarchive 3.6) or any other negative status is an error. An archive
/// on disk is read with bounded buffers, never mapped or loaded whole.
public final class NPZReader {
  /// The default cap on the total uncompressed size of all members: 4 GiB.
  ///
  /// Checked from the central directory when the archive is opened, before anything is inflated
  /// (a 6 MB zip bomb declaring 6 GiB is refused at once). The shipped exports hold 3–6 MB.
  public static let defaultMaxTotalBytes: UInt64 = 4 << 30
  /// The largest member inflated into memory: 1 GiB.
  ///
  /// The largest tensor of the shipped exports is 1.4 MB; a larger declared size is refused
  /// before its buffer is allocated. The cap bounds memory, so it applies only where a member is
  /// held whole (``forEachArray(only:progress:_:)``, ``readMembers()``, and members stored
  /// big-endian or in Fortran order, which must be reordered); a member handed over in pieces
  /// as it inflates (``forEachArrayInPieces(progress:begin:piece:end:)``,
  /// ``forEachDigest(_:)``) is bounded only by the archive's total cap.
  public static let maxMemberBytes: UInt64 = 1 << 30
  /// The largest piece ``forEachArrayInPieces(progress:begin:piece:end:)`` hands over, but for
  /// a member reordered whole: 1 MiB.
  public static let pieceBytes = 1 << 20
  /// libarchive's read block size for archives on disk.
  static let blockSize = 1 << 20

  private let source: ByteSource
  private let directory: ZipDirectory
  /// The largest member this reader holds whole in memory (``maxMemberBytes`` unless given).
  public var memberLimit: UInt64 = NPZReader.maxMemberBytes

  /// Opens an archive held in memory and checks its directory.
  ///
  /// - Throws: ``NPZError`` for a damaged, unsafe or unsupported archive.
  public convenience init(_ archive: Data, maxTotalBytes: UInt64 = NPZReader.defaultMaxTotalBytes)
    throws(NPZError)
  {
    try self.init(source: .memory(archive), maxTotalBytes: maxTotalBytes)
  }

  /// Opens the archive at `path` and checks its directory.
  ///
  /// - Throws: ``ConverterError`` if the file cannot be opened, ``NPZError`` if it is damaged.
  public convenience init(path: String, maxTotalBytes: UInt64 = NPZReader.defaultMaxTotalBytes)
    throws
  {
    try self.init(source: try ByteSource.open(path: path), maxTotalBytes: maxTotalBytes)
  }

  init(source: ByteSource, maxTotalBytes: UInt64, npyMembers: Bool = true) throws(NPZError) {
    self.source = source
    do {
      directory = try ZipDirectory.read(
        source, maxTotalBytes: maxTotalBytes, npyMembers: npyMembers)
    } catch {
      source.close()
      throw error
    }
  }

  deinit { source.close() }

  /// The member names, without their `.npy` suffix, in directory order.
  public var names: [String] { directory.entries.map { String($0.name.dropLast(4)) } }

  /// The total uncompressed size of all members.
  public var totalUncompressedBytes: UInt64 {
    directory.entries.reduce(0) { $0 + $1.uncompressedSize }
  }

  /// Reads only the `.npy` header of every member, in archive order.
  ///
  /// Costs one small read per member (a stored member's data is skipped by seeking).
  public func forEachHeader(_ body: (String, NPYReader.Header) throws(NPZError) -> Void)
    throws(NPZError)
  {
    try iterate { (a, info) throws(NPZError) in
      // Preamble (at most 12 bytes) plus NumPy's header limit.
      let wanted = Int(min(info.uncompressedSize, UInt64(12 + NPYReader.maxHeaderLength)))
      let prefix = try readMember(a, info, limit: wanted)
      try body(String(info.name.dropLast(4)), try Self.checkedHeader(prefix, info))
    }
  }

  /// Decodes every member, in archive order, and passes it to `body` with its tensor name (the
  /// member name without `.npy`).
  ///
  /// - Parameters:
  ///   - only: when given, members whose tensor name is not in the set are skipped (a stored
  ///     member by seeking, a deflated one without inflating into memory).
  ///   - progress: called after each member with the uncompressed bytes done so far.
  ///   - body: called with each member's tensor name and array.
  /// - Throws: ``NPZError`` for a damaged archive or member, or what `body` throws.
  public func forEachArray(
    only: Set<String>? = nil,
    progress: (UInt64) -> Void = { _ in },
    _ body: (String, NumPyArray) throws(NPZError) -> Void
  ) throws(NPZError) {
    var done: UInt64 = 0
    try iterate { (a, info) throws(NPZError) in
      if let only, !only.contains(String(info.name.dropLast(4))) { return }
      let bytes = try readMember(a, info, limit: nil)
      let array: NumPyArray
      do throws(NPYError) {
        array = try NPYReader.read(bytes)
      } catch {
        throw .invalidMember(name: info.name, error: error)
      }
      try body(String(info.name.dropLast(4)), array)
      done += info.uncompressedSize
      progress(done)
    }
  }

  /// Opens a zip archive whose members need not be `.npy` files (a PyTorch checkpoint), with
  /// the same directory checks and limits.
  public static func anyMembers(
    _ source: ByteSource, maxTotalBytes: UInt64 = NPZReader.defaultMaxTotalBytes
  ) throws(NPZError) -> NPZReader {
    try NPZReader(source: source, maxTotalBytes: maxTotalBytes, npyMembers: false)
  }

  /// Every member's full name and bytes, in archive order (each within ``memberLimit``).
  public func readMembers() throws(NPZError) -> [String: Data] {
    var out: [String: Data] = [:]
    try iterate { (a, info) throws(NPZError) in out[info.name] = try readMember(a, info, limit: nil)
    }
    return out
  }

  /// Reads all arrays into a dictionary keyed by tensor name.
  public func readAll() throws(NPZError) -> [String: NumPyArray] {
    var out: [String: NumPyArray] = [:]
    try forEachArray { (name, array) throws(NPZError) in out[name] = array }
    return out
  }

  /// Walks the archive with libarchive, matching each entry to its checked directory entry.
  func iterate(_ body: (OpaquePointer, ZipDirectory.Entry) throws(NPZError) -> Void)
    throws(NPZError)
  {
    guard !directory.entries.isEmpty else { return }
    guard let a = archive_read_new() else {
      throw .archive(name: nil, message: "libarchive could not allocate a reader")
    }
    defer { archive_read_free(a) }
    // Only the seekable zip reader: it trusts the central directory, never streams.
    archive_read_support_format_zip_seekable(a)
    var pending = Dictionary(uniqueKeysWithValues: directory.entries.map { ($0.name, $0) })
    var outcome: Result<Void, NPZError> = .success(())
    func walk() throws(NPZError) {
      var entry: OpaquePointer?
      while true {
        let status = archive_read_next_header(a, &entry)
        if status == ARCHIVE_EOF { break }
        guard status == ARCHIVE_OK, let entry else {
          throw .archive(name: nil, message: errorString(a))
        }
        let name =
          archive_entry_pathname_utf8(entry).map { String(cString: $0) }
          ?? archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        guard let info = pending.removeValue(forKey: name) else {
          throw .archive(name: name, message: "local header does not match the central directory")
        }
        if archive_entry_is_encrypted(entry) != 0 { throw .encryptedMember(name: name) }
        try body(a, info)
      }
      if let missing = pending.keys.sorted().first {
        throw .archive(name: missing, message: "listed in the directory but not found")
      }
    }
    switch source {
    case .memory(let data):
      data.withUnsafeBytes { raw in
        outcome = Result { () throws(NPZError) in
          guard archive_read_open_memory(a, raw.baseAddress, raw.count) == ARCHIVE_OK else {
            throw .archive(name: nil, message: errorString(a))
          }
          try walk()
        }
      }
    case .file(let path, _, _):
      outcome = Result { () throws(NPZError) in
        guard archive_read_open_filename(a, path, Self.blockSize) == ARCHIVE_OK else {
          throw .archive(name: nil, message: errorString(a))
        }
        try walk()
      }
    }
    try outcome.get()
  }

  /// Inflates one member into a buffer of exactly its declared size, or its first `limit` bytes.
  private func readMember(_ a: OpaquePointer, _ info: ZipDirectory.Entry, limit: Int?)
    throws(NPZError) -> Data
  {
    if limit == nil, info.uncompressedSize > memberLimit {
      throw .memberOverLimit(name: info.name, declared: info.uncompressedSize, limit: memberLimit)
    }
    let size = limit ?? Int(info.uncompressedSize)
    var data = Data(count: size)
    var filled = 0
    var failure: NPZError?
    data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
      var probe: UInt8 = 0
      while true {
        let n: Int
        if filled < size {
          n = archive_read_data(a, buffer.baseAddress.map { $0 + filled }, size - filled)
        } else if limit != nil {
          return  // a prefix was asked for; libarchive skips the rest at the next header
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
      throw .memberTruncated(
        name: info.name, declared: info.uncompressedSize, actual: UInt64(filled))
    }
    return data
  }
}

/// Maps a libarchive data error to a typed error.
///
/// libarchive 3.6 reports a CRC failure as the warning "ZIP bad CRC" and a size disagreement
/// between the inflated data and the headers as "ZIP uncompressed data is wrong size (read N,
/// expected M)"; anything else is passed through with its message.
func classify(_ message: String, _ info: ZipDirectory.Entry) -> NPZError {
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
