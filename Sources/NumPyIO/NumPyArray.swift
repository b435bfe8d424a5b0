import Foundation
import WeightFormat

/// An array read from a `.npy` file, normalised to the container's layout.
///
/// `data` holds `shape.product × dtype.itemSize` bytes, little-endian, row-major (C) order,
/// whatever byte order and memory order the file used.
public struct NumPyArray: Sendable {
  public var dtype: DType
  public var shape: [Int]
  public var data: Data

  public init(dtype: DType, shape: [Int], data: Data) {
    self.dtype = dtype
    self.shape = shape
    self.data = data
  }

  /// The array as a container tensor named `name`.
  public func tensor(named name: String) -> Tensor {
    Tensor(name: name, dtype: dtype, shape: shape, data: data)
  }
}
