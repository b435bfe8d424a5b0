import WeightFormat

/// Writes `.npy` headers the way NumPy ≥ 1.14 does.
public enum NPYWriter {
  /// NumPy's type string for a dtype, little-endian (`<f4`, `|b1`).
  public static func descr(_ dtype: DType) -> String {
    switch dtype {
    case .bool: "|b1"
    case .int8: "|i1"
    case .uint8: "|u1"
    case .int16: "<i2"
    case .int32: "<i4"
    case .int64: "<i8"
    case .uint16: "<u2"
    case .uint32: "<u4"
    case .uint64: "<u8"
    case .float16: "<f2"
    case .float32: "<f4"
    case .float64: "<f8"
    }
  }

  /// The preamble and header of a C-order, little-endian array: version 1.0 when the header
  /// fits in 65535 bytes, else 2.0; padded with spaces and a newline to a multiple of 64 bytes.
  public static func header(dtype: DType, shape: [Int]) -> [UInt8] {
    let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
    let dict = "{'descr': '\(descr(dtype))', 'fortran_order': False, 'shape': (\(dims)), }"
    var version: UInt8 = 1
    var prefix = 10
    var total = (prefix + dict.utf8.count + 1 + 63) / 64 * 64
    if total - prefix > 65_535 {
      version = 2
      prefix = 12
      total = (prefix + dict.utf8.count + 1 + 63) / 64 * 64
    }
    let headerLength = total - prefix
    var out = NPYReader.magic + [version, 0]
    for k in 0..<(version == 1 ? 2 : 4) {
      out.append(UInt8(truncatingIfNeeded: headerLength >> (8 * k)))
    }
    out += Array(dict.utf8)
    out += [UInt8](repeating: 0x20, count: total - out.count - 1)
    out.append(0x0A)
    return out
  }
}
