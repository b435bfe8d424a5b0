import WeightFormat

/// The low-pass residual of profile 3 (spec/bitstream.md §7.7): per 32 × 32 block and colour
/// channel, a coded mean correction, interpolated bilinearly with exact integer weights and added
/// to g_s's output before the band gains (``BandGains``); and the reference encoder's rule.
///
/// Bit-exact: integer-only and matches spec/bitstream.md §7.7 for every picture and code. Every
/// pixel's correction depends on its position and the codes only, so the output depends neither
/// on the order of the rows nor on the thread count.
///
/// Bounds: the weights of a pixel are v_p · h_q with v, h in 0 … 64 and sum 2^12, and |k| ≤ 31,
/// so the weighted sum is below 2^17 in magnitude and |δ| ≤ 62.
public enum LowpassResidual {
  /// Codes −31 … 31 per block and channel: a correction of 2k samples.
  public static let codeRange: ClosedRange<Int64> = -31...31
  /// The rounding shift: the weights sum to (2B)² = 2^12, and a code counts 2 samples.
  static let shift = 11

  /// The table RESIDUAL (precision 16, offset −31, 63 values and the escape), row m for
  /// channel m.
  public static let table: EntropyTable = {
    let rows: [[UInt32]] = [
      [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 35, 57, 107, 182, 312,
        524, 880, 1401, 2219, 3660, 6590, 12584, 24156, 46574, 56014, 59756, 61975, 63368, 64269,
        64767, 65016, 65191, 65299, 65372, 65424, 65449, 65457, 65458, 65459, 65460, 65461,
        65462, 65463, 65464, 65465, 65466, 65467, 65468, 65469, 65470, 65471, 65472, 65473,
        65474, 65475, 65536,
      ],
      [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 48, 99, 186, 310,
        507, 845, 1390, 2355, 4001, 6827, 12157, 25616, 49097, 59067, 62414, 63893, 64672, 65052,
        65260, 65375, 65432, 65454, 65455, 65456, 65457, 65458, 65459, 65460, 65461, 65462,
        65463, 65464, 65465, 65466, 65467, 65468, 65469, 65470, 65471, 65472, 65473, 65474,
        65475, 65476, 65536,
      ],
      [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 28, 52, 77, 112, 157, 215, 292, 390, 477, 602, 739,
        957, 1256, 1660, 2210, 3020, 4310, 6513, 10470, 18171, 31566, 47139, 55992, 60054, 62290,
        63620, 64405, 64821, 65089, 65241, 65322, 65392, 65422, 65444, 65456, 65457, 65458,
        65459, 65460, 65461, 65462, 65463, 65464, 65465, 65466, 65467, 65468, 65469, 65470,
        65471, 65472, 65473, 65474, 65536,
      ],
    ]
    do {
      return try EntropyTable(
        CDFTable(precision: 16, rows: rows.map { (offset: -31, cdf: $0) }), name: "RESIDUAL")
    } catch {
      preconditionFailure("the RESIDUAL table of spec/bitstream.md §7.7 is valid: \(error)")
    }
  }()

  /// How errors name the substream.
  static let substreamName = "residual (substream 4)"

  /// The two block indices and weights of position `a` along a side of `n` blocks
  /// (spec/bitstream.md §7.7): u = 2a + 1 − B, i = ⌊u / 2B⌋, f = u − 2B · i; the indices i and
  /// i + 1 clamped to 0 … n − 1, the weights 2B − f and f.
  static func taps(_ a: Int, blocks n: Int) -> (Int, Int, Int64, Int64) {
    let b2 = 2 * DetailFill.blockSize
    let u = 2 * a + 1 - DetailFill.blockSize
    let i = u >= 0 ? u / b2 : -((-u + b2 - 1) / b2)
    let f = u - b2 * i
    return (min(max(i, 0), n - 1), min(max(i + 1, 0), n - 1), Int64(b2 - f), Int64(f))
  }

  // MARK: Decoder

