/// Content rules of spec/container.md shared by the reader and the writer, so both enforce the
/// same constraints.
enum ContainerRules {
  /// Checks a record or key name: 1…`maxBytes` bytes of UTF-8 without U+0000.
  static func checkName(_ name: String, maxBytes: Int, offset: Int) throws(WeightFormatError) {
    let count = name.utf8.count
    guard count >= 1 else { throw .invalidString(offset: offset, reason: "empty name") }
    guard count <= maxBytes else {
      throw .limitExceeded(
        what: "name length", value: UInt64(count), limit: UInt64(maxBytes), offset: offset)
    }
    guard !name.utf8.contains(0) else {
      throw .invalidString(offset: offset, reason: "contains U+0000")
    }
  }

  /// Checks a tensor's shape against §5.2 and §8 and returns its data length in bytes.
  static func dataLength(name: String, dtype: DType, shape: [UInt64]) throws(WeightFormatError)
    -> UInt64
  {
    guard shape.count <= ContainerLimits.maxRank else {
      throw .invalidTensor(name: name, reason: "rank \(shape.count) exceeds 16")
    }
    var bytes = UInt64(dtype.itemSize)
    var overflow = false
    for d in shape {
      guard d <= ContainerLimits.maxDimension else {
        throw .invalidTensor(name: name, reason: "dimension \(d) exceeds 2^40")
      }
      if !overflow {
        let (p, o) = bytes.multipliedReportingOverflow(by: d)
        overflow = o
        bytes = p
      }
    }
    // A zero dimension makes the product 0 even if an earlier partial product overflowed.
    if shape.contains(0) { return 0 }
    guard !overflow, bytes <= ContainerLimits.maxTensorBytes else {
      throw .invalidTensor(name: name, reason: "data size exceeds 2^40 bytes")
    }
    return bytes
  }

  /// Checks quantization parameters against §5.2.2.
  static func checkQuantization(
    _ q: Quantization, name: String, dtype: DType, shape: [UInt64]
  ) throws(WeightFormatError) {
    guard let range = dtype.integerRange, dtype.isQuantizable else {
      throw .invalidQuantization(tensor: name, reason: "dtype \(dtype.name) cannot be quantized")
    }
    if case .perAxis(let axis, let params) = q {
      guard axis >= 0, axis < shape.count else {
        throw .invalidQuantization(
          tensor: name, reason: "axis \(axis) is not below rank \(shape.count)")
      }
      guard shape[axis] >= 1, UInt64(params.count) == shape[axis] else {
        throw .invalidQuantization(
          tensor: name,
          reason: "\(params.count) parameter triples for axis \(axis) of size \(shape[axis])")
      }
    }
    for (i, p) in q.parameters.enumerated() {
      guard p.multiplier >= 1 else {
        throw .invalidQuantization(tensor: name, reason: "multiplier \(p.multiplier) at index \(i)")
      }
      guard QuantizationParameters.shiftRange.contains(p.shift) else {
        throw .invalidQuantization(tensor: name, reason: "shift \(p.shift) at index \(i)")
      }
      guard range.contains(Int64(p.zeroPoint)) else {
        throw .invalidQuantization(
          tensor: name, reason: "zero point \(p.zeroPoint) at index \(i) outside \(dtype.name)")
      }
    }
  }

  /// Checks a metadata value's limits and returns the number of values it holds.
  static func checkMetadataValue(_ v: MetadataValue, depth: Int, offset: Int)
    throws(WeightFormatError) -> Int
  {
    guard depth <= ContainerLimits.maxListDepth else {
      throw .limitExceeded(
        what: "metadata list depth", value: UInt64(depth),
        limit: UInt64(ContainerLimits.maxListDepth), offset: offset)
    }
    switch v {
    case .integer: return 1
    case .string(let s):
      guard s.utf8.count <= ContainerLimits.maxStringBytes else {
        throw .limitExceeded(
          what: "string length", value: UInt64(s.utf8.count),
          limit: UInt64(ContainerLimits.maxStringBytes), offset: offset)
      }
      guard !s.utf8.contains(0) else {
        throw .invalidString(offset: offset, reason: "contains U+0000")
      }
      return 1
    case .list(let items):
      guard items.count <= ContainerLimits.maxListElements else {
        throw .limitExceeded(
          what: "list length", value: UInt64(items.count),
          limit: UInt64(ContainerLimits.maxListElements), offset: offset)
      }
      var total = 1
      for item in items { total += try checkMetadataValue(item, depth: depth + 1, offset: offset) }
      return total
    }
  }

  /// Whether two names are the same by their UTF-8 bytes (§1), not by Unicode equivalence.
  static func sameName(_ a: String, _ b: String) -> Bool {
    a.utf8.elementsEqual(b.utf8)
  }

  /// Whether `a` sorts strictly before `b` by unsigned UTF-8 bytes (§1).
  static func precedes(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
  }
}
