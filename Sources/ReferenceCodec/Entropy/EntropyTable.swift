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
  @usableFromInline let lengths: [Int]
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
    lengths = table.lengths.map { Int($0) }
    offsets = table.offsets.map { Int64($0) }
    // 2^12 buckets per row at p = 16: a bucket spans 16 slots, so the search after the lookup
    // rarely takes more than a step or two.
    let shift = UInt32(max(0, table.precision - 12))
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

  /// The escape symbol of `row` (§4): its last symbol.
  @inlinable func escapeSymbol(_ row: Int) -> Int { lengths[row] - 2 }

  // MARK: Encoding

  /// Appends the units that code `value` with `row` (§5).
  ///
  /// - Throws: ``EntropyError/rowOutOfRange(row:rows:)``.
  public func encode(_ value: Int64, row: Int, into encoder: inout RANSEncoder)
    throws(EntropyError)
  {
    guard row >= 0 && row < rowCount else { throw .rowOutOfRange(row: row, rows: rowCount) }
    let base = row * stride
    let escape = lengths[row] - 2
    let (s, overflow) = value.subtractingReportingOverflow(offsets[row])
    if !overflow && s >= 0 && s < Int64(escape) {
      let c = cdf[base + Int(s)]
      encoder.put(start: c, frequency: cdf[base + Int(s) + 1] - c, precision: precision)
      return
    }
    let c = cdf[base + escape]
    encoder.put(start: c, frequency: cdf[base + escape + 1] - c, precision: precision)
    let w = UInt64(bitPattern: (value << 1) ^ (value >> 63))
    var n = 1
    while n < 4 && w >> (16 * UInt64(n)) != 0 { n += 1 }
    encoder.putBypass(UInt32(n - 1), bits: 2)
    for k in 0..<n { encoder.putBypass(UInt32((w >> (16 * UInt64(k))) & 0xFFFF), bits: 16) }
  }

  /// Codes `values[i]` with row `rows[i]` and returns the stream.
  public func encode(values: [Int64], rows: [Int32]) throws(EntropyError) -> [UInt8] {
    precondition(values.count == rows.count, "one row per value")
    var encoder = RANSEncoder()
    for i in 0..<values.count { try encode(values[i], row: Int(rows[i]), into: &encoder) }
    return encoder.finish()
  }

  // MARK: Decoding

  /// Decodes one value coded with `row`, finding the symbol through the lookup index.
  @inlinable
  public func decode(row: Int, from decoder: inout RANSDecoder) throws(EntropyError) -> Int64 {
    guard row >= 0 && row < rowCount else { throw .rowOutOfRange(row: row, rows: rowCount) }
    let slot = decoder.peek(precision: precision)
    let base = row * stride
    var s = Int(lookup[row * bucketsPerRow + Int(slot >> lookupShift)])
    while cdf[base + s + 1] <= slot { s += 1 }
    return try finishDecode(symbol: s, row: row, base: base, decoder: &decoder)
  }

  /// Decodes one value coded with `row` by plain binary search: the normative reference that
  /// the lookup-index path is tested against.
  public func decodeReference(row: Int, from decoder: inout RANSDecoder) throws(EntropyError)
    -> Int64
  {
    guard row >= 0 && row < rowCount else { throw .rowOutOfRange(row: row, rows: rowCount) }
    let slot = decoder.peek(precision: precision)
    let base = row * stride
    // The largest s with cdf[s] <= slot, for s in 0 ..< length − 1.
    var lo = 0
    var hi = lengths[row] - 1
    while hi - lo > 1 {
      let mid = (lo + hi) / 2
      if cdf[base + mid] <= slot { lo = mid } else { hi = mid }
    }
    return try finishDecode(symbol: lo, row: row, base: base, decoder: &decoder)
  }

  @inlinable
  func finishDecode(symbol s: Int, row: Int, base: Int, decoder: inout RANSDecoder)
    throws(EntropyError) -> Int64
  {
    let c = cdf[base + s]
    try decoder.advance(start: c, frequency: cdf[base + s + 1] - c, precision: precision)
    if s != lengths[row] - 2 { return offsets[row] &+ Int64(s) }
    return try decodeEscape(row: row, decoder: &decoder)
  }

  /// Decodes an escape payload (§5) and checks that it is canonical.
  @usableFromInline
  func decodeEscape(row: Int, decoder: inout RANSDecoder) throws(EntropyError) -> Int64 {
    let start = decoder.offset
    let n = Int(try decoder.decodeBypass(bits: 2)) + 1
    var w: UInt64 = 0
    var last: UInt32 = 0
    for k in 0..<n {
      last = try decoder.decodeBypass(bits: 16)
      w |= UInt64(last) << (16 * UInt64(k))
    }
    if n > 1 && last == 0 {
      throw .damagedStream(offset: start, reason: "escape uses \(n) chunks where fewer suffice")
    }
    let v = Int64(bitPattern: (w >> 1) ^ (0 &- (w & 1)))
    let (s, overflow) = v.subtractingReportingOverflow(offsets[row])
    if !overflow && s >= 0 && s < Int64(lengths[row] - 2) {
      throw .damagedStream(offset: start, reason: "escaped value \(v) is inside the row's range")
    }
    return v
  }

  /// Decodes `rows.count` values, value i with row `rows[i]`, and checks the stream's end.
  ///
  /// - Complexity: O(n) units, plus a search per value bounded by the row length.
  public func decode(_ stream: [UInt8], rows: [Int32]) throws(EntropyError) -> [Int64] {
    var decoder = try RANSDecoder(stream)
    var out = [Int64](repeating: 0, count: rows.count)
    for i in 0..<rows.count { out[i] = try decode(row: Int(rows[i]), from: &decoder) }
    try decoder.finish()
    return out
  }
}
