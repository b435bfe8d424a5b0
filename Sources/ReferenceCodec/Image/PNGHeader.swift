import WeightFormat

/// The fields of a PNG's IHDR chunk, read and CRC-checked before libpng sees the data, so the
/// resource limits are applied before anything is allocated.
struct PNGHeader: Equatable {
  /// The 8-byte PNG signature.
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
  /// Signature (8) + IHDR length and type (8) + IHDR data (13) + CRC (4).
  static let byteCount = 33

  let width: Int
  let height: Int
  let bitDepth: Int
  let colorType: Int
  let interlaced: Bool

  /// Reads the signature and the IHDR chunk at offset 8.
  ///
  /// - Throws: ``ImageError/notPNG`` if the signature is wrong or the data shorter than it;
  ///   ``ImageError/badHeader(reason:)`` if IHDR is missing, cut short or fails its CRC.
  init(_ data: [UInt8]) throws(ImageError) {
    guard data.count >= 8, data[0..<8].elementsEqual(Self.signature) else { throw .notPNG }
    guard data.count >= Self.byteCount else {
      throw .badHeader(
        reason: "the file ends inside the IHDR chunk (\(data.count) bytes; "
          + "signature and IHDR take \(Self.byteCount))")
    }
    let length = Self.uint32(data, at: 8)
    let type = Array(data[12..<16])
    guard length == 13, type == Array("IHDR".utf8) else {
      throw .badHeader(
        reason: "the first chunk (offset 8) is \(Self.chunkName(type)) of \(length) bytes, "
          + "not a 13-byte IHDR")
    }
    let stored = Self.uint32(data, at: 29)
    let computed = Self.crc32(data[12..<29])
    guard stored == computed else {
      throw .badHeader(
        reason: "IHDR CRC (offset 29) is \(Self.hex(stored)), the chunk's bytes give "
          + "\(Self.hex(computed))")
    }
    width = Int(Self.uint32(data, at: 16))
    height = Int(Self.uint32(data, at: 20))
    bitDepth = Int(data[24])
    colorType = Int(data[25])
    interlaced = data[28] != 0
  }

  /// Colour-space chunks that would make libpng's simplified reader change sample values.
  ///
  /// Given a gamma other than sRGB's, the reader re-encodes every 8-bit sample to sRGB (a `gAMA`
  /// of 1.0 turns gray 1 into 21). `sRGB` itself is left in place: it is what the reader assumes
  /// anyway.
  static let colorSpaceChunks: Set<[UInt8]> = Set(
    ["gAMA", "cHRM", "iCCP", "cICP"].map { Array($0.utf8) })

  /// Refuses a chunk before the first IDAT whose declared length runs past the end of `data`.
  ///
  /// Implementation note: libpng allocates a chunk's declared length before it reads the chunk,
  /// so a 65-byte file whose iTXt chunk declared 1,157,627,924 bytes made `png_read_info` ask for
  /// 1.1 GB (found by FuzzTesting's FuzzPNG). With this check no chunk libpng buffers can be
  /// larger than the file. From the first IDAT on, libpng streams the image data and stops after
  /// the last row, so a file cut there is left for libpng to judge (its message names the
  /// defect).
  ///
  /// - Throws: ``ImageError/malformed(message:)`` naming the chunk, its offset and length.
  static func checkChunkLengths(_ data: [UInt8]) throws(ImageError) {
    var at = 8
    while at + 8 <= data.count {
      let length = Int(uint32(data, at: at))
      let type = Array(data[at + 4..<at + 8])
      guard type != Array("IDAT".utf8) else { return }
      guard at + 12 + length <= data.count else {
        let name = chunkName(type)
        throw .malformed(
          message: "\(name.hasPrefix("a chunk") ? name : name + " chunk") at offset \(at) declares "
            + "\(length) bytes, but the file ends \(data.count - at - 8) bytes after its header")
      }
      at += 12 + length
    }
  }

  /// `data` without the colour-space chunks that precede the first IDAT, and their names in
  /// file order; `data` itself when there are none.
  ///
  /// Implementation note: the walk stops at the first chunk that does not fit in the data;
  /// whatever follows is passed on unchanged for libpng to judge. Chunk CRCs are libpng's to
  /// check; removing whole chunks keeps the others' CRCs valid.
  static func strippingColorSpaceChunks(_ data: [UInt8]) -> (data: [UInt8], stripped: [String]) {
    var drop: [Range<Int>] = []
    var names: [String] = []
    var at = 8
    while at + 8 <= data.count {
      let length = Int(uint32(data, at: at))
      let type = Array(data[at + 4..<at + 8])
      guard length <= 0x7FFF_FFFF, type != Array("IDAT".utf8) else { break }
      let end = at + 12 + length
      guard end <= data.count else { break }
      if colorSpaceChunks.contains(type) {
        drop.append(at..<end)
        let name = chunkName(type)
        if !names.contains(name) { names.append(name) }
      }
      at = end
    }
    guard !drop.isEmpty else { return (data, []) }
    var kept: [UInt8] = []
    kept.reserveCapacity(data.count - drop.reduce(0) { $0 + $1.count })
    var from = 0
    for range in drop {
      kept.append(contentsOf: data[from..<range.lowerBound])
      from = range.upperBound
    }
    kept.append(contentsOf: data[from...])
    return (kept, names)
  }

  static func uint32(_ data: [UInt8], at offset: Int) -> UInt32 {
    ByteOrder.bigEndian(from: data, at: offset)
  }

  static func chunkName(_ type: [UInt8]) -> String {
    type.allSatisfy { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
      ? String(decoding: type, as: UTF8.self)
      : "a chunk of type " + type.map { hexString([$0]) }.joined(separator: " ")
  }

  private static func hex(_ v: UInt32) -> String {
    "0x" + hexString(withUnsafeBytes(of: v.bigEndian) { Array($0) })
  }

  /// The CRC-32 of PNG chunks (ISO 3309: polynomial 0xEDB88320, reflected) over `bytes`.
  static func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }

  private static let crcTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }
}
