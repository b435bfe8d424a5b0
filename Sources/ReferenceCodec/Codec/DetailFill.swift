import WeightFormat

/// The detail fill of profile 3 (spec/bitstream.md §7.5): per 32 × 32 block and per band, luma
/// noise of a coded amplitude added to the decoded picture, and the reference encoder's rule
/// that chooses the codes.
///
/// Bit-exact: the fill is integer-only and matches spec/bitstream.md §7.5 for every picture,
/// code and seed. The white noise is §7.3's counter-based function of the position, and the
/// picture is processed in bands of 32 rows, each computed from its own rows of noise (with
/// the filters' edge rows read through the same clamped indices as the whole picture), so the
/// output depends neither on the band order nor on the thread count.
///
/// Bounds (no Int64 overflow, so the wrapping operators in the loops never wrap): the noise u is
/// in −2^15 … 2^15 − 1; P_1(u) is below 2^23 and P_2(P_1(u)) below 2^31 in magnitude (the taps
/// sum to 256 per pass), so |β_0| < 2^24 and |β_1| < 2^32; A[k] · M_0 < 2^32 and A[k] · M_1 <
/// 2^26, so each product is below 2^58 and the sum plus the rounding term below 2^60.
public enum DetailFill {
  /// The block side B.
  public static let blockSize = 32
  /// Codes 0 … 15 per block and band; 0 adds no noise.
  public static let codeCount = 16
  /// The `step` argument of the noise function (§7.3) for the fill's white noise.
  static let noiseStep = 8
  /// The rounding shift of the fill.
  static let shift = 48
  /// A[k]: the noise amplitude of code k in units of 2^−8 of a sample.
  public static let amplitudes: [Int64] = [
    0, 91, 128, 181, 256, 362, 512, 724, 1024, 1448, 2048, 2896, 4096, 5793, 8192, 11585,
  ]
  /// M_0 and M_1: the band multipliers.
  public static let multipliers: (Int64, Int64) = (254_854, 4419)
  /// The filter taps w.
  static let taps: [Int64] = [1, 4, 6, 4, 1]
  /// Rows of the picture the bands of one output row read, on either side: 2 for P_1 of the
  /// input and 4 more for P_2 of P_1.
  static let halo = 6

  /// The table DETAIL (precision 16, offset 0, 16 values and the escape), row b for band b.
  public static let table: EntropyTable = {
    let rows: [[UInt32]] = [
      [
        0, 33530, 35058, 38462, 41399, 44231, 46979, 49527, 51822, 54462, 57402, 60011, 62979,
        65021, 65515, 65519, 65520, 65536,
      ],
      [
        0, 41572, 42060, 43089, 44643, 46898, 49827, 53888, 58304, 61602, 63801, 65052, 65489,
        65520, 65521, 65522, 65523, 65536,
      ],
    ]
    do {
      return try EntropyTable(
        CDFTable(precision: 16, rows: rows.map { (offset: 0, cdf: $0) }), name: "DETAIL")
    } catch {
      preconditionFailure("the DETAIL table of spec/bitstream.md §7.5 is valid: \(error)")
    }
  }()

  /// The block grid (n_y, n_x) of a `width` × `height` picture.
  public static func grid(width: Int, height: Int) -> (rows: Int, columns: Int) {
    ((height + blockSize - 1) / blockSize, (width + blockSize - 1) / blockSize)
  }

  // MARK: Bands

