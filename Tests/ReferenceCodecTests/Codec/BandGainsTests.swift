import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// The band gains of spec/bitstream.md §7.6: the decoder's stage against a plain whole-picture
/// implementation of the spec's formulas and the NumPy spec decoder's output, the reference
/// encoder's rule, the header rules of bitstream versions 1.2 and 1.3 (signed gains), the
/// damaged-substream error and the round trip through the codec.
@Suite("Band gains (spec/bitstream.md §7.6)")
struct BandGainsTests {
  /// Codes (i · 3 + j · 2 + b) mod 5 of the 2 × 3 blocks of a 70 × 45 picture.
  static let codes: [Int8] = [0, 2, 4, 3, 0, 2, 1, 3, 0, 4, 1, 3]
  /// Signed codes of the three bands (bitstream 1.3): code −1 removes the band.
  static let signedCodes: [Int8] = [
    -1, 2, 4, -1, 0, 2, 1, -1, -1, 4, 0, 3, -1, 0, 3, 2, -1, 1,
  ]

  /// F[k] of §7.6 for k in −1 … 4.
  static func factor(_ k: Int8) -> Int64 { k < 0 ? -65536 : BandGains.gains[Int(k)] }

  /// §7.6 written out over the whole picture, one channel at a time, with §7.5's P_t: two bands
  /// and a shift of 32, or with `signed` three bands and a shift of 40.
  static func plainGains(_ image: RGBImage, codes: [Int8], signed: Bool = false) -> RGBImage {
    let (w, h) = (image.width, image.height)
    let (ny, nx) = DetailFill.grid(width: w, height: h)
    let taps: [Int64] = [1, 4, 6, 4, 1]
    func p(_ x: [Int64], _ t: Int) -> [Int64] {
      var out = [Int64](repeating: 0, count: w * h)
      for a in 0..<h {
        for c in 0..<w {
          var s: Int64 = 0
          for i in 0..<5 {
            for j in 0..<5 {
              let r = min(max(a + (i - 2) * t, 0), h - 1)
              let q = min(max(c + (j - 2) * t, 0), w - 1)
              s += taps[i] * taps[j] * x[r * w + q]
            }
          }
          out[a * w + c] = s
        }
      }
      return out
    }
    var out = image
    for ch in 0..<3 {
      let x = (0..<(w * h)).map { Int64(image.pixels[3 * $0 + ch]) }
      let p1 = p(x, 1)
      let p21 = p(p1, 2)
      let p421 = signed ? p(p21, 4) : []
      for a in 0..<h {
        for c in 0..<w {
          let k = a * w + c
          let block = (a / 32) * nx + c / 32
          let g0 = factor(codes[block])
          let g1 = factor(codes[ny * nx + block])
          var v: Int64
          if signed {
            let g2 = factor(codes[2 * ny * nx + block])
            let sum =
              g0 * (256 * x[k] - p1[k]) * 65536 + g1 * (256 * p1[k] - p21[k]) * 256 + g2
              * (256 * p21[k] - p421[k])
            v = x[k] + IntegerMath.rshift(sum, 40)
          } else {
            let sum = g0 * (256 * x[k] - p1[k]) * 256 + g1 * (256 * p1[k] - p21[k])
            v = x[k] + IntegerMath.rshift(sum, 32)
          }
          out.pixels[3 * k + ch] = UInt8(min(max(v, 0), 255))
        }
      }
    }
    return out
  }

  /// The stage equals the plain implementation and the NumPy spec decoder's `band_gains`
  /// (python/gic_spec_decoder) on every thread count.
  @Test func gainsMatchPlainAndSpecDecoder() throws {
    let source = try DetailFillTests.picture(width: 70, height: 45, salt: 3)
    DetailFillTests.expectStage(
      source: source, expected: Self.plainGains(source, codes: Self.codes),
      sha256: Self.specDecoderSHA256
    ) { image, threads in
      BandGains.apply(&image, codes: Self.codes, threads: threads)
    }
  }

