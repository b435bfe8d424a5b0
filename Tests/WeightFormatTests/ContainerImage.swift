import Foundation
import WeightFormat

/// A `.gicw` file as raw bytes, with little-endian field access at absolute offsets and the
/// layout rules of spec/container.md re-implemented independently of the reader and writer, so
/// tests can mutate a valid file at computed offsets and then repair what they choose to repair
/// (the model digest, object digests, the whole layout).
struct ContainerImage: Sendable, Equatable {
  /// One entry of the section table (§4), decoded from the bytes.
  struct Entry: Sendable, Equatable {
    var kind: UInt32
    var flags: UInt32
    var offset: UInt64
    var length: UInt64
  }

  /// A section's kind, flags and content, for re-assembling a file.
  struct Section: Sendable, Equatable {
    var kind: UInt32
    var flags: UInt32
    var content: [UInt8]

    init(kind: UInt32, flags: UInt32 = 1, content: [UInt8]) {
      self.kind = kind
      self.flags = flags
      self.content = content
    }
  }

  static let magic: [UInt8] = [0x89, 0x47, 0x49, 0x43, 0x57, 0x0D, 0x0A, 0x1A]
  static let headerLength = 64
  static let entryLength = 32

  var bytes: [UInt8]

  init(_ bytes: [UInt8]) {
    self.bytes = bytes
  }

  var data: Data { Data(bytes) }
  var count: Int { bytes.count }

  // MARK: Little-endian access

  func u8(at offset: Int) -> UInt8 { bytes[offset] }
  func u16(at offset: Int) -> UInt16 { UInt16(truncatingIfNeeded: read(offset, 2)) }
  func u32(at offset: Int) -> UInt32 { UInt32(truncatingIfNeeded: read(offset, 4)) }
  func u64(at offset: Int) -> UInt64 { read(offset, 8) }

  mutating func set(u8 value: UInt8, at offset: Int) { bytes[offset] = value }
  mutating func set(u16 value: UInt16, at offset: Int) { write(UInt64(value), offset, 2) }
  mutating func set(u32 value: UInt32, at offset: Int) { write(UInt64(value), offset, 4) }
  mutating func set(i32 value: Int32, at offset: Int) {
    write(UInt64(UInt32(bitPattern: value)), offset, 4)
  }
  mutating func set(u64 value: UInt64, at offset: Int) { write(value, offset, 8) }
  mutating func set(bytes replacement: [UInt8], at offset: Int) {
    bytes.replaceSubrange(offset..<(offset + replacement.count), with: replacement)
  }

  /// XORs the byte at `offset` with `mask`.
  mutating func flip(at offset: Int, mask: UInt8 = 0xFF) { bytes[offset] ^= mask }

