import WeightFormat

/// The per-block code substreams the detail stages share (spec/bitstream.md §7.5 – §7.7):
/// reading and writing runs of block codes with a table row per run, and the block energies of
/// the reference encoder's rules.
extension DetailFill {
  /// Decodes 2 · n_y · n_x per-block codes, row b of `table` for band b, each in
  /// 0 ..< `codeCount` (§7.5's and §7.6's substreams).
  ///
  /// - Throws: ``BitstreamError/damagedSubstream(substream:offset:reason:)`` naming
  ///   `substreamName` and the byte offset within it.
  static func decodeBlockCodes(
    _ bytes: [UInt8], width: Int, height: Int, table: EntropyTable, codeCount: Int,
    substream substreamName: String
  ) throws(BitstreamError) -> [UInt8] {
    let (ny, nx) = grid(width: width, height: height)
    return try decodeBlockValues(
      bytes, count: 2 * ny * nx, perRow: ny * nx, table: table,
      range: 0...Int64(codeCount - 1), substream: substreamName, what: "band"
    ).map { UInt8($0) }
  }

  /// Decodes `count` values, value k with row k / `perRow` of `table`, each within `range`
  /// (the per-block substreams of §7.5 – §7.7).
  ///
  /// - Throws: ``BitstreamError/damagedSubstream(substream:offset:reason:)`` naming
  ///   `substreamName` and the byte offset within it, for a value outside `range` (naming the
  ///   `what` — band or channel — it belongs to) or a stream that breaks
  ///   spec/entropy-coding.md §6.
  static func decodeBlockValues(
    _ bytes: [UInt8], count: Int, perRow: Int, table: EntropyTable, range: ClosedRange<Int64>,
    substream substreamName: String, what: String
  ) throws(BitstreamError) -> [Int64] {
    var values = [Int64](repeating: 0, count: count)
    func damaged(_ error: EntropyError) -> BitstreamError {
      if case .damagedStream(let offset, let reason) = error {
        return .damagedSubstream(substream: substreamName, offset: offset, reason: reason)
      }
      return .damagedSubstream(substream: substreamName, offset: 0, reason: error.description)
    }
    var decoder: RANSDecoder
    do { decoder = try RANSDecoder(bytes) } catch { throw damaged(error) }
    for k in 0..<count {
      let offset = decoder.offset
      let v: Int64
      do { v = try table.decode(row: k / perRow, from: &decoder) } catch { throw damaged(error) }
      guard range.contains(v) else {
        throw .damagedSubstream(
          substream: substreamName, offset: offset,
          reason: "code \(v) of \(what) \(k / perRow) is outside "
            + "\(range.lowerBound)…\(range.upperBound)")
      }
      values[k] = v
    }
    do { try decoder.finish() } catch { throw damaged(error) }
    return values
  }

  /// Codes `rows` equal runs of per-block values (bands or channels), row r of `table` for
  /// run r (§7.5's, §7.6's and §7.7's substreams).
  static func encodeBlockValues(_ values: [Int64], rows: Int, table: EntropyTable)
    throws(EntropyError) -> [UInt8]
  {
    precondition(values.count % rows == 0, "\(rows) equal runs")
    let perRow = values.count / rows
    return try table.encode(
      values: values, rows: (0..<values.count).map { Int32($0 / perRow) })
  }

