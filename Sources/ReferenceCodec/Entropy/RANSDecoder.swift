import WeightFormat

/// The rANS decoder of spec/entropy-coding.md §3.2, reading a stream held in memory.
///
/// It never reads outside the stream: a renormalisation that needs more bytes than remain, an
/// invalid initial state, or leftover state or bytes at ``finish()`` are ``EntropyError``s.
/// Bit-exact: decodes the units §3.2 defines.
public struct RANSDecoder: Sendable {
  @usableFromInline let bytes: [UInt8]
  /// The read position of the next word.
  @usableFromInline var position: Int
  /// The state of the next unit, and the other one.
  @usableFromInline var x: UInt64
  @usableFromInline var y: UInt64
  @usableFromInline var units = 0
  /// The number of units decoded so far.
  public var unitCount: Int { units }

  /// Reads the stream header.
  ///
  /// - Throws: ``EntropyError/damagedStream(offset:reason:)`` for a stream shorter than 16 bytes
  ///   or an initial state outside [2^31, 2^63).
  public init(_ bytes: [UInt8]) throws(EntropyError) {
    guard bytes.count >= RANS.headerBytes else {
      throw .damagedStream(offset: bytes.count, reason: "shorter than the 16-byte header")
    }
    self.bytes = bytes
    x = ByteOrder.littleEndian(from: bytes, at: 0)
    y = ByteOrder.littleEndian(from: bytes, at: 8)
    position = RANS.headerBytes
    for (state, offset) in [(x, 0), (y, 8)]
    where state < RANS.lowerBound || state >= RANS.stateLimit {
      throw .damagedStream(offset: offset, reason: "initial state \(state) is outside [2^31, 2^63)")
    }
  }

  /// The slot of the next unit at precision `q`: the value a symbol search looks up.
  @inlinable
  public func peek(precision q: UInt32) -> UInt32 {
    UInt32(truncatingIfNeeded: x & ((1 << UInt64(q)) - 1))
  }

  /// Consumes the next unit, whose start and frequency the caller found for the slot.
  @inlinable
  public mutating func advance(start c: UInt32, frequency f: UInt32, precision q: UInt32)
    throws(EntropyError)
  {
    let slot = x & ((1 << UInt64(q)) - 1)
    var s = UInt64(f) &* (x &>> UInt64(q)) &+ slot &- UInt64(c)
    if s < RANS.lowerBound {
      guard position + 4 <= bytes.count else {
        throw .streamEndsInRenormalisation(at: position)
      }
      s = (s &<< 32) | UInt64(ByteOrder.littleEndian(UInt32.self, from: bytes, at: position))
      position += 4
    }
    x = y
    y = s
    units += 1
  }

  /// Decodes a bypass unit of `bits` bits (§2).
  public mutating func decodeBypass(bits: UInt32) throws(EntropyError) -> UInt32 {
    let v = peek(precision: bits)
    try advance(start: v, frequency: 1, precision: bits)
    return v
  }

  /// The current read position, for messages.
  public var offset: Int { position }

  /// Checks the end of a conforming stream: both states back at 2^31 and no byte left (§3.2).
  public func finish() throws(EntropyError) {
    guard x == RANS.lowerBound && y == RANS.lowerBound else {
      throw .damagedStream(offset: position, reason: "final states are not the initial 2^31")
    }
    guard position == bytes.count else {
      throw .damagedStream(offset: position, reason: "\(bytes.count - position) bytes left unread")
    }
  }
}
