/// The batch decoding kernel: every value of a stream in one loop.
///
/// Bit-exact: decodes the same units and values as the per-value path
/// (``EntropyTable/decode(row:from:)``) and the binary-search reference, for every stream,
/// damaged ones included (the tests compare all three). It differs only in speed: the states,
/// read position and table pointers stay in registers, arithmetic is wrapping where §3 proves
/// it cannot overflow, and only the stream bounds and row indexes are checked.
extension EntropyTable {
  /// Decodes `rows.count` values into `out`, value i with row `rows[i]`, and checks the stream's
  /// end (§3.2 step 3).
  ///
  /// - Parameters:
  ///   - stream: the coded bytes.
  ///   - rows: the table row of each value.
  ///   - out: receives one value per row.
  ///   - saturating: values outside the 32-bit range are clamped to it instead of being an
  ///     error (every signed 64-bit value is a valid symbol, spec/entropy-coding.md §5; the codec
  ///     clamps symbols to ±2^20 before use anyway, spec/bitstream.md §6.2).
  /// - Throws: ``EntropyError``: a damaged stream, a row outside the table, or (unless
  ///   `saturating`) a value outside the 32-bit range of `out`.
  /// - Complexity: O(n) units, plus a search per value bounded by the row length.
  public func decode(
    _ stream: [UInt8], rows: UnsafeBufferPointer<Int32>,
    into out: UnsafeMutableBufferPointer<Int32>,
    saturating: Bool = false
  ) throws(EntropyError) {
    precondition(out.count >= rows.count, "the output holds one value per row")
    var decoder = try RANSDecoder(stream)
    let p = UInt64(precision)
    let mask = UInt32((1 << precision) - 1)
    let shift = lookupShift
    let buckets = bucketsPerRow
    let stride = self.stride
    let rowLimit = UInt(rowCount)
    var failure: EntropyError?
    stream.withUnsafeBytes { bytes in
      cdf.withUnsafeBufferPointer { cdf in
        lookup.withUnsafeBufferPointer { lookup in
          escapes.withUnsafeBufferPointer { escapes in
            offsets.withUnsafeBufferPointer { offsets in
              guard let data = bytes.baseAddress, let cdf = cdf.baseAddress,
                let lookup = lookup.baseAddress
              else { return }
              let end = bytes.count
              var x = decoder.x
              var y = decoder.y
              var position = decoder.position
              var i = 0
              while i < rows.count {
                let row = Int(rows[i])
                guard UInt(bitPattern: row) < rowLimit else {
                  failure = .rowOutOfRange(row: row, rows: rowCount)
                  return
                }
                let slot = UInt32(truncatingIfNeeded: x) & mask
                let base = row &* stride
                var s = Int(lookup[row &* buckets &+ Int(slot &>> shift)])
                while cdf[base &+ s &+ 1] <= slot { s &+= 1 }
                let c = cdf[base &+ s]
                let f = cdf[base &+ s &+ 1] &- c
                let next = UInt64(f) &* (x &>> p) &+ UInt64(slot &- c)
                guard Self.rotate(next, &x, &y, data, &position, end) else {
                  failure = .streamEndsInRenormalisation(at: position)
                  return
                }
                var value = offsets[row] &+ Int64(s)
                if s == escapes[row] {
                  // The escape payload (§5), inline: bypass units of 5 and 4 bits.
                  let payloadStart = position
                  var head: UInt64 = 0
                  var d: UInt64 = 0
                  var last: UInt64 = 0
                  var k: UInt64 = 0
                  var count: UInt64 = 1
                  while k <= count {
                    let bits: UInt64 = k == 0 ? 5 : 4
                    let v = x & ((1 &<< bits) &- 1)
                    guard Self.rotate(x &>> bits, &x, &y, data, &position, end) else {
                      failure = .streamEndsInRenormalisation(at: position)
                      return
                    }
                    if k == 0 {
                      head = v
                      count = (v & 15) &+ 1
                    } else {
                      d |= v &<< (4 &* (k &- 1))
                      last = v
                    }
                    k &+= 1
                  }
                  do throws(EntropyError) {
                    value = try escapedValue(
                      row: row, above: head & 16 != 0, distance: d, nibbles: Int(count),
                      lastNibble: last, offset: payloadStart)
                  } catch {
                    failure = error
                    return
                  }
                }
                if let narrow = Int32(exactly: value) {
                  out[i] = narrow
                } else if saturating {
                  out[i] = Int32(clamping: value)
                } else {
                  failure = .damagedStream(
                    offset: position, reason: "value \(value) does not fit the 32-bit output")
                  return
                }
                i &+= 1
              }
              decoder.x = x
              decoder.y = y
              decoder.position = position
            }
          }
        }
      }
    }
    if let failure { throw failure }
    try decoder.finish()
  }

  /// Renormalises the decoded state `next`, if below L, with the next 32-bit word (§3.2 step
  /// 4) and rotates it in as the newer of the two interleaved states (x ← y, y ← next); `false`
  /// when the stream has no word left.
  @inline(__always)
  static func rotate(
    _ next: UInt64, _ x: inout UInt64, _ y: inout UInt64, _ data: UnsafeRawPointer,
    _ position: inout Int, _ end: Int
  ) -> Bool {
    var state = next
    if state < RANS.lowerBound {
      guard position &+ 4 <= end else { return false }
      let word = UInt32(littleEndian: (data + position).loadUnaligned(as: UInt32.self))
      state = (state &<< 32) | UInt64(word)
      position &+= 4
    }
    x = y
    y = state
    return true
  }

  /// Decodes `rows.count` values as 32-bit integers with the batch kernel (`saturating`: values
  /// beyond the 32-bit range are clamped to it, see ``decode(_:rows:into:saturating:)``).
  public func decode32(_ stream: [UInt8], rows: [Int32], saturating: Bool = false)
    throws(EntropyError) -> [Int32]
  {
    var failure: EntropyError?
    // Uninitialised: the kernel writes every element, or the array is discarded on failure.
    let out = [Int32](unsafeUninitializedCapacity: rows.count) { buffer, initialized in
      rows.withUnsafeBufferPointer { rows in
        do throws(EntropyError) {
          try decode(stream, rows: rows, into: buffer, saturating: saturating)
          initialized = rows.count
        } catch {
          failure = error
          initialized = 0
        }
      }
    }
    if let failure { throw failure }
    return out
  }
}