  /// Adds the interpolated block corrections to a decoded picture (spec/bitstream.md §7.7).
  ///
  /// - Parameters:
  ///   - image: x̂, the W × H picture of §7.2; replaced by the corrected picture.
  ///   - codes: 3 · n_y · n_x codes in −31 … 31: red's blocks in raster order, then green's,
  ///     then blue's.
  ///   - threads: worker threads (block rows); the output does not depend on it.
  ///
  /// Bit-exact: matches spec/bitstream.md §7.7 for every picture and code.
  /// - Complexity: O(W · H), about 3 × 10 integer operations per pixel.
  public static func apply(_ image: inout RGBImage, codes: [Int8], threads: Int = 1) {
    let (w, h) = (image.width, image.height)
    let (ny, nx) = DetailFill.grid(width: w, height: h)
    precondition(codes.count == 3 * ny * nx, "3 · n_y · n_x codes")
    precondition(codes.allSatisfy { codeRange.contains(Int64($0)) }, "codes in −31 … 31")
    guard codes.contains(where: { $0 != 0 }) else { return }
    let columns = (0..<w).map { taps($0, blocks: nx) }
    let round: Int64 = 1 << (shift - 1)
    image.pixels.withUnsafeMutableBufferPointer { buffer in
      let out = DisjointWrites(buffer: buffer)
      // Each block row writes its own pixel rows only.
      DisjointWork.forEach(ny, threads: threads) { i in
        for a in DetailFill.blockRows(i, height: h) {
          let (r0, r1, v0, v1) = taps(a, blocks: ny)
          for m in 0..<3 {
            let k0 = m * ny * nx + r0 * nx
            let k1 = m * ny * nx + r1 * nx
            for c in 0..<w {
              let (s0, s1, h0, h1) = columns[c]
              let top = h0 &* Int64(codes[k0 + s0]) &+ h1 &* Int64(codes[k0 + s1])
              let bottom = h0 &* Int64(codes[k1 + s0]) &+ h1 &* Int64(codes[k1 + s1])
              let delta = (v0 &* top &+ v1 &* bottom &+ round) &>> Int64(shift)
              let p = 3 * (a * w + c) + m
              out.buffer[p] = UInt8(min(max(Int64(out.buffer[p]) + delta, 0), 255))
            }
          }
        }
      }
    }
  }

  /// Decodes the residual substream of a `width` × `height` picture: 3 · n_y · n_x codes.
  ///
  /// - Throws: ``BitstreamError/damagedSubstream(substream:offset:reason:)`` naming the
  ///   residual substream and the byte offset within it, for a value outside −31 … 31 or a
  ///   stream that breaks spec/entropy-coding.md §6.
  public static func decodeCodes(_ bytes: [UInt8], width: Int, height: Int)
    throws(BitstreamError) -> [Int8]
  {
    let (ny, nx) = DetailFill.grid(width: width, height: height)
    let values = try DetailFill.decodeBlockValues(
      bytes, count: 3 * ny * nx, perRow: ny * nx, table: table, range: codeRange,
      substream: substreamName, what: "channel")
    return values.map { Int8($0) }
  }

  // MARK: Encoder

  /// Codes the residual codes (one RESIDUAL row per channel) as an entropy-coded substream.
  public static func encodeCodes(_ codes: [Int8]) throws(EntropyError) -> [UInt8] {
    try DetailFill.encodeBlockValues(codes.map { Int64($0) }, rows: 3, table: table)
  }

  /// The reference encoder's codes (spec/bitstream.md §7.7, informative): per block and
  /// channel, rdiv(E, 2N) of the sum E of source − decoded over the block's N pixels, clamped
  /// to −31 … 31.
  /// - Parameters:
  ///   - original: the source picture, W × H.
  ///   - decoded: x̂, g_s's output, the same size.
  /// - Returns: 3 · n_y · n_x codes, in the substream's order.
  public static func codes(original: RGBImage, decoded: RGBImage) -> [Int8] {
    precondition(
      original.width == decoded.width && original.height == decoded.height, "same size")
    let (w, h) = (original.width, original.height)
    let (ny, nx) = DetailFill.grid(width: w, height: h)
    var sums = [Int64](repeating: 0, count: 3 * ny * nx)
    for a in 0..<h {
      for c in 0..<w {
        let block = (a / DetailFill.blockSize) * nx + c / DetailFill.blockSize
        for m in 0..<3 {
          let p = 3 * (a * w + c) + m
          sums[m * ny * nx + block] += Int64(original.pixels[p]) - Int64(decoded.pixels[p])
        }
      }
    }
    var codes = [Int8](repeating: 0, count: 3 * ny * nx)
    for m in 0..<3 {
      for i in 0..<ny {
        for j in 0..<nx {
          let n = Int64(
            (DetailFill.blockRows(i, height: h).count)
              * (min(w, (j + 1) * DetailFill.blockSize) - j * DetailFill.blockSize))
          let k = IntegerMath.rdiv(sums[m * ny * nx + i * nx + j], 2 * n)
          codes[m * ny * nx + i * nx + j] = Int8(
            min(max(k, codeRange.lowerBound), codeRange.upperBound))
        }
      }
    }
    return codes
  }
}
