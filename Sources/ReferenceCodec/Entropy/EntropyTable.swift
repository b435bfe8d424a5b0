import WeightFormat

/// A CDF table prepared for coding values (spec/entropy-coding.md §4–5).
///
/// Holds the rows of a validated ``CDFTable`` and, for decoding, a lookup index per row: for each
/// of the row's 2^(p−shift) slot buckets, the first symbol whose interval reaches the bucket. The
/// index only speeds up the search; the symbol found is the one §3.2 defines, which
/// ``decodeReference(row:from:)`` finds by plain binary search and the tests compare.
public struct EntropyTable: Sendable {
  /// The probability precision p.
  public let precision: UInt32
  /// The number of rows.
  public let rowCount: Int
  @usableFromInline let stride: Int
  @usableFromInline let cdf: [UInt32]
  /// The escape symbol of each row: its last symbol, L − 2.
  @usableFromInline let escapes: [Int]
  @usableFromInline let offsets: [Int64]
  /// log2 of the slots per lookup bucket.
  @usableFromInline let lookupShift: UInt32
  @usableFromInline let bucketsPerRow: Int
  @usableFromInline let lookup: [UInt16]

  /// Prepares a table for coding.
  ///
  /// - Throws: ``EntropyError/invalidTable(reason:)`` if the table breaks spec/container.md §5.3.
  public init(_ table: CDFTable, name: String = "table") throws(EntropyError) {
    do throws(WeightFormatError) {
      try table.validate(name: name)
    } catch {
      throw .invalidTable(reason: error.description)
    }
    precision = UInt32(table.precision)
    rowCount = table.count
    stride = table.stride
    cdf = table.cdf
    escapes = table.lengths.map { Int($0) - 2 }
    offsets = table.offsets.map { Int64($0) }
    // 2^10 buckets per row at p = 16 (a bucket spans 64 slots): 128 KiB for a 64-row Gaussian
    // table, small enough to stay in cache under random rows, and the search after the lookup
    // rarely takes more than a few steps. Measured against 2^8 and 2^12 in docs/benchmarks.md.
    let shift = UInt32(max(0, table.precision - 10))
    lookupShift = shift
    let buckets = 1 << (table.precision - Int(shift))
    bucketsPerRow = buckets
    var lookup = [UInt16](repeating: 0, count: table.count * buckets)
    for r in 0..<table.count {
      let base = r * table.stride
      var s = 0
      for b in 0..<buckets {
        let slot = UInt32(b << Int(shift))
        while table.cdf[base + s + 1] <= slot { s += 1 }
        lookup[r * buckets + b] = UInt16(s)
      }
    }
    self.lookup = lookup
  }

  /// The direct range lo…hi of `row` (§5).
  @inlinable func directRange(_ row: Int) -> (lo: Int64, hi: Int64) {
    (offsets[row], offsets[row] + Int64(escapes[row] - 1))
  }

  // MARK: Encoding

  /// Appends the units that code `value` with `row` (§5).
  ///
  /// - Throws: ``EntropyError/rowOutOfRange(row:rows:)``.
  public func encode(_ value: Int64, row: Int, into encoder: inout RANSEncoder)
    throws(EntropyError)
  {
    guard row >= 0 && row < rowCount else { throw .rowOutOfRange(row: row, rows: rowCount) }
    let base = row * stride
    let escape = escapes[row]
    let (lo, hi) = directRange(row)
    if value >= lo && value <= hi {
      let s = Int(value - lo)
      let c = cdf[base + s]
      encoder.put(start: c, frequency: cdf[base + s + 1] - c, precision: precision)
      return
    }
    let c = cdf[base + escape]
    encoder.put(start: c, frequency: cdf[base + escape + 1] - c, precision: precision)
    // The distance from the range, in unsigned 64-bit arithmetic (it may exceed Int64.max).
    let above = value > hi
    let d =
      above
      ? UInt64(bitPattern: value) &- UInt64(bitPattern: hi) &- 1
      : UInt64(bitPattern: lo) &- 1 &- UInt64(bitPattern: value)
    var m: UInt64 = 1
    while m < 16 && d >> (4 * m) != 0 { m += 1 }
    encoder.putBypass((above ? 16 : 0) | UInt32(m - 1), bits: 5)
    for k in 0..<m { encoder.putBypass(UInt32((d >> (4 * k)) & 15), bits: 4) }
  }

  /// Codes `values[i]` with row `rows[i]` and returns the stream.
  public func encode(values: [Int64], rows: [Int32]) throws(EntropyError) -> [UInt8] {
    precondition(values.count == rows.count, "one row per value")
    var encoder = RANSEncoder()
    encoder.reserveCapacity(values.count)
    for i in 0..<values.count { try encode(values[i], row: Int(rows[i]), into: &encoder) }
    return encoder.finish()
  }