  /// Per block and band, `rule`(E_o, E_d, N, sparse) of the band energies of the source and of
  /// the decoded picture (§7.5's reference rule: Y = R + G + B, β_0(Y) and rshift(β_1(Y), 8),
  /// the block sums of their squares over the block's N pixels) and of the edge gate (`sparse`:
  /// the source's band is sparse in the block, ``isSparse(pixels:s2:s4:)``), in the
  /// substreams' order.
  static func blockCodes(
    original: RGBImage, decoded: RGBImage, threads: Int,
    rule: @Sendable (Int64, Int64, Int, Bool) -> UInt8
  ) -> [UInt8] {
    precondition(
      original.width == decoded.width && original.height == decoded.height, "same size")
    let (w, h) = (original.width, original.height)
    let (ny, nx) = grid(width: w, height: h)
    let perBlockRow: [[UInt8]] = parallelMap(ny, work: threads > 1 ? w * h * 200 : 0) { i in
      let rows = blockRows(i, height: h)
      let input = inputRows(of: rows, height: h)
      // Per block and band: the sum of squares (units 2^−16 of a squared sample of Y) and, for
      // the edge gate, S_2 and S_4 of the band in quarter samples.
      func energies(_ image: RGBImage, moments: Bool) -> (e: [Int64], s2: [Int64], s4: [Int64]) {
        let y = luma(image, rows: input)
        let (beta0, beta1) = bands(y, first: input.lowerBound, width: w, height: h, rows: rows)
        var e = [Int64](repeating: 0, count: 2 * nx)
        var s2 = [Int64](repeating: 0, count: moments ? 2 * nx : 0)
        var s4 = s2
        for a in rows {
          let o = (a - rows.lowerBound) * w
          for c in 0..<w {
            let k = c / blockSize
            let b0 = beta0[o + c]
            let b1 = IntegerMath.rshift(beta1[o + c], 8)
            e[k] += b0 * b0
            e[nx + k] += b1 * b1
            guard moments else { continue }
            let q0 = IntegerMath.rshift(b0, 6)
            let q1 = IntegerMath.rshift(beta1[o + c], 14)
            s2[k] += q0 * q0
            s4[k] += q0 * q0 * q0 * q0
            s2[nx + k] += q1 * q1
            s4[nx + k] += q1 * q1 * q1 * q1
          }
        }
        return (e, s2, s4)
      }
      let eo = energies(original, moments: true)
      let ed = energies(decoded, moments: false).e
      var out = [UInt8](repeating: 0, count: 2 * nx)
      for m in 0..<(2 * nx) {
        let j = m % nx
        let count = rows.count * (min(w, (j + 1) * blockSize) - j * blockSize)
        let sparse = isSparse(pixels: count, s2: eo.s2[m], s4: eo.s4[m])
        out[m] = rule(eo.e[m], ed[m], count, sparse)
      }
      return out
    }
    return substreamOrder(perBlockRow, bands: 2, columns: nx)
  }

  /// Y = R + G + B of the picture's rows `rows`, W values per row (the luma of the reference
  /// rules, 0 … 765).
  static func luma(_ image: RGBImage, rows: Range<Int>) -> [Int64] {
    let w = image.width
    var y = [Int64](repeating: 0, count: rows.count * w)
    for a in rows {
      for c in 0..<w {
        let p = 3 * (a * w + c)
        y[(a - rows.lowerBound) * w + c] =
          Int64(image.pixels[p]) + Int64(image.pixels[p + 1]) + Int64(image.pixels[p + 2])
      }
    }
    return y
  }

  /// Channel `ch` of the rows `rows` of interleaved RGB samples `pixels` (W per row) into `x`.
  static func channel(
    _ pixels: [UInt8], _ ch: Int, width w: Int, rows: Range<Int>, into x: inout [Int64]
  ) {
    for a in rows {
      for c in 0..<w { x[(a - rows.lowerBound) * w + c] = Int64(pixels[3 * (a * w + c) + ch]) }
    }
  }

  /// Per-block-row values (band b's n_x blocks at b · n_x …) in the substreams' order: band 0's
  /// blocks in raster order, then band 1's, and so on.
  static func substreamOrder<T>(_ perBlockRow: [[T]], bands: Int, columns nx: Int) -> [T] {
    var out: [T] = []
    out.reserveCapacity(bands * perBlockRow.count * nx)
    for b in 0..<bands {
      for row in perBlockRow { out += row[(b * nx)..<((b + 1) * nx)] }
    }
    return out
  }

  /// The kurtosis above which a source band counts as sparse (spec/bitstream.md §7.5's
  /// reference rule, revision 1.8).
  static let sparseKurtosis: UInt64 = 6

  /// The edge gate of the reference rule (spec/bitstream.md §7.5, informative, revision 1.8).
  ///
  /// Whether a source band with S_2 = Σ b² (< 2^34) and S_4 = Σ b⁴ (< 2^58) over a block's N
  /// pixels (b = rshift(β_0(Y), 6) or rshift(β_1(Y), 14): quarter samples of Y = R + G + B, |b|
  /// < 2^12) is sparse: N · S_4 > 6 · S_2², a kurtosis above 6 — edges and lines rather than
  /// texture. Exact 128-bit comparison.
  static func isSparse(pixels n: Int, s2: Int64, s4: Int64) -> Bool {
    let lhs = UInt64(n).multipliedFullWidth(by: UInt64(s4))
    let rhs = (sparseKurtosis * UInt64(s2)).multipliedFullWidth(by: UInt64(s2))
    return lhs.high > rhs.high || (lhs.high == rhs.high && lhs.low > rhs.low)
  }
}
