/// A set of quantized cumulative distribution functions, as an entropy coder reads them
/// (spec/container.md §5.3).
///
/// Row `i` holds `lengths[i]` entries `cdf[i*stride ..< i*stride + lengths[i]]`, starting at 0,
/// strictly increasing and ending at `2^precision`; the remaining entries of the row are zero.
public struct CDFTable: Sendable, Hashable {
  /// The probability precision p in bits: every row ends at 2^p.
  public var precision: Int
  /// The symbol value of each row's first entry (CompressAI's `_offset`).
  public var offsets: [Int32]
  /// The number of CDF entries of each row (CompressAI's `_cdf_length`).
  public var lengths: [UInt32]
  /// The row stride m: the longest row's length.
  public var stride: Int
  /// The rows, flattened, `offsets.count × stride` entries.
  public var cdf: [UInt32]

  /// Creates a table from its flat representation without validating it.
  public init(precision: Int, offsets: [Int32], lengths: [UInt32], stride: Int, cdf: [UInt32]) {
    self.precision = precision
    self.offsets = offsets
    self.lengths = lengths
    self.stride = stride
    self.cdf = cdf
  }

  /// Creates a table from rows of CDF values, padding each to the longest.
  public init(precision: Int, rows: [(offset: Int32, cdf: [UInt32])]) {
    let stride = rows.map(\.cdf.count).max() ?? 0
    var flat = [UInt32](repeating: 0, count: rows.count * stride)
    for (i, row) in rows.enumerated() {
      for (k, v) in row.cdf.enumerated() { flat[i * stride + k] = v }
    }
    self.init(
      precision: precision, offsets: rows.map(\.offset), lengths: rows.map { UInt32($0.cdf.count) },
      stride: stride, cdf: flat)
  }

  /// The number of distributions n.
  public var count: Int { offsets.count }

  /// The CDF entries of row `i`.
  public func row(_ i: Int) -> ArraySlice<UInt32> {
    cdf[(i * stride)..<(i * stride + Int(lengths[i]))]
  }

  /// The data bytes of the table as spec/container.md §5.3 lays them out.
  var serializedData: [UInt8] {
    var w = ByteWriter()
    for o in offsets { w.append(o) }
    for l in lengths { w.append(l) }
    for c in cdf { w.append(c) }
    return w.bytes
  }

  /// Checks the invariants of §5.3 and the limits of §8.
  ///
  /// - Throws: ``WeightFormatError/invalidCDF(table:row:reason:)`` or
  ///   ``WeightFormatError/limitExceeded(what:value:limit:offset:)``.
  public func validate(name: String) throws(WeightFormatError) {
    guard ContainerLimits.precisionRange.contains(precision) else {
      throw .invalidCDF(table: name, row: 0, reason: "precision \(precision) is outside 1…16")
    }
    let n = offsets.count
    guard n >= 1, n <= ContainerLimits.maxDistributions else {
      throw .invalidCDF(table: name, row: 0, reason: "\(n) distributions, allowed 1…2^20")
    }
    let total = 1 << precision
    guard stride >= 2, stride <= total + 1 else {
      throw .invalidCDF(table: name, row: 0, reason: "stride \(stride) is outside 2…2^p+1")
    }
    guard n * stride <= ContainerLimits.maxCDFEntries else {
      throw .invalidCDF(table: name, row: 0, reason: "\(n * stride) entries, over 2^26")
    }
    guard lengths.count == n, cdf.count == n * stride else {
      throw .invalidCDF(table: name, row: 0, reason: "array sizes do not match n and stride")
    }
    for i in 0..<n {
      let length = Int(lengths[i])
      guard length >= 2, length <= stride else {
        throw .invalidCDF(table: name, row: i, reason: "length \(length) is outside 2…\(stride)")
      }
      let base = i * stride
      guard cdf[base] == 0 else {
        throw .invalidCDF(table: name, row: i, reason: "first entry is \(cdf[base]), not 0")
      }
      for k in 1..<length where cdf[base + k] <= cdf[base + k - 1] {
        throw .invalidCDF(
          table: name, row: i,
          reason: "entry \(k) (\(cdf[base + k])) does not exceed entry \(k - 1): zero frequency")
      }
      guard cdf[base + length - 1] == UInt32(total) else {
        throw .invalidCDF(
          table: name, row: i,
          reason: "last entry is \(cdf[base + length - 1]), not 2^\(precision) = \(total)")
      }
      for k in length..<stride where cdf[base + k] != 0 {
        throw .invalidCDF(table: name, row: i, reason: "padding entry \(k) is not zero")
      }
    }
  }
}
