import WeightFormat

/// The central directory of a zip archive, read and checked before any member is decoded.
///
/// libarchive 3.6 accepts junk before the first member, falls back to streaming when the
/// directory is missing, returns duplicate names and does not bound inflation; this pass refuses
/// all of that up front, with a specific error, from the directory alone.
struct ZipDirectory {
  struct Entry {
    var name: String
    var flags: UInt16
    var method: UInt16
    var crc32: UInt32
    var compressedSize: UInt64
    var uncompressedSize: UInt64
    var externalAttributes: UInt32
    var hostSystem: UInt8
    var localHeaderOffset: UInt64
  }

  var entries: [Entry]

  /// Limits of the archive reader, documented in docs/numpy-import.md.
  enum Limits {
    static let maxMembers = ContainerLimits.maxTensors
    /// Deflate cannot expand by more than 1032:1; 1100× plus a constant leaves room for headers.
    static func maxUncompressed(compressed: UInt64) -> UInt64 { 1100 &* compressed &+ 4096 }
  }

  /// Reads and checks the directory of an archive.
  ///
  /// Reads only the first bytes, the last 64 KiB and the central directory itself.
  ///
  /// - Parameters:
  ///   - source: the archive's bytes.
  ///   - maxTotalBytes: the most uncompressed bytes all members together may declare.
  ///   - npyMembers: whether every member must be a `.npy` file (false for a PyTorch checkpoint).
  /// - Returns: the checked directory.
  /// - Throws: ``NPZError`` naming what is malformed.
  static func read(_ source: ByteSource, maxTotalBytes: UInt64, npyMembers: Bool = true)
    throws(NPZError) -> ZipDirectory
  {
    let size = source.count
    let localSig: UInt32 = 0x0403_4B50
    let centralSig: UInt32 = 0x0201_4B50
    let endSig: UInt32 = 0x0605_4B50
    let head = ByteWindow(source, 0..<4)
    // The end record is in the last 22 + 65535 bytes (its comment is at most 65535 bytes); the
    // zip64 locator (20 bytes) and end record (56 bytes) precede it.
    let tail = ByteWindow(source, max(0, size - 22 - 65_535 - 76)..<size)

    var end = -1
    if size >= 22 {
      var o = size - 22
      let lowest = max(0, size - 22 - 65_535)
      while o >= lowest {
        if tail.signature(o, endSig) && o + 22 + Int(tail.u16(o + 20)) == size {
          end = o
          break
        }
        o -= 1
      }
    }
    let startsWithMember = head.signature(0, localSig)
    guard end >= 0 else {
      guard startsWithMember else { throw .notZip }
      // Local headers without a directory: cut inside the directory, or before it.
      if let o = find(centralSig, in: source, below: size) {
        throw .truncatedCentralDirectory(detail: "no end record follows the directory at \(o)")
      }
      throw .missingCentralDirectory
    }
    if !startsWithMember && end != 0 {
      // Say how much unknown data precedes the first member, if there is one at all.
      guard let first = find(localSig, in: source, below: end) else { throw .notZip }
      throw .junkBeforeFirstMember(bytes: first)
    }

    var count = UInt64(tail.u16(end + 10))
    var cdSize = UInt64(tail.u32(end + 12))
    var cdOffset = UInt64(tail.u32(end + 16))
    var directoryEnd = UInt64(end)
    let locator = end - 20
    if tail.signature(locator, 0x0706_4B50) {
      let z = tail.u64(locator + 8)
      let damaged = NPZError.truncatedCentralDirectory(
        detail: "zip64 end record at \(z) is missing or damaged")
      guard z <= UInt64(locator), z + 56 <= UInt64(locator) else { throw damaged }
      let record = ByteWindow(source, Int(z)..<Int(z + 56))
      guard record.signature(Int(z), 0x0606_4B50), record.contains(Int(z), 56) else {
        throw damaged
      }
      count = record.u64(Int(z) + 32)
      cdSize = record.u64(Int(z) + 40)
      cdOffset = record.u64(Int(z) + 48)
      directoryEnd = z
    }
    let (cdEnd, overflow) = cdOffset.addingReportingOverflow(cdSize)
    guard !overflow, cdEnd <= directoryEnd else {
      throw .truncatedCentralDirectory(
        detail: "directory (offset \(cdOffset), \(cdSize) bytes) extends past its end record")
    }
    guard count <= UInt64(Limits.maxMembers) else {
      throw .tooManyMembers(count: count, limit: Limits.maxMembers)
    }
    guard count * 46 <= cdSize else {
      throw .truncatedCentralDirectory(detail: "\(count) entries cannot fit in \(cdSize) bytes")
    }

    let cd = ByteWindow(source, Int(cdOffset)..<Int(cdEnd))
    guard cd.bytes.count == Int(cdSize) else {
      throw .truncatedCentralDirectory(detail: "the directory could not be read in full")
    }
    var entries: [Entry] = []
    entries.reserveCapacity(Int(count))
    var seen = Set<String>()
    var total: UInt64 = 0
    var o = Int(cdOffset)
    for index in 0..<Int(count) {
      guard o + 46 <= Int(cdEnd), cd.signature(o, centralSig) else {
        throw .truncatedCentralDirectory(detail: "entry \(index) at offset \(o) is missing")
      }
      let nameLength = Int(cd.u16(o + 28))
      let extraLength = Int(cd.u16(o + 30))
      let commentLength = Int(cd.u16(o + 32))
      let next = o + 46 + nameLength + extraLength + commentLength
      guard next <= Int(cdEnd) else {
        throw .truncatedCentralDirectory(detail: "entry \(index) at offset \(o) is cut short")
      }
      var e = Entry(
        name: "", flags: cd.u16(o + 8), method: cd.u16(o + 10), crc32: cd.u32(o + 16),
        compressedSize: UInt64(cd.u32(o + 20)), uncompressedSize: UInt64(cd.u32(o + 24)),
        externalAttributes: cd.u32(o + 38), hostSystem: UInt8(cd.u16(o + 4) >> 8),
        localHeaderOffset: UInt64(cd.u32(o + 42)))
      // Zip64 extra field: the 64-bit values of the fields saturated at 0xFFFFFFFF, in order.
      var x = o + 46 + nameLength
      let extraEnd = x + extraLength
      while x + 4 <= extraEnd {
        let id = cd.u16(x)
        let fieldSize = Int(cd.u16(x + 2))
        guard x + 4 + fieldSize <= extraEnd else { break }
        if id == 1 {
          var f = x + 4
          let fieldEnd = x + 4 + fieldSize
          if e.uncompressedSize == 0xFFFF_FFFF && f + 8 <= fieldEnd {
            e.uncompressedSize = cd.u64(f)
            f += 8
          }
          if e.compressedSize == 0xFFFF_FFFF && f + 8 <= fieldEnd {
            e.compressedSize = cd.u64(f)
            f += 8
          }
          if e.localHeaderOffset == 0xFFFF_FFFF && f + 8 <= fieldEnd {
            e.localHeaderOffset = cd.u64(f)
          }
        }
        x += 4 + fieldSize
      }
      let nameBytes = cd.slice(o + 46, nameLength)
      guard let name = String(validating: nameBytes, as: UTF8.self) else {
        throw .unsafeMemberName(
          name: String(decoding: nameBytes, as: UTF8.self), reason: "not valid UTF-8")
      }
      e.name = name
      try check(e, seen: &seen, npyMembers: npyMembers)
      let (sum, o2) = total.addingReportingOverflow(e.uncompressedSize)
      guard !o2, sum <= maxTotalBytes else {
        throw .archiveTooLarge(uncompressed: o2 ? .max : sum, limit: maxTotalBytes)
      }
      total = sum
      entries.append(e)
      o = next
    }
    return ZipDirectory(entries: entries)
  }