  private func read(_ offset: Int, _ width: Int) -> UInt64 {
    var v: UInt64 = 0
    for i in 0..<width { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
    return v
  }

  private mutating func write(_ value: UInt64, _ offset: Int, _ width: Int) {
    for i in 0..<width { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
  }

  // MARK: Header and section table (§3, §4)

  static let majorOffset = 8
  static let minorOffset = 10
  static let flagsOffset = 12
  static let fileLengthOffset = 16
  static let sectionCountOffset = 24
  static let reservedOffset = 28
  static let digestOffset = 32

  var sectionCount: Int { Int(u32(at: Self.sectionCountOffset)) }

  /// The absolute offset of section-table entry `index`.
  static func entryOffset(_ index: Int) -> Int { headerLength + entryLength * index }

  func entry(_ index: Int) -> Entry {
    let o = Self.entryOffset(index)
    return Entry(
      kind: u32(at: o), flags: u32(at: o + 4), offset: u64(at: o + 8), length: u64(at: o + 16))
  }

  var entries: [Entry] { (0..<sectionCount).map(entry) }

  /// The table index of the entry of `kind`.
  func entryIndex(kind: UInt32) -> Int? { entries.firstIndex { $0.kind == kind } }

  /// The absolute byte range of the section of `kind`.
  func range(of kind: UInt32) -> Range<Int>? {
    guard let e = entries.first(where: { $0.kind == kind }) else { return nil }
    return Int(e.offset)..<Int(e.offset + e.length)
  }

  /// The stored model digest (header bytes 32..<64).
  var storedDigest: [UInt8] { Array(bytes[Self.digestOffset..<(Self.digestOffset + 32)]) }

  // MARK: Digests (§6)

  /// The SHA-256 of `bytes`.
  static func sha256(_ bytes: some Collection<UInt8>) -> [UInt8] {
    hexBytes(SHA256Hex.of(Data(bytes)))
  }

  /// The model digest of the file as §6 defines it, from the header and table as they now are.
  ///
  /// Sections that lie outside the file are clamped, so this never traps on a mutated table.
  func computedModelDigest() -> [UInt8] {
    var input = Array(bytes[0..<min(32, count)])
    let tableEnd = min(count, Self.headerLength + Self.entryLength * sectionCount)
    if tableEnd > Self.headerLength { input += bytes[Self.headerLength..<tableEnd] }
    let entriesPresent = max(0, min(sectionCount, (count - Self.headerLength) / Self.entryLength))
    for i in 0..<entriesPresent {
      let e = entry(i)
      guard e.kind != 4 else { continue }
      let start = Int(clamping: min(e.offset, UInt64(count)))
      let end = Int(clamping: min(e.offset &+ e.length, UInt64(count)))
      if start < end { input += bytes[start..<end] }
    }
    return Self.sha256(input)
  }

  /// Stores the model digest recomputed from the current bytes.
  mutating func redigest() {
    guard count >= Self.headerLength else { return }
    set(bytes: computedModelDigest(), at: Self.digestOffset)
  }

  // MARK: Re-assembly

  /// The kind, flags and content of every section, in table order.
  var sections: [Section] {
    entries.map { e in
      Section(
        kind: e.kind, flags: e.flags,
        content: Array(bytes[Int(e.offset)..<Int(e.offset + e.length)]))
    }
  }

  /// Builds a file from sections, packing them canonically (§4) and computing the header and
  /// model digest; `major` and `minor` go into the header as given.
  static func assemble(_ sections: [Section], major: UInt16 = 1, minor: UInt16 = 0)
    -> ContainerImage
  {
    var position = align64(headerLength + entryLength * sections.count)
    var offsets: [Int] = []
    for s in sections {
      offsets.append(position)
      position = align64(position + s.content.count)
    }
    var image = ContainerImage([UInt8](repeating: 0, count: position))
    image.set(bytes: magic, at: 0)
    image.set(u16: major, at: majorOffset)
    image.set(u16: minor, at: minorOffset)
    image.set(u64: UInt64(position), at: fileLengthOffset)
    image.set(u32: UInt32(sections.count), at: sectionCountOffset)
    for (i, s) in sections.enumerated() {
      let o = entryOffset(i)
      image.set(u32: s.kind, at: o)
      image.set(u32: s.flags, at: o + 4)
      image.set(u64: UInt64(offsets[i]), at: o + 8)
      image.set(u64: UInt64(s.content.count), at: o + 16)
      image.set(bytes: s.content, at: offsets[i])
    }
    image.redigest()
    return image
  }

  /// This file re-assembled after `edit` changed its sections.
  func reassembled(_ edit: (inout [Section]) -> Void) -> ContainerImage {
    var s = sections
    edit(&s)
    return Self.assemble(s, major: u16(at: Self.majorOffset), minor: u16(at: Self.minorOffset))
  }

  // MARK: Helpers

  static func align64(_ x: Int) -> Int { (x + 63) / 64 * 64 }

  static func le(_ v: UInt16) -> [UInt8] {
    (0..<2).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
  }
  static func le(_ v: UInt32) -> [UInt8] {
    (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
  }
  static func le(_ v: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
  }
  static func le(_ v: Int64) -> [UInt8] { le(UInt64(bitPattern: v)) }

  /// Decodes lower-case or upper-case hexadecimal text.
  static func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    func nibble(_ c: UInt8) -> UInt8 {
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
      default: c - UInt8(ascii: "A") + 10
      }
    }
    return stride(from: 0, to: digits.count - 1, by: 2).map {
      nibble(digits[$0]) << 4 | nibble(digits[$0 + 1])
    }
  }
}