  /// Signed codes (three bands): the stage equals the plain implementation and the NumPy spec
  /// decoder on every thread count; removing the bands of a flat picture changes nothing.
  @Test func signedGainsMatchPlain() throws {
    let source = try DetailFillTests.picture(width: 70, height: 45, salt: 3)
    DetailFillTests.expectStage(
      source: source, expected: Self.plainGains(source, codes: Self.signedCodes, signed: true),
      sha256: Self.signedSpecDecoderSHA256
    ) { image, threads in
      BandGains.apply(&image, codes: Self.signedCodes, signed: true, threads: threads)
    }
    // A flat picture has no bands: removing them changes nothing.
    let flat = try RGBImage(width: 40, height: 40, pixels: [UInt8](repeating: 77, count: 4800))
    var same = flat
    BandGains.apply(&same, codes: [Int8](repeating: -1, count: 12), signed: true)
    #expect(same == flat)
    // A picture smaller than the halo: the rows are clamped as for the whole picture.
    let small = try DetailFillTests.picture(width: 5, height: 3, salt: 2)
    var got = small
    BandGains.apply(&got, codes: [-1, 3, 2], signed: true)
    #expect(got == Self.plainGains(small, codes: [-1, 3, 2], signed: true))
  }

  /// SHA-256 of the RGB samples of `band_gains(picture(70, 45, 3), signedCodes)` in the NumPy
  /// spec decoder.
  static let signedSpecDecoderSHA256 =
    "9211cf88d07c60267bd1c2e1f239ab727c99570ec855612dacad31a1eb23cf10"

  /// SHA-256 of the RGB samples of `band_gains(picture(70, 45, 3), codes)` in the NumPy spec
  /// decoder.
  static let specDecoderSHA256 = "4f7df0c786092579715302261a0a9107d01876737ea910d6410148401f89a01a"

  /// Zero codes change nothing; a gray picture stays gray; extreme pictures clamp without
  /// overflow.
  @Test func identityGrayAndExtremes() throws {
    let source = try DetailFillTests.picture(width: 70, height: 45, salt: 3)
    var same = source
    BandGains.apply(&same, codes: [Int8](repeating: 0, count: 12))
    #expect(same == source)
    var gray = source
    for p in 0..<(70 * 45) {
      gray.pixels[3 * p + 1] = gray.pixels[3 * p]
      gray.pixels[3 * p + 2] = gray.pixels[3 * p]
    }
    BandGains.apply(&gray, codes: [Int8](repeating: 4, count: 12))
    for p in 0..<(70 * 45) {
      #expect(gray.pixels[3 * p] == gray.pixels[3 * p + 1])
      #expect(gray.pixels[3 * p] == gray.pixels[3 * p + 2])
    }
    // A checkerboard of 0 and 255: the largest bands; every sample clamps to 0 or 255.
    var board = try RGBImage(
      width: 40, height: 33,
      pixels: (0..<(40 * 33 * 3)).map { k in ((k / 3) % 40 + (k / 3) / 40) % 2 == 0 ? 0 : 255 })
    let all4 = [Int8](repeating: 4, count: 2 * 2 * 2)
    let expected = Self.plainGains(board, codes: all4)
    BandGains.apply(&board, codes: all4, threads: 2)
    #expect(board == expected)
  }

  /// G[k] = round(2^16 · (2^(k/2) − 1)).
  @Test func constants() {
    #expect(BandGains.gains.count == BandGains.codeCount)
    for k in 0..<BandGains.codeCount {
      let g = (65536 * (pow(2.0, Double(k) / 2) - 1)).rounded(.toNearestOrAwayFromZero)
      #expect(BandGains.gains[k] == Int64(g))
    }
  }

