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

  /// Every member's tensor name, header and array data, the data in pieces as it inflates.
  ///
  /// The data is little-endian C order, as ``NumPyArray/data`` holds it; members come in archive
  /// order. A member is never held whole, whatever its declared size (issue #17), so only the
  /// archive's total cap bounds it, not ``memberLimit``. Members stored big-endian or in Fortran
  /// order, which must be reordered first, are read whole within ``memberLimit`` and handed over
  /// reordered, as one piece.
  ///
  /// For each member: `begin` with its name and header, once the header has been checked
  /// against the member's declared size; `piece` with each non-empty piece, in order (at most
  /// ``pieceBytes``, but for a reordered member), valid only during the call; `end` once the
  /// member has inflated to exactly its declared size and passed its CRC check. Sizes, CRCs and
  /// headers are checked as ``forEachArray(only:progress:_:)`` checks them, with the same
  /// errors; when a check fails the iteration stops there, without `end` for that member, so
  /// its pieces are not to be trusted before `end`.
  ///
  /// - Parameters:
  ///   - progress: called with each piece inflated, with the uncompressed bytes done so far.
  ///   - begin: called with each member's tensor name (the member name without `.npy`) and
  ///     header, before its data.
  ///   - piece: called with each piece of the current member's data.
  ///   - end: called with each member's tensor name and header after its last piece.
  /// - Throws: ``NPZError`` for a damaged archive or member, or what a closure throws.
  public func forEachArrayInPieces(
    progress: (UInt64) -> Void = { _ in },
    begin: (String, NPYReader.Header) throws(NPZError) -> Void,
    piece: (UnsafeRawBufferPointer) throws(NPZError) -> Void,
    end: (String, NPYReader.Header) throws(NPZError) -> Void
  ) throws(NPZError) {
    var done: UInt64 = 0
    try iterate { (a, info) throws(NPZError) in
      let name = String(info.name.dropLast(4))
      // Preamble (at most 12 bytes) plus NumPy's header limit.
      let wanted = Int(min(info.uncompressedSize, UInt64(12 + NPYReader.maxHeaderLength)))
      var prefix = Data()
      var header: NPYReader.Header?
      // A member to reorder, read whole.
      var whole: Data?
      // A defect of the header, reported once the member's own size and CRC checks pass (as
      // forEachArray reports them: the member is read, then parsed).
      var failure: NPZError?

      /// Parses the header from `prefix` and starts handing the data over.
      func headerArrived() throws(NPZError) {
        let h: NPYReader.Header
        do throws(NPZError) { h = try Self.checkedHeader(prefix, info) } catch {
          failure = error
          return
        }
        header = h
        if h.bigEndian && h.dtype.itemSize > 1 || h.fortranOrder && h.shape.count > 1 {
          guard info.uncompressedSize <= memberLimit else {
            throw .memberOverLimit(
              name: info.name, declared: info.uncompressedSize, limit: memberLimit)
          }
          prefix.reserveCapacity(Int(info.uncompressedSize))
          whole = prefix
          prefix = Data()
          return
        }
        try begin(name, h)
        let data = prefix.dropFirst(h.dataOffset)
        prefix = Data()
        if !data.isEmpty { try withBytes(data, piece) }
      }

      try streamMember(a, info) { (bytes) throws(NPZError) in
        done += UInt64(bytes.count)
        progress(done)
        if failure != nil { return }
        if whole != nil {
          whole?.append(contentsOf: bytes)
        } else if header != nil {
          try piece(bytes)
        } else {
          prefix.append(contentsOf: bytes)
          if prefix.count >= wanted { try headerArrived() }
        }
      }
      // An empty member: no piece arrived, so its header was never parsed.
      if header == nil, failure == nil { try headerArrived() }
      if let failure { throw failure }
      guard let header else { return }
      if let whole {
        let array: NumPyArray
        do throws(NPYError) { array = try NPYReader.read(whole) } catch {
          throw .invalidMember(name: info.name, error: error)
        }
        try begin(name, header)
        if !array.data.isEmpty { try withBytes(array.data, piece) }
      }
      try end(name, header)
    }
  }

  /// Every member's header and the SHA-256 of its array data, hashed as the member inflates.
  ///
  /// The digest is that of the little-endian C-order data, as ``NumPyArray/data`` holds it;
  /// members come in archive order, each hashed in pieces
  /// (``forEachArrayInPieces(progress:begin:piece:end:)``): a member is never held whole,
  /// whatever its declared size (issue #17). Members stored big-endian or in Fortran order,
  /// which must be reordered before hashing, are read whole within ``memberLimit``. Sizes, CRCs
  /// and headers are checked as ``forEachArray(only:progress:_:)`` checks them.
  ///
  /// - Throws: ``NPZError`` for a damaged archive or member, or what `body` throws.
  public func forEachDigest(
    _ body: (String, NPYReader.Header, _ sha256: String) throws(NPZError) -> Void
  ) throws(NPZError) {
    var hasher = SHA256Stream()
    try forEachArrayInPieces { _, _ in
      hasher = SHA256Stream()
    } piece: { bytes in
      hasher.update(bytes)
    } end: { (name, header) throws(NPZError) in
      try body(name, header, hasher.finalize())
    }
  }

  /// Parses a member's `.npy` header from the first bytes of the member and checks that the
  /// data it describes is exactly what the member's declared size leaves after it.
  ///
  /// - Throws: ``NPZError/invalidMember(name:error:)``.
  private static func checkedHeader(_ prefix: Data, _ info: ZipDirectory.Entry)
    throws(NPZError) -> NPYReader.Header
  {
    let header: NPYReader.Header
    do throws(NPYError) { header = try NPYReader.parseHeader(prefix) } catch {
      throw .invalidMember(name: info.name, error: error)
    }
    let available =
      info.uncompressedSize - UInt64(min(header.dataOffset, Int(info.uncompressedSize)))
    if header.dataLength > available {
      throw .invalidMember(
        name: info.name,
        error: .truncatedData(expected: header.dataLength, available: Int(available)))
    }
    if header.dataLength < available {
      throw .invalidMember(
        name: info.name, error: .trailingBytes(count: Int(available - header.dataLength)))
    }
    return header
  }

  /// Inflates one member in pieces of at most ``pieceBytes``, passing each to `consume`;
  /// checks that the member is exactly its declared size and its CRC (at the end-of-entry read).
  private func streamMember(
    _ a: OpaquePointer, _ info: ZipDirectory.Entry,
    _ consume: (UnsafeRawBufferPointer) throws(NPZError) -> Void
  ) throws(NPZError) {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.pieceBytes, alignment: 16)
    defer { buffer.deallocate() }
    var total: UInt64 = 0
    while true {
      let n = archive_read_data(a, buffer.baseAddress, buffer.count)
      if n == 0 { break }
      if n < 0 { throw classify(errorString(a), info) }
      total += UInt64(n)
      if total > info.uncompressedSize {
        throw .memberTooLarge(name: info.name, declared: info.uncompressedSize)
      }
      try consume(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }
    guard total == info.uncompressedSize else {
      throw .memberTruncated(name: info.name, declared: info.uncompressedSize, actual: total)
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
  private func iterate(_ body: (OpaquePointer, ZipDirectory.Entry) throws(NPZError) -> Void)
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

/// Calls `body` with the bytes of `data`, keeping the typed error.
private func withBytes(_ data: Data, _ body: (UnsafeRawBufferPointer) throws(NPZError) -> Void)
  throws(NPZError)
{
  var failure: NPZError?
  data.withUnsafeBytes { bytes in
    do throws(NPZError) { try body(bytes) } catch { failure = error }
  }
  if let failure { throw failure }
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
