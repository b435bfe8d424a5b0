/// The shared integer primitives of spec/integer-ops.md §2.
///
/// Bit-exact: each function returns exactly the value its section defines, for every input in
/// the stated domain.
public enum IntegerMath {
  /// `rshift(a, s)` (§2.1): a / 2^s rounded half up (towards +∞).
  ///
  /// - Precondition: 0 ≤ s ≤ 62 and a + 2^(s−1) does not overflow.
  @inlinable
  public static func rshift(_ a: Int64, _ s: Int) -> Int64 {
    s == 0 ? a : (a &+ (1 &<< Int64(s - 1))) &>> Int64(s)
  }

  /// `requant(a, m, s, lo, hi)` (§2.2): clamp(rshift(a · m, s), lo, hi), with the product exact
  /// in 128 bits.
  ///
  /// - Precondition: |a| < 2^47, 1 ≤ m < 2^31, 0 ≤ s ≤ 62.
  @inlinable
  public static func requant(_ a: Int64, _ m: Int32, _ s: Int, _ lo: Int32, _ hi: Int32) -> Int32 {
    let (high, low) = a.multipliedFullWidth(by: Int64(m))
    // (high, low) is the 128-bit product; add the rounding term and shift right by s.
    var h = high
    var l = low
    if s > 0 {
      let (sum, carry) = l.addingReportingOverflow(UInt64(1) << UInt64(s - 1))
      l = sum
      if carry { h &+= 1 }
    }
    // Arithmetic shift of the 128-bit value (h, l) by s, 0 ≤ s ≤ 62.
    let shifted: Int64
    if s == 0 {
      shifted = Int64(bitPattern: l)
      guard h == (shifted < 0 ? -1 : 0) else { return h < 0 ? lo : hi }
    } else {
      let lowPart = l >> UInt64(s)
      let highPart = UInt64(bitPattern: h) << UInt64(64 - s)
      shifted = Int64(bitPattern: lowPart | highPart)
      // The value fits 64 bits when the bits of h above the shift are a sign extension.
      guard h >> Int64(s) == (shifted < 0 ? -1 : 0) else { return h < 0 ? lo : hi }
    }
    return Int32(min(max(shifted, Int64(lo)), Int64(hi)))
  }

  /// `isqrt(n)` (§2.3): the largest r with r² ≤ n, by the bitwise method.
  ///
  /// - Precondition: 0 ≤ n < 2^62.
  public static func isqrt(_ n: Int64) -> Int64 {
    var remainder = n
    var root: Int64 = 0
    var bit: Int64 = 1 << 60
    while bit > remainder { bit >>= 2 }
    while bit != 0 {
      if remainder >= root + bit {
        remainder -= root + bit
        root = (root >> 1) + bit
      } else {
        root >>= 1
      }
      bit >>= 2
    }
    return root
  }

  /// `rdiv(a, d)` (§2.4): a / d rounded half away from zero.
  ///
  /// - Precondition: d > 0 and 2·|a| + d < 2^63.
  public static func rdiv(_ a: Int64, _ d: Int64) -> Int64 {
    let q = (2 * a.magnitude + UInt64(d)) / (2 * UInt64(d))
    return a < 0 ? -Int64(q) : Int64(q)
  }
}
