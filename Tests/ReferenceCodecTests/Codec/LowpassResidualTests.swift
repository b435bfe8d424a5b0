import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// The low-pass residual of spec/bitstream.md §7.7: the decoder's stage against a plain
/// per-pixel implementation of the spec's formulas and the NumPy spec decoder's output, the
/// reference encoder's rule, the header rules, the damaged-substream error and the round trip.
@Suite("Low-pass residual (spec/bitstream.md §7.7)")
struct LowpassResidualTests {
  /// Codes (i · 7 + j · 5 + m · 11) mod 63 − 31 of the 2 × 3 blocks of a 70 × 45 picture, per
  /// channel m.
  static let codes: [Int8] = {
    var out: [Int8] = []
    for m in 0..<3 {
      for i in 0..<2 {
        for j in 0..<3 {
          let v: Int = (i * 7 + j * 5 + m * 11) % 63 - 31
          out.append(Int8(v))
        }
      }
    }
    return out
  }()

  /// §7.7 written out pixel by pixel.
  static func plain(_ image: RGBImage, codes: [Int8]) -> RGBImage {
    let (w, h) = (image.width, image.height)
    let (ny, nx) = DetailFill.grid(width: w, height: h)
    func taps(_ a: Int, _ n: Int) -> [(Int, Int)] {
      let u = 2 * a + 1 - 32
      let i = Int((Double(u) / 64).rounded(.down))
      let f = u - 64 * i
      return [(min(max(i, 0), n - 1), 64 - f), (min(max(i + 1, 0), n - 1), f)]
    }
    var out = image
    for a in 0..<h {
      for c in 0..<w {
        for m in 0..<3 {
          var sum: Int64 = 0
          for (r, v) in taps(a, ny) {
            for (s, hw) in taps(c, nx) {
              sum += Int64(v * hw) * Int64(codes[m * ny * nx + r * nx + s])
            }
          }
          let p = 3 * (a * w + c) + m
          out.pixels[p] = UInt8(
            min(max(Int64(image.pixels[p]) + IntegerMath.rshift(sum, 11), 0), 255))
        }
      }
    }
    return out
  }

  /// The stage equals the plain implementation and the NumPy spec decoder's
  /// `lowpass_residual` on every thread count.
  @Test func matchesPlainAndSpecDecoder() throws {
    let source = try DetailFillTests.picture(width: 70, height: 45, salt: 3)
    DetailFillTests.expectStage(
      source: source, expected: Self.plain(source, codes: Self.codes),
      sha256: Self.specDecoderSHA256
    ) { image, threads in
      LowpassResidual.apply(&image, codes: Self.codes, threads: threads)
    }
  }

  /// SHA-256 of the RGB samples of `lowpass_residual(picture(70, 45, 3), codes)` in the NumPy
  /// spec decoder.
  static let specDecoderSHA256 =
    "0f63177dd1cdd83e24322adbf8ac16f0b9d13711ba3e7fddbb6e8e092ab71add"

  /// Zero codes change nothing; equal codes k add 2k everywhere (clamped); small and odd sizes.
  @Test func identityConstantAndSizes() throws {
    let source = try DetailFillTests.picture(width: 70, height: 45, salt: 3)
    var same = source
    LowpassResidual.apply(&same, codes: [Int8](repeating: 0, count: 18))
    #expect(same == source)
    for k: Int8 in [-31, -1, 1, 7, 31] {
      var image = source
      LowpassResidual.apply(&image, codes: [Int8](repeating: k, count: 18), threads: 3)
      for p in 0..<image.pixels.count {
        let v = min(max(Int(source.pixels[p]) + 2 * Int(k), 0), 255)
        #expect(Int(image.pixels[p]) == v)
      }
    }
    for (w, h) in [(1, 1), (1, 40), (33, 1), (97, 67)] {
      let picture = try DetailFillTests.picture(width: w, height: h, salt: 2)
      let (ny, nx) = DetailFill.grid(width: w, height: h)
      let codes = (0..<(3 * ny * nx)).map { Int8(($0 * 13) % 63 - 31) }
      var image = picture
      LowpassResidual.apply(&image, codes: codes, threads: 2)
      #expect(image == Self.plain(picture, codes: codes), "\(w)×\(h)")
    }
  }

