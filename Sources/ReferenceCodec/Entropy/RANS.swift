/// Constants of the normative rANS coder (spec/entropy-coding.md §3).
public enum RANS {
  /// The lower bound L of a normalised state: 2^31.
  public static let lowerBound: UInt64 = 1 << 31
  /// States are below 2^63.
  public static let stateLimit: UInt64 = 1 << 63
  /// The stream header: two 64-bit states.
  public static let headerBytes = 16
  /// The largest precision of a unit.
  public static let maxPrecision = 16
}
