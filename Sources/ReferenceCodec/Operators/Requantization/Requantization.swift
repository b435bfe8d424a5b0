/// Per-output-channel requantization parameters and output clamp range (§2.2).
public struct Requantization: Sendable, Equatable {
  /// One multiplier per output channel, 1 … 2^31 − 1.
  public var multipliers: [Int32]
  /// One shift per output channel, 0 … 62.
  public var shifts: [Int]
  public var lo: Int32
  public var hi: Int32

  public init(multipliers: [Int32], shifts: [Int], lo: Int32, hi: Int32) {
    precondition(multipliers.count == shifts.count, "one shift per multiplier")
    self.multipliers = multipliers
    self.shifts = shifts
    self.lo = lo
    self.hi = hi
  }

  /// The same multiplier and shift for every one of `channels` channels.
  public init(channels: Int, multiplier: Int32, shift: Int, lo: Int32, hi: Int32) {
    self.init(
      multipliers: Array(repeating: multiplier, count: channels),
      shifts: Array(repeating: shift, count: channels), lo: lo, hi: hi)
  }
}
