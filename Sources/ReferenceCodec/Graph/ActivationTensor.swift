/// An activation tensor (spec/integer-ops.md §1): shape (C, H, W), int16 elements, a power-of-two
/// exponent e (element q stands for q · 2^−e) and the clamp range of its producer, its values
/// in the memory order `Layout` (``ActivationTensor``: (C, H, W); ``ChannelsLastActivations``:
/// the fast kernels' (H, W, C)).
public struct Activations<Layout: ActivationLayout>: Sendable, Equatable {
  public let channels: Int
  public let height: Int
  public let width: Int
  /// H · W · `channelStride` elements in `Layout`'s order.
  public var values: [Int16]
  public var exponent: Int
  public var lo: Int32
  public var hi: Int32

  /// Creates a tensor; `values.count` must be H · W · `channelStride`, every value within
  /// [lo, hi] and the padding channel (if the layout has one) zero.
  public init(
    channels: Int, height: Int, width: Int, values: [Int16], exponent: Int,
    lo: Int32 = -32767, hi: Int32 = 32767
  ) {
    precondition(
      values.count == height * width * Layout.channelStride(channels), Layout.countRule)
    precondition(-32767 <= lo && lo <= hi && hi <= 32767, "clamp range within ±32767")
    self.channels = channels
    self.height = height
    self.width = width
    self.values = values
    self.exponent = exponent
    self.lo = lo
    self.hi = hi
  }

  /// The values stored per pixel: `channels`, rounded up to even in the channels-last layout.
  @inlinable
  public var channelStride: Int { Layout.channelStride(channels) }

  /// The clamp bound X = max(|lo|, |hi|) used by the accumulator proof (§3).
  public var bound: Int64 { max(abs(Int64(lo)), abs(Int64(hi))) }
}

/// The memory order of an ``Activations`` tensor's values.
public protocol ActivationLayout: Sendable {
  /// The values stored per pixel for `channels` channels.
  static func channelStride(_ channels: Int) -> Int
  /// The precondition message for a wrong value count.
  static var countRule: String { get }
}

/// (C, H, W): element (c, y, x) at index (c · H + y) · W + x — the layout of the reference
/// kernels (spec/integer-ops.md).
public enum PlanarLayout: ActivationLayout {
  @inlinable
  public static func channelStride(_ channels: Int) -> Int { channels }
  public static var countRule: String { "C·H·W values" }
}

/// An activation tensor in (C, H, W) order, the reference kernels' layout.
public typealias ActivationTensor = Activations<PlanarLayout>

extension Activations where Layout == PlanarLayout {
  @inlinable
  public subscript(c: Int, y: Int, x: Int) -> Int16 {
    values[(c * height + y) * width + x]
  }
}
