import Foundation
import ReferenceCodec
import Testing

/// The limits docs/robustness.md lists, checked from the header before anything is allocated.
@Suite("Decoder resource limits")
struct ResourceLimitTests {
  static let models = [
    "bmshj2018-hyperprior-N16-M24.gicw", "mbt2018-mean-N16-M24.gicw",
    "gic-v1-N16-M24-W16-random.gicw",
  ]

  /// A stream for `codec` with a valid header for `width` × `height` and the given substreams.
  static func stream(
    _ codec: HyperpriorCodec, width: Int, height: Int, substreams: [[UInt8]] = [[], []]
  ) throws -> Bitstream {
    // Through the parser, as a decoder meets it: the header itself is well-formed.
    try Bitstream(
      parsing: Bitstream(
        profile: codec.profile, grayscale: false, modelDigestPrefix: codec.digestPrefix,
        width: width, height: height, substreams: substreams
      ).serialized())
  }

  /// The largest size the header can state, 65536 × 65536 (2^32 pixels), is refused at once
  /// with the coded-size limit, before either substream is looked at.
  @Test(arguments: models)
  func largestHeaderIsRefusedAtOnce(model: String) throws {
    let codec = try CodecFixtures.codec(model)
    let stream = try Self.stream(codec, width: 65536, height: 65536)
    let elapsed = try ContinuousClock().measure {
      #expect(
        throws: BitstreamError.incompatible(
          reason: "65536×65536 exceeds the coded-size limit of 2^26 padded pixels")
      ) { try codec.decode(stream) }
    }
    #expect(elapsed < .seconds(1), "\(elapsed)")
  }

  /// The limit is on the padded size: 8192 × 8192 is exactly 2^26 pixels and gets as far as the
  /// entropy decoder (which finds the empty z substream damaged); one more row, padded to the
  /// next multiple of the hyper-latent stride, is refused.
  @Test(arguments: models)
  func limitIsOnThePaddedSize(model: String) throws {
    let codec = try CodecFixtures.codec(model)
    #expect(HyperpriorCodec.maxPaddedPixels == 1 << 26)
    let atLimit = try Self.stream(codec, width: 8192, height: 8192)
    let elapsed = try ContinuousClock().measure {
      #expect(throws: EntropyError.self) { try codec.decode(atLimit) }
    }
    #expect(elapsed < .seconds(1), "\(elapsed)")
    let over = try Self.stream(codec, width: 8192, height: 8193)
    #expect(
      throws: BitstreamError.incompatible(
        reason: "8192×8193 exceeds the coded-size limit of 2^26 padded pixels")
    ) { try codec.decode(over) }
  }

  /// A damaged stream at the limit fails inside the entropy decoder without decoding the
  /// picture: garbage substreams of a few bytes cost no more than a small picture.
  @Test func garbageAtTheLimitFailsFast() throws {
    let codec = try CodecFixtures.codec("mbt2018-mean-N16-M24.gicw")
    var rng = SplitMix64(seed: 11)
    for _ in 0..<8 {
      let z = (0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) }
      let y = (0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) }
      let stream = try Self.stream(codec, width: 8192, height: 8192, substreams: [z, y])
      let elapsed = try ContinuousClock().measure {
        #expect(throws: EntropyError.self) { try codec.decode(stream) }
      }
      #expect(elapsed < .seconds(2), "\(elapsed)")
    }
  }

  /// The parser bounds the substream table: at most 16 substreams, each at most 2^30 bytes
  /// (a 5-byte length), and the lengths must add up to the bytes present.
  @Test func substreamTableLimits() throws {
    let header: [UInt8] =
      Bitstream.magic + [1, 0, 2, 0] + [UInt8](repeating: 0, count: 8)
      + [0, 0, 0, 0, 0, 0, 0]
    #expect(Bitstream.maxSubstreams == 16 && Bitstream.maxSubstreamLength == 1 << 30)
    #expect(
      throws: BitstreamError.invalidField(
        field: "substream count", offset: 23, reason: "17, expected 1…16")
    ) { try Bitstream(parsing: header + [17]) }
    // 2^30 + 1 = 81 80 80 80 04.
    #expect(
      throws: BitstreamError.invalidField(
        field: "substream 0 length", offset: 24,
        reason: "1073741825 bytes exceeds the limit 1073741824")
    ) { try Bitstream(parsing: header + [1, 0x81, 0x80, 0x80, 0x80, 0x04]) }
    // 2^30 exactly is a valid length; the stream is then 2^30 bytes short, not allocated.
    #expect(throws: BitstreamError.truncated(field: "substreams", offset: 29, length: 29)) {
      try Bitstream(parsing: header + [1, 0x80, 0x80, 0x80, 0x80, 0x04])
    }
    #expect(
      throws: BitstreamError.invalidField(
        field: "substream 0 length", offset: 24, reason: "longer than 5 bytes")
    ) { try Bitstream(parsing: header + [1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]) }
  }
}
