import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// The detail fill of spec/bitstream.md §7.5: the decoder's stage and the reference encoder's
/// codes against python/gicv2/detail_fill.py, the header rules of bitstream version 1.1, the
/// damaged-substream error and the round trip through the codec.
@Suite("Detail fill (spec/bitstream.md §7.5)")
struct DetailFillTests {
  /// The synthetic picture of the goldens: (a² · 7 + c · 13 + ch · 29 + a · c · salt) mod 256.
  static func picture(width w: Int, height h: Int, salt: Int) throws -> RGBImage {
    var pixels = [UInt8](repeating: 0, count: w * h * 3)
    for a in 0..<h {
      for c in 0..<w {
        for ch in 0..<3 {
          pixels[(a * w + c) * 3 + ch] = UInt8((a * a * 7 + c * 13 + ch * 29 + a * c * salt) % 256)
        }
      }
    }
    return try RGBImage(width: w, height: h, pixels: pixels)
  }

  /// Checks a detail stage: `apply(&image, threads)` gives `expected` on 1, 2 and 8 threads,
  /// `expected` differs from `source`, and its samples hash to `sha256` (the NumPy spec
  /// decoder's output for the same picture and codes).
  static func expectStage(
    source: RGBImage, expected: RGBImage, sha256: String,
    apply: (inout RGBImage, Int) -> Void
  ) {
    #expect(expected != source)
    for threads in [1, 2, 8] {
      var image = source
      apply(&image, threads)
      #expect(image == expected, "\(threads) threads")
    }
    #expect(SHA256Hex.of(Data(expected.pixels)) == sha256)
  }

  /// Codes (i · 5 + j · 3 + b · 7 + 2) mod 16 of the 2 × 3 blocks of a 70 × 45 picture.
  static let codes: [UInt8] = [2, 5, 8, 7, 10, 13, 9, 12, 15, 14, 1, 4]

  /// The fill equals the prototype's `fill` (python/gicv2/detail_fill.py), with and without a
  /// seed, on every thread count.
  @Test(arguments: [
    (UInt64(0), "52a48d61248435c88ef210605eadd463b2983f273af68d8e67bf68e63a6c6d81"),
    (
      12_345_678_901_234_567_890, "bc783104bd53792520f2faed3ea6ce568c88d89a48c17ad9113518e12f1bdcb6"
    ),
  ])
  func fillMatchesPrototype(seed: UInt64, sha256: String) throws {
    let source = try Self.picture(width: 70, height: 45, salt: 3)
    for threads in [1, 2, 8] {
      var image = source
      DetailFill.fill(&image, codes: Self.codes, seed: seed, threads: threads)
      #expect(SHA256Hex.of(Data(image.pixels)) == sha256, "\(threads) threads")
    }
  }

  /// The constants are the prototype's (AMP256, M).
  @Test func constants() {
    #expect(DetailFill.amplitudes.count == 16)
    for k in 1..<16 {
      let a = (256 * pow(2.0, Double(k - 4) / 2)).rounded(.toNearestOrAwayFromZero)
      #expect(DetailFill.amplitudes[k] == Int64(a))
    }
    #expect(DetailFill.multipliers == (254_854, 4419))
  }

  /// The codes' substream equals the prototype's rANS encoding with the DETAIL rows, and
  /// decodes back.
  @Test func substreamBytes() throws {
    let bytes = try DetailFill.encodeCodes(Self.codes)
    #expect(hexString(bytes) == "829152966e0100006aafa52a6ea5000085f64991edff8b31")
    #expect(try DetailFill.decodeCodes(bytes, width: 70, height: 45) == Self.codes)
  }