  /// β_0 and β_1 (spec/bitstream.md §7.5) of the output rows `rows` of a `height` × `width`
  /// plane, from the plane's rows `first ..< first + x.count / width`, which must cover
  /// max(0, rows.lowerBound − 6) ..< min(height, rows.upperBound + 6).
  ///
  /// Bit-exact: the band rows equal those of the whole plane (edges replicated at the plane's
  /// borders, not the band's).
  /// - Returns: (rows.count × width) values each, row-major.
  static func bands(
    _ x: [Int64], first: Int, width: Int, height: Int, rows: Range<Int>
  ) -> (beta0: [Int64], beta1: [Int64]) {
    let w = width
    func clampRow(_ a: Int) -> Int { min(max(a, 0), height - 1) }
    func clampColumn(_ c: Int) -> Int { min(max(c, 0), w - 1) }
    /// Σ_j w_j · plane[row][e_W(c + (j − 2)·t)] for every column c of one row.
    /// Columns closer than 2t to an edge read clamped indices; the others (the same sum, so the
    /// same integers) read their five taps directly.
    func horizontal(_ plane: [Int64], row: Int, dilation t: Int, into out: inout [Int64], at o: Int)
    {
      let base = row * w
      let inner = min(2 * t, w)..<max(w - 2 * t, min(2 * t, w))
      for c in Array(0..<inner.lowerBound) + Array(inner.upperBound..<w) {
        var s: Int64 = 0
        for j in 0..<5 {
          s &+= taps[j] &* plane[base + clampColumn(c + (j - 2) * t)]
        }
        out[o + c] = s
      }
      plane.withUnsafeBufferPointer { x in
        out.withUnsafeMutableBufferPointer { y in
          for c in inner {
            let i = base + c
            y[o + c] =
              (x[i - 2 * t] &+ x[i + 2 * t]) &+ 4 &* (x[i - t] &+ x[i + t]) &+ 6 &* x[i]
          }
        }
      }
    }
    // P_1 of x on the rows p0 ..< p1 the dilated pass reads.
    let p0 = max(0, rows.lowerBound - 4)
    let p1 = min(height, rows.upperBound + 4)
    let x0 = max(0, p0 - 2)
    let x1 = min(height, p1 + 2)
    precondition(x0 >= first && x1 - first <= x.count / w, "the band's input rows")
    var h1 = [Int64](repeating: 0, count: (x1 - x0) * w)
    for a in x0..<x1 { horizontal(x, row: a - first, dilation: 1, into: &h1, at: (a - x0) * w) }
    var p = [Int64](repeating: 0, count: (p1 - p0) * w)
    // The vertical passes run on buffer pointers: every index below is within its array by
    // the row ranges above (clampRow keeps the source rows inside x0 ..< x1 and p0 ..< p1).
    h1.withUnsafeBufferPointer { h in
      p.withUnsafeMutableBufferPointer { out in
        for a in p0..<p1 {
          let o = (a - p0) * w
          for i in 0..<5 {
            let src = (clampRow(a + i - 2) - x0) * w
            let weight = taps[i]
            for c in 0..<w { out[o + c] &+= weight &* h[src + c] }
          }
        }
      }
    }
    // P_2 of P_1 on the output rows.
    var h2 = [Int64](repeating: 0, count: (p1 - p0) * w)
    for a in p0..<p1 { horizontal(p, row: a - p0, dilation: 2, into: &h2, at: (a - p0) * w) }
    let n = rows.count * w
    var beta0 = [Int64](repeating: 0, count: n)
    var beta1 = [Int64](repeating: 0, count: n)
    x.withUnsafeBufferPointer { x in
      p.withUnsafeBufferPointer { p in
        h2.withUnsafeBufferPointer { h2 in
          beta0.withUnsafeMutableBufferPointer { beta0 in
            beta1.withUnsafeMutableBufferPointer { beta1 in
              for a in rows {
                let o = (a - rows.lowerBound) * w
                let pRow = (a - p0) * w
                let xRow = (a - first) * w
                for i in 0..<5 {
                  let src = (clampRow(a + (i - 2) * 2) - p0) * w
                  let weight = taps[i]
                  for c in 0..<w { beta1[o + c] &+= weight &* h2[src + c] }
                }
                for c in 0..<w {
                  beta0[o + c] = 256 &* x[xRow + c] &- p[pRow + c]
                  beta1[o + c] = 256 &* p[pRow + c] &- beta1[o + c]
                }
              }
            }
          }
        }
      }
    }
    return (beta0, beta1)
  }

  /// The rows of the plane a band of output rows needs (spec/bitstream.md §7.5's filters).
  static func inputRows(of rows: Range<Int>, height: Int) -> Range<Int> {
    max(0, rows.lowerBound - halo)..<min(height, rows.upperBound + halo)
  }

  /// The rows of block row `i`.
  static func blockRows(_ i: Int, height: Int) -> Range<Int> {
    (i * blockSize)..<min(height, (i + 1) * blockSize)
  }

  // MARK: Decoder

  /// Adds the detail noise to a decoded picture (spec/bitstream.md §7.5).
  ///
  /// - Parameters:
  ///   - image: x̂, the W × H picture of §7.2; replaced by the filled picture.
  ///   - codes: 2 · n_y · n_x codes in 0 … 15, band 0's blocks in raster order, then band 1's.
  ///   - seed: the header's seed, 0 when the stream has none.
  ///   - threads: worker threads (block rows); the output does not depend on it.
  ///
  /// Bit-exact: matches spec/bitstream.md §7.5 for every picture, code and seed.
  /// - Complexity: O(W · H), about 40 integer operations per pixel.
  public static func fill(_ image: inout RGBImage, codes: [UInt8], seed: UInt64, threads: Int = 1) {
    let (w, h) = (image.width, image.height)
    let (ny, nx) = grid(width: w, height: h)
    precondition(codes.count == 2 * ny * nx, "2 · n_y · n_x codes")
    precondition(codes.allSatisfy { Int($0) < codeCount }, "codes in 0 … 15")
    precondition(h <= 65536 && w <= 65536, "noise positions below 2^16")
    image.pixels.withUnsafeMutableBufferPointer { buffer in
      let out = DisjointWrites(buffer: buffer)
      // Each block row writes its own pixel rows only.
      DisjointWork.forEach(ny, threads: threads) { i in
        let rows = blockRows(i, height: h)
        let input = inputRows(of: rows, height: h)
        var u = [Int64](repeating: 0, count: input.count * w)
        for a in input {
          for c in 0..<w {
            u[(a - input.lowerBound) * w + c] = Int64(
              SamplerNoise.value(seed: seed, step: noiseStep, channel: 0, row: a, column: c))
          }
        }
        let (beta0, beta1) = bands(u, first: input.lowerBound, width: w, height: h, rows: rows)
        let round: Int64 = 1 << (shift - 1)
        for j in 0..<nx {
          let c0 = amplitudes[Int(codes[i * nx + j])] * multipliers.0
          let c1 = amplitudes[Int(codes[ny * nx + i * nx + j])] * multipliers.1
          if c0 == 0 && c1 == 0 { continue }
          let columns = (j * blockSize)..<min(w, (j + 1) * blockSize)
          for a in rows {
            let o = (a - rows.lowerBound) * w
            for c in columns {
              let n = (c0 &* beta0[o + c] &+ c1 &* beta1[o + c] &+ round) &>> Int64(shift)
              let p = 3 * (a * w + c)
              for ch in 0..<3 {
                let v = Int64(out.buffer[p + ch]) + n
                out.buffer[p + ch] = UInt8(min(max(v, 0), 255))
              }
            }
          }
        }
      }
    }
  }

