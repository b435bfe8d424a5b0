/// A bounds-checked little-endian reader over a byte region.
///
/// Every `read` returns `nil` when fewer bytes remain than it needs and then leaves the cursor
/// where it was; bounds are checked here and nowhere else.
struct ByteCursor {
  let bytes: UnsafeRawBufferPointer
  /// The absolute file offset of `bytes[0]`, for messages.
  let base: Int
  private(set) var position: Int

  init(_ bytes: UnsafeRawBufferPointer, base: Int) {
    self.bytes = bytes
    self.base = base
    self.position = 0
  }

  /// The absolute file offset of the next byte.
  var offset: Int { base + position }
  var remaining: Int { bytes.count - position }

  private mutating func readLE(_ count: Int) -> UInt64? {
    guard remaining >= count else { return nil }
    var v: UInt64 = 0
    for i in 0..<count { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
    position += count
    return v
  }

  mutating func readU8() -> UInt8? { readLE(1).map { UInt8($0) } }
  mutating func readU16() -> UInt16? { readLE(2).map { UInt16($0) } }
  mutating func readU32() -> UInt32? { readLE(4).map { UInt32($0) } }
  mutating func readU64() -> UInt64? { readLE(8) }
  mutating func readI32() -> Int32? { readU32().map { Int32(bitPattern: $0) } }
  mutating func readI64() -> Int64? { readU64().map { Int64(bitPattern: $0) } }

  /// Reads `count` raw bytes.
  mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
    guard count >= 0, remaining >= count else { return nil }
    defer { position += count }
    return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
  }
}
