/// The rANS encoder of spec/entropy-coding.md §3.1: two interleaved 64-bit states, 32-bit
/// little-endian words.
///
/// Units are collected in order and coded in reverse by ``finish()``, as rANS requires.
/// Bit-exact: produces the byte stream §3.1 defines for the unit sequence put.
public struct RANSEncoder: Sendable {
  /// Units packed as `start | freq << 20 | precision << 40`.
  @usableFromInline var units: [UInt64] = []

  public init() {}

  /// Reserves room for `count` more units.
  public mutating func reserveCapacity(_ count: Int) {
    units.reserveCapacity(units.count + count)
  }

  /// The number of units put so far.
  public var unitCount: Int { units.count }

  /// Appends a unit (start c, frequency f, precision q).
  ///
  /// - Precondition: 1 ≤ q ≤ 16, f ≥ 1, c + f ≤ 2^q (callers derive units from validated tables).
  @inlinable
  public mutating func put(start: UInt32, frequency: UInt32, precision: UInt32) {
    units.append(UInt64(start) | UInt64(frequency) << 20 | UInt64(precision) << 40)
  }

  /// Appends a bypass unit: the low `bits` bits of `value`, uniformly (§2).
  public mutating func putBypass(_ value: UInt32, bits: UInt32) {
    put(start: value & ((1 << bits) - 1), frequency: 1, precision: bits)
  }

  /// Codes every unit and returns the stream.
  public func finish() -> [UInt8] {
    var x0 = RANS.lowerBound
    var x1 = RANS.lowerBound
    var words: [UInt32] = []
    words.reserveCapacity(units.count / 2 + 4)
    units.withUnsafeBufferPointer { units in
      var u = units.count - 1
      // Unit u uses state u mod 2; walk down, keeping the state of the current unit in `x`.
      var x = u & 1 == 0 ? x0 : x1
      var y = u & 1 == 0 ? x1 : x0
      while u >= 0 {
        let unit = units[u]
        let c = unit & 0xF_FFFF
        let f = (unit >> 20) & 0xF_FFFF
        let q = unit >> 40
        let xMax = f &<< (63 &- q)
        if x >= xMax {
          words.append(UInt32(truncatingIfNeeded: x))
          x &>>= 32
        }
        x = ((x / f) &<< q) &+ (x % f) &+ c
        swap(&x, &y)
        u -= 1
      }
      // After the last step (unit 0) `y` holds state 0.
      if units.isEmpty {
        x0 = RANS.lowerBound
        x1 = RANS.lowerBound
      } else {
        x0 = y
        x1 = x
      }
    }
    var out: [UInt8] = []
    out.reserveCapacity(RANS.headerBytes + 4 * words.count)
    for v in [x0, x1] {
      for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) }
    }
    for w in words.reversed() {
      for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: w >> (8 * UInt32(k)))) }
    }
    return out
  }
}