  /// The reference encoder's codes equal the prototype's `codes_for`.
  @Test func encoderRuleMatchesPrototype() throws {
    let original = try Self.picture(width: 70, height: 45, salt: 3)
    var decoded = original
    for a in 0..<45 {
      for c in 0..<70 {
        for ch in 0..<3 where !(a < 32 && c >= 64) {
          let p = (a * 70 + c) * 3 + ch
          decoded.pixels[p] = original.pixels[p] / 32 * 32 + 16
        }
      }
    }
    for threads in [1, 4] {
      #expect(
        DetailFill.codes(original: original, decoded: decoded, threads: threads)
          == [9, 10, 0, 0, 11, 10, 3, 0, 1, 5, 6, 7])
    }
    let original2 = try Self.picture(width: 97, height: 67, salt: 11)
    var decoded2 = original2
    for a in stride(from: 0, to: 67, by: 2) {
      for c in stride(from: 0, to: 97, by: 2) {
        for ch in 0..<3 { decoded2.pixels[(a * 97 + c) * 3 + ch] = 128 }
      }
    }
    #expect(
      DetailFill.codes(original: original2, decoded: decoded2)
        == [
          13, 13, 13, 14, 13, 13, 13, 14, 13, 12, 12, 13, 9, 9, 9, 8, 0, 0, 0, 10, 11, 11, 11, 9,
        ])
    // (Without the edge gate of revision 1.8 the three zeros of band 1 were 8, 8, 8: the
    // source's band there has a kurtosis above 6; python/gicv2/detail_fill.py agrees.)
  }

  /// The edge gate (spec/bitstream.md §7.5's reference rule, revision 1.8): a block whose source
  /// band is one sharp edge gets no noise however much of it the decoded picture lacks; noise-like
  /// texture of the same picture does.
  @Test func edgeGate() throws {
    let flat = try RGBImage(width: 64, height: 32, pixels: [UInt8](repeating: 100, count: 6144))
    var edge = flat
    for a in 0..<32 {
      for c in 16..<64 {
        for ch in 0..<3 { edge.pixels[(a * 64 + c) * 3 + ch] = 200 }
      }
    }
    // Block 0 holds the edge (band energy on two columns); block 1 is flat.
    #expect(DetailFill.codes(original: edge, decoded: flat) == [0, 0, 0, 0])
    var texture = flat
    DetailFill.fill(&texture, codes: [12, 12, 12, 12], seed: 5)
    let codes = DetailFill.codes(original: texture, decoded: flat)
    #expect(codes.allSatisfy { $0 >= 10 }, "\(codes)")
  }

  /// A detail value outside 0 … 15 (coded through the escape) is a damaged detail substream,
  /// named with its byte offset; so is a truncated one.
  @Test func outOfRangeCodeIsDamagedSubstream() throws {
    var values = Self.codes.map { Int64($0) }
    values[7] = 16
    let bytes = try DetailFill.table.encode(
      values: values, rows: (0..<12).map { Int32($0 / 6) })
    #expect {
      _ = try DetailFill.decodeCodes(bytes, width: 70, height: 45)
    } throws: { error in
      guard case .damagedSubstream(let name, _, let reason) = error as? BitstreamError else {
        return false
      }
      return name.hasPrefix("detail") && reason.contains("16")
    }
    #expect(throws: BitstreamError.self) {
      _ = try DetailFill.decodeCodes(Array(bytes.prefix(10)), width: 70, height: 45)
    }
    #expect(throws: BitstreamError.self) {
      _ = try DetailFill.decodeCodes(bytes, width: 100, height: 45)
    }
  }

  static func codec() throws -> HyperpriorCodec {
    try CodecFixtures.codec("gic-v1-N16-M24-W16-random.gicw")
  }

  /// Encode with detail, decode: the stream has minor version 1 and three substreams, survives
  /// serialization, and decodes to the latent picture filled with its codes.
  @Test func roundTrip() throws {
    let codec = try Self.codec()
    let source = try Self.picture(width: 70, height: 45, salt: 3)
    let plain = try codec.encode(source, rateIndex: 40, steps: 2, seed: 9)
    let stream = try codec.encode(source, rateIndex: 40, steps: 2, seed: 9, detail: .fill)
    #expect(plain.minor == 0 && plain.substreams.count == 2)
    #expect(stream.minor == 1 && stream.substreams.count == 3)
    #expect(Array(stream.substreams.prefix(2)) == plain.substreams)
    let bytes = stream.serialized()
    #expect(bytes[5] == 1 && bytes[23] == 3)
    let parsed = try Bitstream(parsing: bytes)
    #expect(parsed.serialized() == bytes)
    let latent = try codec.decode(plain)
    let codes = DetailFill.codes(original: source, decoded: latent)
    #expect(try DetailFill.decodeCodes(stream.substreams[2], width: 70, height: 45) == codes)
    var filled = latent
    DetailFill.fill(&filled, codes: codes, seed: 9)
    for threads in [1, 3] {
      #expect(try codec.decode(parsed, threads: threads) == filled)
    }
    // Without a seed the fill's noise uses S = 0.
    let noSeed = try codec.encode(source, rateIndex: 40, steps: 1, detail: .fill)
    var expected = try codec.decode(
      try codec.encode(source, rateIndex: 40, steps: 1))
    DetailFill.fill(
      &expected,
      codes: try DetailFill.decodeCodes(noSeed.substreams[2], width: 70, height: 45), seed: 0)
    #expect(try codec.decode(noSeed) == expected)
  }

  /// Settings: detail off is the default and changes no byte; on needs profile 3.
  @Test func settings() throws {
    let codec = try Self.codec()
    let source = try Self.picture(width: 33, height: 20, salt: 5)
    #expect(EncodeSettings.defaultDetail == .off)
    let off = try codec.encode(
      source, grayscale: false, settings: EncodeSettings(rate: 0.2, detail: .off), threads: 1)
    let unset = try codec.encode(
      source, grayscale: false, settings: EncodeSettings(rate: 0.2), threads: 1)
    #expect(off == unset && off.minor == 0 && off.substreams.count == 2)
    let on = try codec.encode(
      source, grayscale: false, settings: EncodeSettings(rate: 0.2, detail: .fill), threads: 1)
    #expect(on.minor == 1 && on.substreams.count == 3)
    let target = try codec.encode(
      source, grayscale: false,
      settings: EncodeSettings(targetBitsPerPixel: 2, detail: .fill), threads: 1)
    #expect(target.substreams.count == 3)
    let hyper = try CodecFixtures.codec("bmshj2018-hyperprior-N16-M24.gicw")
    #expect(EncodeSettings(detail: .off).isEmpty && !EncodeSettings(detail: .fill).isEmpty)
    _ = try hyper.encode(
      source, grayscale: false, settings: EncodeSettings(detail: .off), threads: 1)
    #expect(throws: BitstreamError.self) {
      _ = try hyper.encode(
        source, grayscale: false, settings: EncodeSettings(detail: .fill), threads: 1)
    }
  }

  /// Header rules (spec/bitstream.md §2.2): profile 3 reads 3 substreams only from minor
  /// version 1; 2 substreams decode at any minor version; other counts are refused naming the
  /// substream count and its offset.
  @Test func substreamCountByMinorVersion() throws {
    let codec = try Self.codec()
    let source = try Self.picture(width: 40, height: 24, salt: 1)
    let detailed = try codec.encode(source, rateIndex: 10, steps: 0, detail: .fill)
    let refused = BitstreamError.self
    var minor0 = detailed
    minor0.minor = 0
    #expect {
      _ = try codec.decode(try Bitstream(parsing: minor0.serialized()))
    } throws: { error in
      guard case .invalidField(let field, let offset, _) = error as? BitstreamError else {
        return false
      }
      return field == "substream count" && offset == 23
    }
    var minor2 = detailed
    minor2.minor = 2
    #expect(try codec.decode(minor2) == codec.decode(detailed))
    var four = detailed
    four.substreams.append([])
    #expect(throws: refused) { _ = try codec.decode(four) }
    var one = detailed
    one.substreams = [detailed.substreams[0]]
    #expect(throws: refused) { _ = try codec.decode(one) }
    // Two substreams at minor version 1: no fill, the same picture as minor version 0.
    var plain = try codec.encode(source, rateIndex: 10, steps: 0)
    let reference = try codec.decode(plain)
    plain.minor = 1
    #expect(try codec.decode(try Bitstream(parsing: plain.serialized())) == reference)
    // Another profile with three substreams at minor version 1 is refused.
    let hyper = try CodecFixtures.codec("bmshj2018-hyperprior-N16-M24.gicw")
    var other = try hyper.encode(source)
    other.minor = 1
    other.substreams.append(detailed.substreams[2])
    #expect(throws: refused) { _ = try hyper.decode(other) }
  }

  /// A damaged detail substream inside a stream is refused with the typed error.
  @Test func damagedDetailSubstreamInStream() throws {
    let codec = try Self.codec()
    let source = try Self.picture(width: 70, height: 45, salt: 3)
    var stream = try codec.encode(source, rateIndex: 30, steps: 0, detail: .fill)
    var values = Self.codes.map { Int64($0) }
    values[0] = 99
    stream.substreams[2] = try DetailFill.table.encode(
      values: values, rows: (0..<12).map { Int32($0 / 6) })
    #expect {
      _ = try codec.decode(try Bitstream(parsing: stream.serialized()))
    } throws: { error in
      guard case .damagedSubstream(_, let offset, _) = error as? BitstreamError else {
        return false
      }
      return offset >= 0 && (error as? BitstreamError)?.code == "bitstream.damagedSubstream"
    }
  }
}
