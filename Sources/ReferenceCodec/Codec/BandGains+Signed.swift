import WeightFormat

/// The signed band gains of bitstream 1.3 (spec/bitstream.md §7.6, the header's flags bit 2):
/// codes −1 … 4 for three bands, γ_0, γ_1 and γ_2 = 256 · P_2(P_1(v)) − P_4(P_2(P_1(v))), code
/// −1 removing the band; and the reference rule over the same three bands of the luma.
///
/// Bit-exact: integer-only and matches spec/bitstream.md §7.6 for every picture and code. Each
/// block row is computed from the picture before the gains (its rows and a halo of 14 rows,
/// read through the same clamped indices as the whole picture), so neither the order of the
/// block rows nor the thread count changes a sample.
///
/// Bounds (no Int64 overflow, so the wrapping operators never wrap): for a channel v in 0 …
/// 255, P_1(v) < 2^16, P_2(P_1(v)) < 2^24 and P_4(P_2(P_1(v))) < 2^32, so |γ_0| < 2^16,
/// |γ_1| < 2^24, |γ_2| < 2^32; |F| ≤ 196 608 < 2^18, so each of F · γ_0 · 2^16, F · γ_1 · 2^8
/// and F · γ_2 is below 2^50 and their sum with the rounding term below 2^52. For the luma Y =
/// R + G + B < 2^10 every value is 4 times larger, |β_2(Y)| < 2^34, and rshift(β_2, 16)² summed
/// over a block stays below 2^48.
extension BandGains {
  /// Bands of signed gains (bitstream 1.3).
  public static let signedBandCount = 3
  /// The rounding shift of the signed gains' three-band sum.
  static let signedShift = 40
  /// The rows a block row's three bands need on either side: 2 (P_1) + 4 (P_2) + 8 (P_4).
  static let signedHalo = 14

  /// The table SIGNED_GAIN (precision 16, offset −1, 6 values and the escape), row b for band
  /// b; the header's flags bit 2 selects it.
  public static let signedTable: EntropyTable = {
    let rows: [[UInt32]] = [
      [0, 22597, 36612, 47779, 55226, 59735, 65535, 65536],
      [0, 31436, 49793, 60544, 63529, 64596, 65530, 65536],
      [0, 26968, 58235, 63364, 64737, 65285, 65530, 65536],
    ]
    do {
      return try EntropyTable(
        CDFTable(precision: 16, rows: rows.map { (offset: -1, cdf: $0) }), name: "SIGNED_GAIN")
    } catch {
      preconditionFailure("the SIGNED_GAIN table of spec/bitstream.md §7.6 is valid: \(error)")
    }
  }()

  /// The bands a stream's gains substream codes: 3 with signed gains, else 2.
  public static func bandCount(signed: Bool) -> Int { signed ? signedBandCount : 2 }

  /// P_t of spec/bitstream.md §7.5 (the 5-tap binomial 1, 4, 6, 4, 1 at dilation t in both
  /// directions, edges repeated) on the rows `out` of a plane of which `plane` holds the rows
  /// `have` (each row `width` samples).
  ///
  /// - Precondition: `have` contains every clamped row that `out` reads (out ± 2t within 0 ..<
  ///   `height`).
  static func binomial(
    _ plane: [Int64], have: Range<Int>, out: Range<Int>, dilation t: Int, width w: Int,
    height h: Int
  ) -> [Int64] {
    precondition(
      have.contains(max(0, out.lowerBound - 2 * t))
        && have.contains(min(h - 1, out.upperBound - 1 + 2 * t)), "the rows P_t reads")
    var column = [Int64](repeating: 0, count: w)
    var result = [Int64](repeating: 0, count: out.count * w)
    let inner = min(2 * t, w)..<max(w - 2 * t, min(2 * t, w))
    plane.withUnsafeBufferPointer { p in
      column.withUnsafeMutableBufferPointer { v in
        result.withUnsafeMutableBufferPointer { r in
          for a in out {
            // Vertical taps first (rows clamped), then horizontal (columns clamped): the same
            // exact integer sum as the spec's double sum.
            for c in 0..<w { v[c] = 0 }
            for i in 0..<5 {
              let src = (min(max(a + (i - 2) * t, 0), h - 1) - have.lowerBound) * w
              let weight = taps[i]
              for c in 0..<w { v[c] &+= weight &* p[src + c] }
            }
            let o = (a - out.lowerBound) * w
            for edge in [0..<inner.lowerBound, inner.upperBound..<w] {
              for c in edge {
                var s: Int64 = 0
                for j in 0..<5 { s &+= taps[j] &* v[min(max(c + (j - 2) * t, 0), w - 1)] }
                r[o + c] = s
              }
            }
            for c in inner {
              r[o + c] =
                (v[c - 2 * t] &+ v[c + 2 * t]) &+ 4 &* (v[c - t] &+ v[c + t]) &+ 6 &* v[c]
            }
          }
        }
      }
    }
    return result
  }