  /// The reference rule: rdiv(E, 2N) per block and channel, clamped to ±31.
  @Test func encoderRule() throws {
    let original = try DetailFillTests.picture(width: 70, height: 45, salt: 3)
    var decoded = original
    // 5 samples too dark everywhere in red (code rdiv(5N, 2N) = 3, half away from zero), 4 too
    // bright in green (−2); blue 100 too dark where possible (clamped codes).
    for p in 0..<(70 * 45) {
      decoded.pixels[3 * p] = UInt8(max(Int(original.pixels[3 * p]) - 5, 0))
      decoded.pixels[3 * p + 1] = UInt8(min(Int(original.pixels[3 * p + 1]) + 4, 255))
      decoded.pixels[3 * p + 2] = 0
    }
    let codes = LowpassResidual.codes(original: original, decoded: decoded)
    #expect(codes.count == 18)
    var flat = try RGBImage(width: 70, height: 45, pixels: [UInt8](repeating: 200, count: 9450))
    let dark = try RGBImage(width: 70, height: 45, pixels: [UInt8](repeating: 195, count: 9450))
    #expect(LowpassResidual.codes(original: flat, decoded: dark) == [Int8](repeating: 3, count: 18))
    flat.pixels = [UInt8](repeating: 0, count: 9450)
    let bright = try RGBImage(
      width: 70, height: 45, pixels: [UInt8](repeating: 100, count: 9450))
    #expect(
      LowpassResidual.codes(original: flat, decoded: bright) == [Int8](repeating: -31, count: 18))
    // Green: every block 4 too bright except where clamped at 255 (fewer): codes −2 or −1.
    #expect(codes[6..<12].allSatisfy { $0 == -2 || $0 == -1 })
    #expect(codes[12..<18].allSatisfy { $0 > 0 })
  }

  /// Encode with every stage, decode: minor version 2, five substreams; the picture is the
  /// latent picture corrected, amplified and filled with codes chosen stage by stage.
  @Test func roundTrip() throws {
    let codec = try DetailFillTests.codec()
    let source = try DetailFillTests.picture(width: 70, height: 45, salt: 3)
    let plain = try codec.encode(source, rateIndex: 40, steps: 2, seed: 9)
    let stream = try codec.encode(source, rateIndex: 40, steps: 2, seed: 9, detail: .on)
    #expect(stream.minor == 3 && stream.signedGains && stream.substreams.count == 5)
    #expect(Array(stream.substreams.prefix(2)) == plain.substreams)
    let parsed = try Bitstream(parsing: stream.serialized())
    #expect(parsed.residualSubstream != nil && parsed.serialized()[23] == 5)
    var expected = try codec.decode(plain)
    let residual = LowpassResidual.codes(original: source, decoded: expected)
    #expect(
      try LowpassResidual.decodeCodes(stream.substreams[4], width: 70, height: 45) == residual)
    LowpassResidual.apply(&expected, codes: residual)
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
    let gainsOnly = try codec.encode(source, rateIndex: 40, steps: 2, seed: 9, detail: .gains)
    #expect(gainsOnly.substreams.count == 4 && gainsOnly.residualSubstream == nil)
    let target = try codec.encode(
      source, grayscale: false,
      settings: EncodeSettings(targetBitsPerPixel: 2, detail: .on), threads: 1)
    #expect(target.substreams.count == 5)
  }

  /// Header rules: five substreams only from minor version 2, six never; a residual value
  /// outside −31 … 31 is a damaged residual substream.
  @Test func headerRulesAndDamage() throws {
    let codec = try DetailFillTests.codec()
    let source = try DetailFillTests.picture(width: 70, height: 45, salt: 3)
    let stream = try codec.encode(source, rateIndex: 20, steps: 0, detail: .on)
    var minor1 = stream
    minor1.minor = 1
    minor1.signedGains = false
    #expect(throws: BitstreamError.self) {
      _ = try codec.decode(try Bitstream(parsing: minor1.serialized()))
    }
    var six = stream
    six.substreams.append([])
    #expect(throws: BitstreamError.self) { _ = try codec.decode(six) }
    var values = Self.codes.map { Int64($0) }
    values[13] = 32
    var damaged = stream
    damaged.substreams[4] = try LowpassResidual.table.encode(
      values: values, rows: (0..<18).map { Int32($0 / 6) })
    #expect {
      _ = try codec.decode(try Bitstream(parsing: damaged.serialized()))
    } throws: { error in
      guard case .damagedSubstream(let name, _, let reason) = error as? BitstreamError else {
        return false
      }
      return name.hasPrefix("residual") && reason.contains("32") && reason.contains("channel 2")
    }
  }
}