  /// The reference rule at its thresholds: 2 · E_o² ≥ 4^j · E_d².
  @Test func encoderRuleThresholds() throws {
    let flat = try RGBImage(width: 2, height: 2, pixels: [UInt8](repeating: 9, count: 12))
    #expect(BandGains.codes(original: flat, decoded: flat) == [0, 0])
    // E_d = 0: nothing to amplify.
    #expect(BandGainsTests.rule(original: 5, decoded: 0) == 0)
    #expect(BandGainsTests.rule(original: 100, decoded: 100) == 0)
    #expect(BandGainsTests.rule(original: 0, decoded: 100) == 0)
    // Ratio √2 = 2^0.5 exactly at the first threshold: 2 · E_o² = 4 · E_d² when E_o² = 2 E_d²;
    // with integers, E_o = 1414, E_d = 1000: 2 · 1414² = 3 998 792 < 4 000 000 → 0; 1415 → 1.
    #expect(BandGainsTests.rule(original: 1414, decoded: 1000) == 0)
    #expect(BandGainsTests.rule(original: 1415, decoded: 1000) == 1)
    // 4^4 / 2 = 128: E_o / E_d ≥ √128 ≈ 11.31 gives the cap 4.
    #expect(BandGainsTests.rule(original: 11314, decoded: 1000) == 4)
    #expect(BandGainsTests.rule(original: 11313, decoded: 1000) == 3)
    #expect(BandGainsTests.rule(original: (1 << 51) - 1, decoded: 1) == 4)
    #expect(BandGainsTests.rule(original: (1 << 51) - 1, decoded: (1 << 51) - 1) == 0)
    // Signed (bitstream 1.3): −1 when 2 · E_d² ≥ 4 · E_o² (E_d ≥ √2 · E_o), E_o = 0 included;
    // every positive code as before.
    #expect(BandGainsTests.rule(original: 1000, decoded: 1414, signed: true) == 0)
    #expect(BandGainsTests.rule(original: 1000, decoded: 1415, signed: true) == -1)
    #expect(BandGainsTests.rule(original: 1000, decoded: 1415) == 0)
    #expect(BandGainsTests.rule(original: 0, decoded: 1, signed: true) == -1)
    #expect(BandGainsTests.rule(original: 0, decoded: 0, signed: true) == 0)
    #expect(BandGainsTests.rule(original: 5, decoded: 0, signed: true) == 0)
    #expect(BandGainsTests.rule(original: 1415, decoded: 1000, signed: true) == 1)
    #expect(BandGainsTests.rule(original: 1, decoded: (1 << 51) - 1, signed: true) == -1)
    #expect(BandGainsTests.rule(original: 11314, decoded: 1000, signed: true) == 4)
  }

  static func rule(original: Int64, decoded: Int64, signed: Bool = false) -> Int8 {
    BandGains.code(original: original, decoded: decoded, signed: signed)
  }

  /// Encode with gains, decode: the stream and picture the spec defines.
  ///
  /// Minor version 3 with signed gains (flags bit 2), four substreams, the first three as the
  /// fill-only stream's latent substreams; the picture is the latent picture amplified by the
  /// gain codes and filled with detail codes chosen against the amplified picture. A minor-2
  /// stream of unsigned gains decodes as before.
  @Test func roundTrip() throws {
    let codec = try DetailFillTests.codec()
    let source = try DetailFillTests.picture(width: 70, height: 45, salt: 3)
    let plain = try codec.encode(source, rateIndex: 40, steps: 2, seed: 9)
    let stream = try codec.encode(source, rateIndex: 40, steps: 2, seed: 9, detail: .gains)
    #expect(stream.minor == 3 && stream.signedGains && stream.substreams.count == 4)
    #expect(Array(stream.substreams.prefix(2)) == plain.substreams)
    let bytes = stream.serialized()
    #expect(bytes[5] == 3 && bytes[7] == 6 && bytes[23] == 4)
    let parsed = try Bitstream(parsing: bytes)
    #expect(parsed.serialized() == bytes && parsed.gainsSubstream != nil && parsed.signedGains)
    let latent = try codec.decode(plain)
    var expected = latent
    let gains = BandGains.codes(original: source, decoded: expected, signed: true)
    #expect(
      try BandGains.decodeCodes(stream.substreams[3], width: 70, height: 45, signed: true) == gains)
    BandGains.apply(&expected, codes: gains, signed: true)
    let fill = DetailFill.codes(original: source, decoded: expected)
    #expect(try DetailFill.decodeCodes(stream.substreams[2], width: 70, height: 45) == fill)
    DetailFill.fill(&expected, codes: fill, seed: 9)
    for threads in [1, 3] {
      #expect(try codec.decode(parsed, threads: threads) == expected)
    }
    let target = try codec.encode(
      source, grayscale: false,
      settings: EncodeSettings(targetBitsPerPixel: 2, detail: .gains), threads: 1)
    #expect(target.substreams.count == 4)

