import WeightFormat

/// The band gains of profile 3 (spec/bitstream.md §7.6): per 32 × 32 block and per band, a
/// coded gain by which the decoder amplifies the two finest bands of the decoded picture itself,
/// before the detail fill (``DetailFill``) adds noise, or, with signed gains (bitstream 1.3, the
/// header's flags bit 2), removes them; and the reference encoder's rule that chooses the codes.
///
/// Bit-exact: integer-only and matches spec/bitstream.md §7.6 for every picture and code. Each
/// block row of output is computed from the picture before the gains (its own rows and the
/// filters' halo, read through the same clamped indices as the whole picture), so the output
/// depends neither on the order of the block rows nor on the thread count.
///
/// Bounds (no Int64 overflow, so the wrapping operators never wrap): a channel x is 0 … 255, so
/// |γ_0| = |256 · x − P_1(x)| < 2^16 and |γ_1| = |256 · P_1(x) − P_2(P_1(x))| < 2^24; G[k] <
/// 2^18, so G · γ_0 · 2^8 and G · γ_1 are below 2^42 and their sum with the rounding term below
/// 2^44 (F[−1] = −2^16 keeps them below 2^40).
public enum BandGains {
  /// Codes 0 … 4 per block and band (−1 … 4 with signed gains); 0 leaves the band unchanged.
  public static let codeCount = 5
  /// G[k] = round(2^16 · (2^(k/2) − 1)) for codes k = 0 … 4: code k multiplies the band by
  /// 2^(k/2).
  public static let gains: [Int64] = [0, 27146, 65536, 119_828, 196_608]
  /// F[−1] = −2^16: code −1 of signed gains removes the band.
  public static let removal: Int64 = -65536
  /// The smallest code: −1 with signed gains, 0 without.
  public static func lowestCode(signed: Bool) -> Int8 { signed ? -1 : 0 }

  /// F[k] of spec/bitstream.md §7.6 for a code k in −1 … 4.
  @inline(__always)
  static func factor(_ code: Int8) -> Int64 { code < 0 ? removal : gains[Int(code)] }

  /// The table GAIN (precision 16, offset 0, 5 values and the escape), row b for band b.
  public static let table: EntropyTable = {
    let rows: [[UInt32]] = [
      [0, 36611, 47778, 55225, 59734, 65534, 65536],
      [0, 49794, 60545, 63530, 64597, 65531, 65536],
    ]
    do {
      return try EntropyTable(
        CDFTable(precision: 16, rows: rows.map { (offset: 0, cdf: $0) }), name: "GAIN")
    } catch {
      preconditionFailure("the GAIN table of spec/bitstream.md §7.6 is valid: \(error)")
    }
  }()

  /// How errors name the substream.
  static let substreamName = "gains (substream 3)"

  // MARK: Decoder

  /// Amplifies the two finest bands of every channel of a decoded picture, block by block
  /// (spec/bitstream.md §7.6).
  ///
  /// - Parameters:
  ///   - image: x̂, the W × H picture of §7.2; replaced by x'.
  ///   - codes: 2 · n_y · n_x codes in 0 … 4 (−1 … 4 allowed), band 0's blocks in raster
  ///     order, then band 1's; with `signed`, 3 · n_y · n_x codes in −1 … 4
  ///     (``applySigned(_:codes:threads:)``).
  ///   - signed: the stream has signed gains (three bands).
  ///   - threads: worker threads (block rows); the output does not depend on it.
  ///
  /// Bit-exact: matches spec/bitstream.md §7.6 for every picture and code.
  /// - Complexity: O(W · H), as ``applySigned(_:codes:threads:)``.
  public static func apply(
    _ image: inout RGBImage, codes: [Int8], signed: Bool = false, threads: Int = 1
  ) {
    if signed { return applySigned(&image, codes: codes, threads: threads) }
    // Two bands are the three-band formula with g_2 = 0 (rshift(2^8 · X, 40) = rshift(X, 32),
    // spec/bitstream.md §7.6): one kernel for both versions.
    let (ny, nx) = DetailFill.grid(width: image.width, height: image.height)
    precondition(codes.count == 2 * ny * nx, "2 · n_y · n_x codes")
    applySigned(
      &image, codes: codes + [Int8](repeating: 0, count: ny * nx), threads: threads)
  }

