/// A float activation tensor (C, H, W).
///
/// The converter runs a model in floating point on calibration images with these tensors to
/// measure activation ranges; nothing here is part of the integer codec.
public struct FloatTensor: Sendable, Equatable {
  public let channels: Int
  public let height: Int
  public let width: Int
  /// The elements in (C, H, W) order: element (c, y, x) is at index (c·H + y)·W + x.
  public var values: [Float]

  /// A tensor holding `values` in (C, H, W) order.
  ///
  /// - Precondition: the sizes are non-negative and `values.count` is C·H·W.
  public init(channels: Int, height: Int, width: Int, values: [Float]) {
    precondition(channels >= 0 && height >= 0 && width >= 0, "non-negative sizes")
    precondition(values.count == channels * height * width, "values.count is C·H·W")
    self.channels = channels
    self.height = height
    self.width = width
    self.values = values
  }

  /// A tensor with every element `repeating`.
  public init(channels: Int, height: Int, width: Int, repeating: Float) {
    self.init(
      channels: channels, height: height, width: width,
      values: [Float](repeating: repeating, count: channels * height * width))
  }

  /// The number of elements in one channel plane, H·W.
  var planeSize: Int { height * width }

  /// The largest magnitude of all elements (0 for an empty tensor; NaN elements are ignored).
  public func maxAbs() -> Float {
    values.withUnsafeBufferPointer { Self.maxAbs($0) }
  }

  /// The largest magnitude in channel `channel` (0 for an empty plane; NaN is ignored).
  ///
  /// - Precondition: `channel` is in 0 ..< `channels`.
  public func maxAbs(channel: Int) -> Float {
    precondition(channel >= 0 && channel < channels, "channel in 0 ..< channels")
    let n = planeSize
    return values.withUnsafeBufferPointer {
      Self.maxAbs(UnsafeBufferPointer(rebasing: $0[(channel * n)..<(channel * n + n)]))
    }
  }

  private static func maxAbs(_ v: UnsafeBufferPointer<Float>) -> Float {
    var m: Float = 0
    for x in v where x.magnitude > m { m = x.magnitude }
    return m
  }
}
