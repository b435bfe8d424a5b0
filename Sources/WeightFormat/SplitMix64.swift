/// Steele, Lea & Flood's SplitMix64: a small, fast generator with a 64-bit state, and its
/// finalizer as a pure mixing function.
///
/// One implementation for the whole package: the sampler's counter-based noise
/// (spec/bitstream.md §7.4) is ``mix(_:)`` of a position key, the converter's calibration noise
/// and every randomized test draw from ``next()`` with a fixed seed, so they give the same
/// sequence on every run and platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  /// The golden-ratio increment 0x9E3779B97F4A7C15.
  public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

  private var state: UInt64

  /// A generator whose first output is `mix(seed + increment)`.
  public init(seed: UInt64) {
    state = seed
  }

  public mutating func next() -> UInt64 {
    state &+= Self.increment
    return Self.mix(state)
  }

  /// SplitMix64's finalizer: z ^= z >> 30, z ·= 0xBF58476D1CE4E5B9, z ^= z >> 27,
  /// z ·= 0x94D049BB133111EB, z ^= z >> 31 (all mod 2^64).
  @inlinable
  public static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z &>> 31)
  }
}
