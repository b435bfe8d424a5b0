/// Which of profile 3's detail stages an encoder sends (spec/bitstream.md §7.5, §7.6).
///
/// A coding parameter like the rate index: every mode gives a valid stream, and each mode's
/// bytes are reproducible (the reference rules of §7.5 and §7.6 choose the codes).
public enum DetailMode: String, Sendable, CaseIterable, CustomStringConvertible {
  /// No detail substream: two substreams, minor version 0.
  case off
  /// The detail fill of §7.5 only: three substreams, minor version 1 (bitstream 1.1).
  case fill
  /// The band gains of §7.6 (signed, flags bit 2) and then the detail fill: four substreams,
  /// minor version 3 (bitstream 1.3).
  case gains
  /// The low-pass residual of §7.7, the signed band gains and the detail fill: five
  /// substreams, minor version 3 (bitstream 1.3).
  case on

  /// Whether the stream gets a detail substream.
  public var sendsFill: Bool { self != .off }
  /// Whether the stream gets a gains substream.
  public var sendsGains: Bool { self == .gains || self == .on }
  /// Whether the stream gets a residual substream.
  public var sendsResidual: Bool { self == .on }

  public var description: String { rawValue }
}