  // MARK: Decoding, one value at a time

  /// Decodes one value coded with `row`, finding the symbol through the lookup index.
  public func decode(row: Int, from decoder: inout RANSDecoder) throws(EntropyError) -> Int64 {
    guard row >= 0 && row < rowCount else { throw .rowOutOfRange(row: row, rows: rowCount) }
    let slot = decoder.peek(precision: precision)
    let base = row * stride
    var s = Int(lookup[row * bucketsPerRow + Int(slot >> lookupShift)])
    while cdf[base + s + 1] <= slot { s += 1 }
    return try finishDecode(symbol: s, row: row, base: base, decoder: &decoder)
  }

  /// Decodes one value coded with `row` by plain binary search: the normative reference that
  /// the lookup-index paths are tested against.
  public func decodeReference(row: Int, from decoder: inout RANSDecoder) throws(EntropyError)
    -> Int64
  {
    guard row >= 0 && row < rowCount else { throw .rowOutOfRange(row: row, rows: rowCount) }
    let slot = decoder.peek(precision: precision)
    let base = row * stride
    // The largest s with cdf[s] <= slot, for s in 0 ... escape.
    var lo = 0
    var hi = escapes[row] + 1
    while hi - lo > 1 {
      let mid = (lo + hi) / 2
      if cdf[base + mid] <= slot { lo = mid } else { hi = mid }
    }
    return try finishDecode(symbol: lo, row: row, base: base, decoder: &decoder)
  }

  func finishDecode(symbol s: Int, row: Int, base: Int, decoder: inout RANSDecoder)
    throws(EntropyError) -> Int64
  {
    let c = cdf[base + s]
    try decoder.advance(start: c, frequency: cdf[base + s + 1] - c, precision: precision)
    if s != escapes[row] { return offsets[row] + Int64(s) }
    return try decodeEscape(row: row, decoder: &decoder)
  }

  /// Decodes an escape payload (§5) and checks that it is canonical and representable.
  @usableFromInline
  func decodeEscape(row: Int, decoder: inout RANSDecoder) throws(EntropyError) -> Int64 {
    let start = decoder.offset
    let head = try decoder.decodeBypass(bits: 5)
    let m = Int(head & 15) + 1
    var d: UInt64 = 0
    var last: UInt32 = 0
    for k in 0..<m {
      last = try decoder.decodeBypass(bits: 4)
      d |= UInt64(last) << (4 * UInt64(k))
    }
    return try escapedValue(
      row: row, above: head & 16 != 0, distance: d, nibbles: m, lastNibble: UInt64(last),
      offset: start)
  }

  /// The value an escape payload stands for, after checking that the payload is canonical and
  /// the value representable (§5).
  @usableFromInline
  func escapedValue(
    row: Int, above: Bool, distance d: UInt64, nibbles m: Int, lastNibble: UInt64, offset: Int
  ) throws(EntropyError) -> Int64 {
    if m > 1 && lastNibble == 0 {
      throw .damagedStream(offset: offset, reason: "escape uses \(m) nibbles where fewer suffice")
    }
    let (lo, hi) = directRange(row)
    if above {
      // v = hi + 1 + d must not exceed Int64.max.
      guard d < UInt64(bitPattern: Int64.max) &- UInt64(bitPattern: hi) else {
        throw .damagedStream(offset: offset, reason: "escaped value exceeds the 64-bit range")
      }
      return Int64(bitPattern: UInt64(bitPattern: hi) &+ 1 &+ d)
    }
    // v = lo − 1 − d must not fall below Int64.min.
    guard d < UInt64(bitPattern: lo) &- UInt64(bitPattern: Int64.min) else {
      throw .damagedStream(offset: offset, reason: "escaped value falls below the 64-bit range")
    }
    return Int64(bitPattern: UInt64(bitPattern: lo) &- 1 &- d)
  }

  /// Decodes `rows.count` values, value i with row `rows[i]`, and checks the stream's end.
  ///
  /// The per-value path: see ``decode(_:rows:into:)`` for the batch kernel.
  /// - Complexity: O(n) units, plus a search per value bounded by the row length.
  public func decode(_ stream: [UInt8], rows: [Int32]) throws(EntropyError) -> [Int64] {
    var decoder = try RANSDecoder(stream)
    var out = [Int64](repeating: 0, count: rows.count)
    for i in 0..<rows.count { out[i] = try decode(row: Int(rows[i]), from: &decoder) }
    try decoder.finish()
    return out
  }
}