  /// The binomial taps of §7.5.
  static let taps: [Int64] = [1, 4, 6, 4, 1]

  /// The rows of the plane a block row's three bands need.
  static func signedInputRows(of rows: Range<Int>, height: Int) -> Range<Int> {
    max(0, rows.lowerBound - signedHalo)..<min(height, rows.upperBound + signedHalo)
  }

  /// (γ_0, γ_1, γ_2) of §7.6 on the rows `rows` of a plane whose rows `input` (from
  /// ``signedInputRows(of:height:)``) are in `x`.
  static func signedBands(
    _ x: [Int64], input: Range<Int>, rows: Range<Int>, width w: Int, height h: Int
  ) -> (gamma0: [Int64], gamma1: [Int64], gamma2: [Int64]) {
    let rows2 = max(0, rows.lowerBound - 8)..<min(h, rows.upperBound + 8)
    let rows1 = max(0, rows2.lowerBound - 4)..<min(h, rows2.upperBound + 4)
    let p1 = binomial(x, have: input, out: rows1, dilation: 1, width: w, height: h)
    let p2 = binomial(p1, have: rows1, out: rows2, dilation: 2, width: w, height: h)
    let p4 = binomial(p2, have: rows2, out: rows, dilation: 4, width: w, height: h)
    let n = rows.count * w
    var gamma0 = [Int64](repeating: 0, count: n)
    var gamma1 = [Int64](repeating: 0, count: n)
    var gamma2 = [Int64](repeating: 0, count: n)
    for a in rows {
      let o = (a - rows.lowerBound) * w
      let xo = (a - input.lowerBound) * w
      let o1 = (a - rows1.lowerBound) * w
      let o2 = (a - rows2.lowerBound) * w
      for c in 0..<w {
        gamma0[o + c] = 256 &* x[xo + c] &- p1[o1 + c]
        gamma1[o + c] = 256 &* p1[o1 + c] &- p2[o2 + c]
        gamma2[o + c] = 256 &* p2[o2 + c] &- p4[o + c]
      }
    }
    return (gamma0, gamma1, gamma2)
  }