  /// The first offset below `limit` where the 4-byte signature `sig` occurs, read in 1 MiB
  /// chunks (only on error paths).
  static func find(_ sig: UInt32, in source: ByteSource, below limit: Int) -> Int? {
    var start = 0
    while start < limit {
      let w = ByteWindow(source, start..<min(limit, start + (1 << 20) + 3))
      var o = start
      while o + 4 <= w.base + w.bytes.count && o < limit {
        if w.signature(o, sig) { return o }
        o += 1
      }
      start += 1 << 20
    }
    return nil
  }

  /// Checks one entry, in the order: name, file type, suffix, encryption, method, sizes.
  static func check(_ e: Entry, seen: inout Set<String>, npyMembers: Bool = true) throws(NPZError) {
    let name = e.name
    guard seen.insert(name).inserted else { throw .duplicateMember(name: name) }
    if name.isEmpty { throw .unsafeMemberName(name: name, reason: "empty name") }
    if name.utf8.contains(0) { throw .unsafeMemberName(name: name, reason: "contains a NUL byte") }
    if name.hasPrefix("/") { throw .unsafeMemberName(name: name, reason: "absolute path") }
    if name.contains("\\") { throw .unsafeMemberName(name: name, reason: "contains a backslash") }
    if name.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
      throw .unsafeMemberName(name: name, reason: "contains a '..' component")
    }
    let unixType = (e.externalAttributes >> 16) & 0o170000
    if name.hasSuffix("/") || (e.hostSystem == 0 && e.externalAttributes & 0x10 != 0)
      || (e.hostSystem == 3 && unixType == 0o040000)
    {
      throw .notRegularFile(name: name, kind: "directory")
    }
    if e.hostSystem == 3 && unixType == 0o120000 {
      throw .notRegularFile(name: name, kind: "symbolic link")
    }
    if e.hostSystem == 3 && unixType != 0 && unixType != 0o100000 {
      throw .notRegularFile(name: name, kind: "special file")
    }
    guard !npyMembers || name.hasSuffix(".npy") else { throw .notNpyMember(name: name) }
    if e.flags & 0x41 != 0 || e.method == 99 { throw .encryptedMember(name: name) }
    guard e.method == 0 || e.method == 8 else {
      throw .unsupportedCompression(name: name, method: e.method)
    }
    if e.method == 0 && e.compressedSize < e.uncompressedSize {
      throw .memberTruncated(name: name, declared: e.uncompressedSize, actual: e.compressedSize)
    }
    if e.method == 0 && e.compressedSize > e.uncompressedSize {
      throw .memberTooLarge(name: name, declared: e.uncompressedSize)
    }
    if e.method == 8 && e.uncompressedSize > Limits.maxUncompressed(compressed: e.compressedSize) {
      throw .compressionRatioTooHigh(
        name: name, compressed: e.compressedSize, uncompressed: e.uncompressedSize)
    }
  }
}