    // Bitstream 1.2: unsigned codes with the table GAIN, minor version 2, flags bit 2 clear.
    var unsigned = latent
    let codes12 = BandGains.codes(original: source, decoded: unsigned)
    #expect(codes12.allSatisfy { $0 >= 0 })
    BandGains.apply(&unsigned, codes: codes12)
    let fill12 = DetailFill.codes(original: source, decoded: unsigned)
    DetailFill.fill(&unsigned, codes: fill12, seed: 9)
    let stream12 = plain.addingDetail(try DetailFill.encodeCodes(fill12))
      .addingGains(try BandGains.encodeCodes(codes12))
    let bytes12 = stream12.serialized()
    #expect(bytes12[5] == 2 && bytes12[7] == 2)
    #expect(try codec.decode(try Bitstream(parsing: bytes12)) == unsigned)
  }

  /// Header rules (spec/bitstream.md §2.2): four substreams only from minor version 2, five
  /// never; flags bit 2 only from minor version 3 and only with gains; a gains value outside
  /// −1 … 4 (signed) or 0 … 4 (unsigned) is a damaged gains substream.
  @Test func headerRulesAndDamage() throws {
    let codec = try DetailFillTests.codec()
    let source = try DetailFillTests.picture(width: 70, height: 45, salt: 3)
    let stream = try codec.encode(source, rateIndex: 20, steps: 0, detail: .gains)
    var minor1 = stream
    minor1.minor = 1
    minor1.signedGains = false
    #expect {
      _ = try codec.decode(try Bitstream(parsing: minor1.serialized()))
    } throws: { error in
      guard case .invalidField(let field, let offset, _) = error as? BitstreamError else {
        return false
      }
      return field == "substream count" && offset == 23
    }
    var five = stream
    five.substreams.append([])
    #expect(throws: BitstreamError.self) { _ = try codec.decode(five) }
    var minor4 = stream
    minor4.minor = 4
    #expect(try codec.decode(minor4) == codec.decode(stream))
    // Flags bit 2 in a minor-2 stream is a reserved bit; without a gains substream it is refused.
    var bytes = stream.serialized()
    bytes[5] = 2
    func refusedFlags(_ bytes: [UInt8]) -> Bool {
      do {
        _ = try Bitstream(parsing: bytes)
        return false
      } catch {
        guard case .invalidField(let field, let offset, _) = error else { return false }
        return field == "flags" && offset == 7
      }
    }
    #expect(refusedFlags(bytes))
    let fillOnly = try codec.encode(source, rateIndex: 20, steps: 0, detail: .fill)
    var fillBytes = fillOnly.serialized()
    fillBytes[5] = 3
    fillBytes[7] |= 4
    #expect(refusedFlags(fillBytes))
    for (table, signed, bad) in [
      (BandGains.signedTable, true, Int64(5)), (BandGains.signedTable, true, -2),
      (BandGains.table, false, 5),
    ] {
      var values = (signed ? Self.signedCodes : Self.codes).map { Int64($0) }
      values[signed ? 15 : 4] = bad
      var damaged = stream
      damaged.signedGains = signed
      damaged.minor = signed ? 3 : 2
      damaged.substreams[3] = try table.encode(
        values: values, rows: (0..<values.count).map { Int32($0 / 6) })
      #expect {
        _ = try codec.decode(try Bitstream(parsing: damaged.serialized()))
      } throws: { error in
        guard case .damagedSubstream(let name, _, let reason) = error as? BitstreamError else {
          return false
        }
        return name.hasPrefix("gains") && reason.contains("\(bad)")
      }
    }
    #expect(throws: BitstreamError.self) {
      _ = try BandGains.decodeCodes(Array(stream.substreams[3].prefix(1)), width: 70, height: 45)
    }
  }
}