  /// Scales the three bands of every channel, block by block (spec/bitstream.md §7.6 with
  /// signed gains).
  ///
  /// - Parameters:
  ///   - image: x̂, the W × H picture of §7.2; replaced by x'.
  ///   - codes: 3 · n_y · n_x codes in −1 … 4, band 0's blocks in raster order, then band 1's,
  ///     then band 2's.
  ///   - threads: worker threads (block rows); the output does not depend on it.
  ///
  /// Bit-exact: matches spec/bitstream.md §7.6 for every picture and code.
  /// - Complexity: O(W · H), about 3 × 60 integer operations per pixel.
  public static func applySigned(_ image: inout RGBImage, codes: [Int8], threads: Int = 1) {
    let (w, h) = (image.width, image.height)
    let (ny, nx) = DetailFill.grid(width: w, height: h)
    precondition(codes.count == 3 * ny * nx, "3 · n_y · n_x codes")
    precondition(codes.allSatisfy { (-1..<Int8(codeCount)).contains($0) }, "codes in −1 … 4")
    guard codes.contains(where: { $0 != 0 }) else { return }
    let source = image.pixels
    image.pixels.withUnsafeMutableBufferPointer { buffer in
      let out = DisjointWrites(buffer: buffer)
      // Each block row reads the picture before the gains and writes its own pixel rows only.
      DisjointWork.forEach(ny, threads: threads) { i in
        let rows = DetailFill.blockRows(i, height: h)
        let input = signedInputRows(of: rows, height: h)
        let f = (0..<3).map { b in (0..<nx).map { j in factor(codes[b * ny * nx + i * nx + j]) } }
        let round: Int64 = 1 << (signedShift - 1)
        var x = [Int64](repeating: 0, count: input.count * w)
        for ch in 0..<3 {
          DetailFill.channel(source, ch, width: w, rows: input, into: &x)
          let (gamma0, gamma1, gamma2) = signedBands(
            x, input: input, rows: rows, width: w, height: h)
          for j in 0..<nx {
            let (g0, g1, g2) = (f[0][j] &* 65536, f[1][j] &* 256, f[2][j])
            if g0 == 0 && g1 == 0 && g2 == 0 { continue }
            for a in rows {
              let o = (a - rows.lowerBound) * w
              let xo = (a - input.lowerBound) * w
              for c in (j * DetailFill.blockSize)..<min(w, (j + 1) * DetailFill.blockSize) {
                let sum = g0 &* gamma0[o + c] &+ g1 &* gamma1[o + c] &+ g2 &* gamma2[o + c]
                let v = x[xo + c] &+ ((sum &+ round) &>> Int64(signedShift))
                out.buffer[3 * (a * w + c) + ch] = UInt8(min(max(v, 0), 255))
              }
            }
          }
        }
      }
    }
  }

  /// The reference encoder's signed gain codes (spec/bitstream.md §7.6, informative): per block
  /// and band 0, 1, 2, ``code(original:decoded:signed:)`` of the luma band energies (β_0(Y),
  /// rshift(β_1(Y), 8), rshift(β_2(Y), 16); Y = R + G + B) of the source and the decoded picture.
  ///
  /// - Returns: 3 · n_y · n_x codes in −1 … 4, in the substream's order; they do not depend on
  ///   `threads`.
  public static func signedCodes(original: RGBImage, decoded: RGBImage, threads: Int = 1)
    -> [Int8]
  {
    precondition(
      original.width == decoded.width && original.height == decoded.height, "same size")
    let (w, h) = (original.width, original.height)
    let (ny, nx) = DetailFill.grid(width: w, height: h)
    let perBlockRow: [[Int8]] = parallelMap(ny, work: threads > 1 ? w * h * 300 : 0) { i in
      let rows = DetailFill.blockRows(i, height: h)
      let input = signedInputRows(of: rows, height: h)
      func energies(_ image: RGBImage) -> [Int64] {
        let y = DetailFill.luma(image, rows: input)
        let beta = signedBands(y, input: input, rows: rows, width: w, height: h)
        var sums = [Int64](repeating: 0, count: 3 * nx)
        for a in rows {
          let o = (a - rows.lowerBound) * w
          for c in 0..<w {
            let b0 = beta.gamma0[o + c]
            let b1 = IntegerMath.rshift(beta.gamma1[o + c], 8)
            let b2 = IntegerMath.rshift(beta.gamma2[o + c], 16)
            let k = c / DetailFill.blockSize
            sums[k] += b0 * b0
            sums[nx + k] += b1 * b1
            sums[2 * nx + k] += b2 * b2
          }
        }
        return sums
      }
      let eo = energies(original)
      let ed = energies(decoded)
      return (0..<(3 * nx)).map { code(original: eo[$0], decoded: ed[$0], signed: true) }
    }
    return DetailFill.substreamOrder(perBlockRow, bands: 3, columns: nx)
  }
}
