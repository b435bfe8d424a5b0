import CArchive
import Foundation
import WeightFormat

/// Members handed over in pieces as they inflate (issue #17): a member is never held whole, so
/// only the archive's total cap bounds it.
extension NPZReader {
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
  static func checkedHeader(_ prefix: Data, _ info: ZipDirectory.Entry)
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
