import Foundation

/// Float32 forward kernels that run a CompressAI model for activation calibration.
///
/// Each kernel follows the PyTorch operator of the same name on (C, H, W) tensors (batch 1) to
/// float32 rounding; none is bit-exact with PyTorch, whose summation order differs. Every kernel
/// that takes `threads` splits its output rows into bands, one worker per band, and computes each
/// output element in a fixed order, so results are identical for every thread count.
///
/// Nothing here is part of the integer codec: the converter uses these kernels only to measure
/// activation ranges.
public enum FloatKernels {
  /// `torch.relu`: x for x > 0, else 0.
  public static func relu(_ x: FloatTensor) -> FloatTensor {
    map(x) { $0 > 0 ? $0 : 0 }
  }

  /// `torch.nn.functional.leaky_relu`: x for x > 0, else `slope`·x.
  public static func leakyRelu(_ x: FloatTensor, slope: Float) -> FloatTensor {
    map(x) { $0 > 0 ? $0 : $0 * slope }
  }

  /// `torch.abs`: |x|.
  public static func abs(_ x: FloatTensor) -> FloatTensor {
    map(x) { $0.magnitude }
  }

  /// `torch.sigmoid`: 1 / (1 + e^−x), evaluated in float64 and rounded to float32.
  public static func sigmoid(_ x: FloatTensor) -> FloatTensor {
    map(x) { Float(1 / (1 + exp(-Double($0)))) }
  }

  /// The element-wise product `a * b` of two tensors of equal shape.
  public static func multiply(_ a: FloatTensor, _ b: FloatTensor) -> FloatTensor {
    precondition(a.values.count == b.values.count, "equal shapes")
    var y = a
    y.values.withUnsafeMutableBufferPointer { v in
      for i in v.indices { v[i] *= b.values[i] }
    }
    return y
  }

  /// Applies `f` to every element.
  @inline(__always)
  static func map(_ x: FloatTensor, _ f: (Float) -> Float) -> FloatTensor {
    var y = x
    y.values.withUnsafeMutableBufferPointer { v in
      for i in v.indices { v[i] = f(v[i]) }
    }
    return y
  }
}
