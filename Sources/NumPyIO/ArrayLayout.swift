import Foundation

/// Byte-order and memory-order normalisation of array data.
enum ArrayLayout {
  /// Returns `raw` as little-endian, row-major (C-order) elements.
  ///
  /// Zero-copy when `raw` already is; otherwise one pass that swaps bytes and/or permutes
  /// elements from column-major (Fortran) order.
  static func toLittleEndianCOrder(
    _ raw: Data, itemSize: Int, bigEndian: Bool, fortranOrder: Bool, shape: [Int]
  ) -> Data {
    let swap = bigEndian && itemSize > 1
    let permute = fortranOrder && shape.filter { $0 > 1 }.count > 1
    // An empty array has nothing to reorder, and its other dimensions may be as large as 2^63:
    // the strides below are products of them and would overflow (a 192-byte .npy of shape
    // (0, 2^40, 2^40) trapped here; found triaging a FuzzNPY report). With at least one element,
    // every stride is at most the element count, which the data bounds.
    guard swap || permute, !raw.isEmpty else { return raw }
    let count = raw.count / itemSize
    var out = Data(count: raw.count)
    raw.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
      out.withUnsafeMutableBytes { (dst: UnsafeMutableRawBufferPointer) in
        // Row-major strides of the output, in elements.
        var cStrides = [Int](repeating: 1, count: shape.count)
        for k in stride(from: shape.count - 2, through: 0, by: -1) {
          cStrides[k] = cStrides[k + 1] * shape[k + 1]
        }
        // Walk the source in its own (Fortran) order: the first index varies fastest.
        var index = [Int](repeating: 0, count: shape.count)
        for f in 0..<count {
          var c = f
          if permute {
            c = 0
            for k in 0..<shape.count { c += index[k] * cStrides[k] }
            var k = 0
            while k < shape.count {
              index[k] += 1
              if index[k] < shape[k] { break }
              index[k] = 0
              k += 1
            }
          }
          let s = f * itemSize
          let d = c * itemSize
          if swap {
            for b in 0..<itemSize { dst[d + b] = src[s + itemSize - 1 - b] }
          } else {
            for b in 0..<itemSize { dst[d + b] = src[s + b] }
          }
        }
      }
    }
    return out
  }
}
