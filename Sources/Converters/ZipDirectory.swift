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
  }

  var entries: [Entry]

  /// Limits of the archive reader (documented in spec/container.md's companion, docs/formats.md).
  enum Limits {
    static let maxMembers = ContainerLimits.maxTensors
    /// Deflate cannot expand by more than 1032:1; 1100× plus a constant leaves room for headers.
    static func maxUncompressed(compressed: UInt64) -> UInt64 { 1100 &* compressed &+ 4096 }
  }

  /// Reads and checks the directory of `zip`.
  ///
  /// - Parameter maxTotalBytes: the most uncompressed bytes all members together may declare.
  static func read(_ zip: UnsafeRawBufferPointer, maxTotalBytes: UInt64) throws(NPZError) -> ZipDirectory {
    func u16(_ o: Int) -> UInt16 { UInt16(zip[o]) | UInt16(zip[o + 1]) << 8 }
    func u32(_ o: Int) -> UInt32 { UInt32(u16(o)) | UInt32(u16(o + 2)) << 16 }
    func u64(_ o: Int) -> UInt64 { UInt64(u32(o)) | UInt64(u32(o + 4)) << 32 }
    func signature(_ o: Int, _ sig: UInt32) -> Bool { o >= 0 && o + 4 <= zip.count && u32(o) == sig }
    let localSig: UInt32 = 0x0403_4B50
    let centralSig: UInt32 = 0x0201_4B50
    let endSig: UInt32 = 0x0605_4B50

    // The end record is in the last 22 + 65535 bytes (its comment is at most 65535 bytes).
    var end = -1
    if zip.count >= 22 {
      var o = zip.count - 22
      let lowest = max(0, zip.count - 22 - 65_535)
      while o >= lowest {
        if signature(o, endSig) && o + 22 + Int(u16(o + 20)) == zip.count {
          end = o
          break
        }
        o -= 1
      }
    }
    let startsWithMember = signature(0, localSig)
    guard end >= 0 else {
      guard startsWithMember else { throw .notZip }
      // Local headers without a directory: cut inside the directory, or before it.
      var o = 0
      while o + 4 <= zip.count {
        if signature(o, centralSig) {
          throw .truncatedCentralDirectory(detail: "no end record follows the directory at \(o)")
        }
        o += 1
      }
      throw .missingCentralDirectory
    }
    if !startsWithMember && !(end == 0) {
      // Find where the archive's first member actually starts, to say how much junk precedes it.
      var first = 0
      while first + 4 <= zip.count && !signature(first, localSig) { first += 1 }
      guard first < end else { throw .notZip }
      throw .junkBeforeFirstMember(bytes: first)
    }

    var count = UInt64(u16(end + 10))
    var cdSize = UInt64(u32(end + 12))
    var cdOffset = UInt64(u32(end + 16))
    var directoryEnd = UInt64(end)
    let locator = end - 20
    if signature(locator, 0x0706_4B50) {
      let z = u64(locator + 8)
      guard z <= UInt64(locator), signature(Int(z), 0x0606_4B50), Int(z) + 56 <= locator else {
        throw .truncatedCentralDirectory(detail: "zip64 end record at \(z) is missing or damaged")
      }
      count = u64(Int(z) + 32)
      cdSize = u64(Int(z) + 40)
      cdOffset = u64(Int(z) + 48)
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

    var entries: [Entry] = []
    entries.reserveCapacity(Int(count))
    var seen = Set<String>()
    var total: UInt64 = 0
    var o = Int(cdOffset)
    for index in 0..<Int(count) {
      guard o + 46 <= Int(cdEnd), signature(o, centralSig) else {
        throw .truncatedCentralDirectory(detail: "entry \(index) at offset \(o) is missing")
      }
      let nameLength = Int(u16(o + 28))
      let extraLength = Int(u16(o + 30))
      let commentLength = Int(u16(o + 32))
      let next = o + 46 + nameLength + extraLength + commentLength
      guard next <= Int(cdEnd) else {
        throw .truncatedCentralDirectory(detail: "entry \(index) at offset \(o) is cut short")
      }
      var e = Entry(
        name: "", flags: u16(o + 8), method: u16(o + 10), crc32: u32(o + 16),
        compressedSize: UInt64(u32(o + 20)), uncompressedSize: UInt64(u32(o + 24)),
        externalAttributes: u32(o + 38), hostSystem: UInt8(u16(o + 4) >> 8))
      // Zip64 extra field: the 64-bit values of the fields saturated at 0xFFFFFFFF, in order.
      var x = o + 46 + nameLength
      let extraEnd = x + extraLength
      while x + 4 <= extraEnd {
        let id = u16(x)
        let size = Int(u16(x + 2))
        guard x + 4 + size <= extraEnd else { break }
        if id == 1 {
          var f = x + 4
          if e.uncompressedSize == 0xFFFF_FFFF && f + 8 <= x + 4 + size {
            e.uncompressedSize = u64(f)
            f += 8
          }
          if e.compressedSize == 0xFFFF_FFFF && f + 8 <= x + 4 + size {
            e.compressedSize = u64(f)
          }
        }
        x += 4 + size
      }
      let nameBytes = UnsafeRawBufferPointer(rebasing: zip[(o + 46)..<(o + 46 + nameLength)])
      let printable = String(decoding: nameBytes, as: UTF8.self)
      guard let name = String(validating: nameBytes, as: UTF8.self) else {
        throw .unsafeMemberName(name: printable, reason: "not valid UTF-8")
      }
      e.name = name
      try check(e, seen: &seen)
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

  /// Checks one entry, in the order: name, file type, suffix, encryption, method, sizes.
  static func check(_ e: Entry, seen: inout Set<String>) throws(NPZError) {
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
    if e.hostSystem == 3 && unixType == 0o120000 { throw .notRegularFile(name: name, kind: "symbolic link") }
    if e.hostSystem == 3 && unixType != 0 && unixType != 0o100000 {
      throw .notRegularFile(name: name, kind: "special file")
    }
    guard name.hasSuffix(".npy") else { throw .notNpyMember(name: name) }
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