  /// Decodes the detail substream of a `width` × `height` picture: 2 · n_y · n_x codes.
  ///
  /// - Throws: ``BitstreamError/damagedSubstream(substream:offset:reason:)`` naming the detail
  ///   substream and the byte offset within it, for a value outside 0 … 15 or a stream that
  ///   breaks spec/entropy-coding.md §6.
  public static func decodeCodes(_ bytes: [UInt8], width: Int, height: Int)
    throws(BitstreamError) -> [UInt8]
  {
    try decodeBlockCodes(
      bytes, width: width, height: height, table: table, codeCount: codeCount,
      substream: substreamName)
  }

  /// How errors name the substream.
  static let substreamName = "detail (substream 2)"

  // MARK: Encoder

  /// Codes the detail codes (one DETAIL row per band) as an entropy-coded substream.
  public static func encodeCodes(_ codes: [UInt8]) throws(EntropyError) -> [UInt8] {
    try encodeBlockValues(codes.map { Int64($0) }, rows: 2, table: table)
  }

  /// The reference encoder's codes (spec/bitstream.md §7.5, informative): per block and band,
  /// the half-octave code of the amplitude `original` has and `decoded` lacks, 0 where the
  /// source's band is sparse in the block (``isSparse(pixels:s2:s4:)``: edges and lines,
  /// which noise cannot reproduce).
  ///
  /// Integer energies: Y = R + G + B (0 … 765), its bands β_0 and rshift(β_1, 8) (|value| <
  /// 2^20), and the block sums of their squares (below 2^51 for 1024 pixels) in Int64.
  ///
  /// The threshold comparisons are exact integer arithmetic (128-bit products where needed), so
  /// every machine makes the same decision and the codes are reproducible.
  /// - Parameters:
  ///   - original: the source picture, W × H.
  ///   - decoded: the decoded picture x̂ before the fill, the same size.
  ///   - threads: worker threads (block rows); the codes do not depend on it.
  /// - Returns: 2 · n_y · n_x codes, in the substream's order.
  public static func codes(original: RGBImage, decoded: RGBImage, threads: Int = 1) -> [UInt8] {
    // The edge gate (revision 1.8): no noise where the source's band is edges, not texture.
    blockCodes(original: original, decoded: decoded, threads: threads) { eo, ed, n, sparse in
      sparse ? 0 : code(missing: max(eo - ed, 0), pixels: n)
    }
  }

  /// The code of a block whose bands miss `d` (in units of 2^−16 of a squared sample of Y) over
  /// `n` pixels: 0 below amplitude 0.35, else 1 + the number of j = 1 … 14 with
  /// D / C ≥ 2^(j − 3.5) (spec/bitstream.md §7.5), C = 9 · 65536 · N.
  ///
  /// In integers: the block is off when 400 · D < 49 · C (0.35² = 49 / 400), and threshold j is
  /// reached when 128 · D² ≥ C² · 4^j. D < 2^51 and C < 2^30, so 400 · D and 49 · C fit 64 bits,
  /// C² fits 64 bits, and both sides of the second comparison fit 128 (below 2^110).
  static func code(missing d: Int64, pixels n: Int) -> UInt8 {
    precondition(d >= 0 && d < 1 << 51 && n > 0 && n <= blockSize * blockSize)
    let c = 9 * 65536 * Int64(n)
    guard 400 * d >= 49 * c else { return 0 }
    let (dHigh, dLow) = UInt64(d).multipliedFullWidth(by: UInt64(d))
    let lhs = (high: dHigh << 7 | dLow >> 57, low: dLow << 7)  // 128 · D²
    let c2 = UInt64(c * c)
    var k: UInt8 = 1
    for j in 1..<(codeCount - 1) {
      let s = UInt64(2 * j)
      let rhs = (high: c2 >> (64 - s), low: c2 << s)  // C² · 4^j
      if lhs.high > rhs.high || (lhs.high == rhs.high && lhs.low >= rhs.low) { k += 1 }
    }
    return k
  }
}