  /// Decodes the gains substream of a `width` × `height` picture: 3 · n_y · n_x codes with the
  /// table SIGNED_GAIN when `signed` (the header's flags bit 2), else 2 · n_y · n_x with GAIN.
  ///
  /// - Throws: ``BitstreamError/damagedSubstream(substream:offset:reason:)`` naming the gains
  ///   substream and the byte offset within it, for a value outside 0 … 4 (−1 … 4 when
  ///   `signed`) or a stream that breaks spec/entropy-coding.md §6.
  public static func decodeCodes(_ bytes: [UInt8], width: Int, height: Int, signed: Bool = false)
    throws(BitstreamError) -> [Int8]
  {
    let (ny, nx) = DetailFill.grid(width: width, height: height)
    return try DetailFill.decodeBlockValues(
      bytes, count: bandCount(signed: signed) * ny * nx, perRow: ny * nx,
      table: signed ? signedTable : table,
      range: Int64(lowestCode(signed: signed))...Int64(codeCount - 1), substream: substreamName,
      what: "band"
    ).map { Int8($0) }
  }

  // MARK: Encoder

  /// Codes the gain codes (one row per band of SIGNED_GAIN when `signed`, else of GAIN) as an
  /// entropy-coded substream.
  public static func encodeCodes(_ codes: [Int8], signed: Bool = false) throws(EntropyError)
    -> [UInt8]
  {
    precondition(signed || codes.allSatisfy { $0 >= 0 }, "code −1 needs signed gains")
    return try DetailFill.encodeBlockValues(
      codes.map { Int64($0) }, rows: bandCount(signed: signed),
      table: signed ? signedTable : table)
  }

  /// The reference encoder's gain codes (spec/bitstream.md §7.6, informative): per block and
  /// band, the half-octave code of the ratio of the source's band amplitude to the decoded
  /// picture's, 0 … 4 for bands 0 and 1; with `signed`, ``signedCodes(original:decoded:threads:)``
  /// (three bands, −1 removing the band where the decoded band's energy is √2 times the
  /// source's or more).
  ///
  /// The energies are §7.5's (``DetailFill/codes(original:decoded:threads:)``); the comparisons
  /// are exact integer arithmetic (128-bit products), so the codes are reproducible.
  /// - Parameters:
  ///   - original: the source picture, W × H.
  ///   - decoded: the decoded picture x̂ before the gains, the same size.
  ///   - signed: whether the stream has signed gains (codes −1 … 4).
  ///   - threads: worker threads (block rows); the codes do not depend on it.
  /// - Returns: 2 · n_y · n_x codes (3 · n_y · n_x with `signed`), in the substream's order.
  public static func codes(
    original: RGBImage, decoded: RGBImage, signed: Bool = false, threads: Int = 1
  ) -> [Int8] {
    if signed { return signedCodes(original: original, decoded: decoded, threads: threads) }
    return DetailFill.blockCodes(original: original, decoded: decoded, threads: threads) {
      eo, ed, _, _ in UInt8(code(original: eo, decoded: ed))
    }.map { Int8($0) }
  }

  /// The gain code of a block whose band energies are `eo` (source) and `ed` (decoded): 0 when
  /// E_d = 0, else the number of j = 1 … 4 with 2 · E_o² ≥ 4^j · E_d²; with `signed`, a 0 so
  /// found becomes −1 when 2 · E_d² ≥ 4 · E_o² (E_d ≥ √2 · E_o): round(log₂(E_o / E_d))
  /// clamped to −1 … 4.
  ///
  /// E_o, E_d < 2^51 (``DetailFill``'s energies), so 2 · E_o² < 2^103 and 4^4 · E_d² < 2^110
  /// fit 128 bits.
  public static func code(original eo: Int64, decoded ed: Int64, signed: Bool = false) -> Int8 {
    precondition(eo >= 0 && ed >= 0 && eo < 1 << 51 && ed < 1 << 51)
    guard ed > 0 else { return 0 }
    let o = twiceSquare(eo)
    var k: Int8 = 0
    for j in 1..<codeCount where atLeast(o, square(ed, times4Power: j)) { k += 1 }
    if k == 0, signed, atLeast(twiceSquare(ed), square(eo, times4Power: 1)) { return -1 }
    return k
  }

  /// 2 · e² as a 128-bit (high, low) pair.
  private static func twiceSquare(_ e: Int64) -> (high: UInt64, low: UInt64) {
    let (high, low) = UInt64(e).multipliedFullWidth(by: UInt64(e))
    return (high << 1 | low >> 63, low << 1)
  }

  /// 4^j · e² as a 128-bit (high, low) pair, j in 1 … 4.
  private static func square(_ e: Int64, times4Power j: Int) -> (high: UInt64, low: UInt64) {
    let (high, low) = UInt64(e).multipliedFullWidth(by: UInt64(e))
    let s = UInt64(2 * j)
    return (high << s | low >> (64 - s), low << s)
  }

  /// a ≥ b for 128-bit (high, low) pairs.
  private static func atLeast(
    _ a: (high: UInt64, low: UInt64), _ b: (high: UInt64, low: UInt64)
  ) -> Bool {
    a.high > b.high || (a.high == b.high && a.low >= b.low)
  }
}
