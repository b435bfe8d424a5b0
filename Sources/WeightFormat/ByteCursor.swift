/// Fixed-width integers from stored bytes.
///
/// The package's one byte decoder (containers, NumPy and zip archives, bitstreams, PNG
/// headers); the caller has checked the range.
public enum ByteOrder {
  /// The `T` stored little-endian at `bytes[offset ..< offset + T.bitWidth / 8]`.
  @inlinable
  public static func littleEndian<T: FixedWidthInteger & UnsignedInteger>(
    _: T.Type = T.self, from bytes: some RandomAccessCollection<UInt8>, at offset: Int
  ) -> T {
    load(from: bytes, at: offset) { $0 }
  }

  /// The `T` stored big-endian (network order) at `bytes[offset ..< offset + T.bitWidth / 8]`.
  @inlinable
  public static func bigEndian<T: FixedWidthInteger & UnsignedInteger>(
    _: T.Type = T.self, from bytes: some RandomAccessCollection<UInt8>, at offset: Int
  ) -> T {
    load(from: bytes, at: offset) { T.bitWidth / 8 - 1 - $0 }
  }

  /// Byte k of the value (k = 0 least significant) is stored at `offset + position(k)`.
  @inlinable
  static func load<T: FixedWidthInteger & UnsignedInteger>(
    from bytes: some RandomAccessCollection<UInt8>, at offset: Int, position: (Int) -> Int
  ) -> T {
    var v: T = 0
    let start = bytes.index(bytes.startIndex, offsetBy: offset)
    for k in 0..<(T.bitWidth / 8) {
      v |= T(bytes[bytes.index(start, offsetBy: position(k))]) << (8 * k)
    }
    return v
  }
}

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

  private mutating func read<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) -> T? {
    let count = T.bitWidth / 8
    guard remaining >= count else { return nil }
    defer { position += count }
    return ByteOrder.littleEndian(from: bytes, at: position)
  }

  mutating func readU8() -> UInt8? { read(UInt8.self) }
  mutating func readU16() -> UInt16? { read(UInt16.self) }
  mutating func readU32() -> UInt32? { read(UInt32.self) }
  mutating func readU64() -> UInt64? { read(UInt64.self) }
  mutating func readI32() -> Int32? { readU32().map { Int32(bitPattern: $0) } }
  mutating func readI64() -> Int64? { readU64().map { Int64(bitPattern: $0) } }

  /// Reads `count` raw bytes.
  mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
    guard count >= 0, remaining >= count else { return nil }
    defer { position += count }
    return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
  }
}
