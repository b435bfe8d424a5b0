import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// The committed codec fixtures (scripts/make_codec_fixtures.py).
enum CodecFixtures {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/codec")

  struct Golden: Decodable, Sendable, CustomTestStringConvertible {
    var model: String
    var image: String
    /// gic-ref encode options: --rate R, --steps N, --seed S.
    var parameters: [String]
    var bytes: Int
    var bitstreamSha256: String
    var rgbSha256: String
    var testDescription: String { "\(model) × \(image) \(parameters.joined(separator: " "))" }

    /// The option `name`'s value, if given.
    func option(_ name: String) -> String? {
      guard let i = parameters.firstIndex(of: name), i + 1 < parameters.count else { return nil }
      return parameters[i + 1]
    }

    /// Encodes as `gic-ref encode` does with these options.
    func encode(
      _ codec: HyperpriorCodec, _ image: RGBImage, grayscale: Bool, threads: Int, path: KernelPath
    ) throws -> Bitstream {
      guard let rate = codec.rateVariable else {
        return try codec.encode(image, grayscale: grayscale, threads: threads, path: path)
      }
      let r = try #require(Double(option("--rate") ?? "0.5"))
      let steps = try #require(Int(option("--steps") ?? "2"))
      let seed = try option("--seed").map { try #require(UInt64($0)) }
      return try codec.encode(
        image, grayscale: grayscale, rateIndex: Int((Double(rate.rateLevels - 1) * r).rounded()),
        steps: steps, seed: seed, threads: threads, path: path)
    }
  }

  static let goldens: [Golden] = {
    struct File: Decodable { var vectors: [Golden] }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    guard let data = try? Data(contentsOf: root.appendingPathComponent("goldens.json")),
      let file = try? decoder.decode(File.self, from: data)
    else { preconditionFailure("Fixtures/codec/goldens.json is missing or malformed") }
    return file.vectors
  }()

  static func codec(_ name: String) throws -> HyperpriorCodec {
    try HyperpriorCodec(file: try WeightFile.open(path: root.appendingPathComponent(name).path))
  }

  static func image(_ name: String) throws -> PNGDecoded {
    try PNGCodec.read(path: root.appendingPathComponent(name).path)
  }
}

@Suite("Codec goldens and determinism")
struct CodecGoldenTests {
  /// Encoding reproduces the committed bitstream and decoding the committed pixels, for every
  /// thread count and kernel path: the golden values come from the release binaries, so this
  /// debug-build test also checks debug against release.
  @Test(arguments: CodecFixtures.goldens)
  func goldenBitstreamAndPixels(golden: CodecFixtures.Golden) throws {
    let codec = try CodecFixtures.codec(golden.model)
    let source = try CodecFixtures.image(golden.image)
    let gray = source.codesAsGray
    for path in KernelPath.available {
      for threads in [1, 2, 8] {
        let stream = try golden.encode(
          codec, source.image, grayscale: gray, threads: threads, path: path)
        let bytes = stream.serialized()
        #expect(bytes.count == golden.bytes, "\(path), \(threads) threads")
        #expect(SHA256Hex.of(Data(bytes)) == golden.bitstreamSha256, "\(path), \(threads) threads")
        let decoded = try codec.decode(
          try Bitstream(parsing: bytes), threads: threads, path: path)
        #expect(decoded.width == source.image.width && decoded.height == source.image.height)
        #expect(
          SHA256Hex.of(Data(decoded.pixels)) == golden.rgbSha256, "\(path), \(threads) threads")
      }
    }
  }

  /// Encoding twice gives identical bytes.
  @Test func encodingIsRepeatable() throws {
    let codec = try CodecFixtures.codec("mbt2018-mean-N16-M24.gicw")
    let image = try CodecFixtures.image("rgb-77x45.png").image
    let a = try codec.encode(image).serialized()
    let b = try codec.encode(image).serialized()
    #expect(a == b)
  }

  /// A stream made with one model is refused by another, naming both digests.
  @Test func otherModelIsRefused() throws {
    let bmshj = try CodecFixtures.codec("bmshj2018-hyperprior-N16-M24.gicw")
    let mbt = try CodecFixtures.codec("mbt2018-mean-N16-M24.gicw")
    let stream = try bmshj.encode(try CodecFixtures.image("rgb-77x45.png").image)
    expectThrows {
      _ = try mbt.decode(stream)
    } matching: { error in
      guard case BitstreamError.modelMismatch = error else { return false }
      return (error as! BitstreamError).description.contains(String(mbt.modelDigest.prefix(16)))
    }
  }

  /// Every truncation and every single-byte change of a bitstream either decodes or fails with
  /// a typed error; none crashes.
  @Test func damagedStreamsFailCleanly() throws {
    let codec = try CodecFixtures.codec("mbt2018-mean-N16-M24.gicw")
    let bytes = try codec.encode(try CodecFixtures.image("rgb-77x45.png").image).serialized()
    func attempt(_ b: [UInt8]) -> String {
      do {
        let s = try Bitstream(parsing: b)
        _ = try codec.decode(s)
        return "ok"
      } catch let e as BitstreamError {
        return e.code
      } catch let e as EntropyError {
        return e.code
      } catch {
        return "untyped: \(error)"
      }
    }
    for n in 0..<bytes.count {
      let result = attempt(Array(bytes[..<n]))
      #expect(
        result.hasPrefix("bitstream.") || result.hasPrefix("entropy."), "length \(n): \(result)")
    }
    var rng = SplitMix64(seed: 7)
    for i in 0..<bytes.count {
      var b = bytes
      b[i] ^= UInt8.random(in: 1...255, using: &rng)
      let result = attempt(b)
      #expect(!result.hasPrefix("untyped"), "byte \(i): \(result)")
    }
  }
}

@Suite("Bitstream header")
struct BitstreamTests {
  static let sample = Bitstream(
    profile: .mbt2018Mean, grayscale: true, modelDigestPrefix: [1, 2, 3, 4, 5, 6, 7, 8],
    width: 640, height: 427, rateIndex: 0, steps: 0, seed: nil,
    substreams: [Array(repeating: 7, count: 200), Array(repeating: 9, count: 3)])

  @Test func roundTrip() throws {
    let bytes = Self.sample.serialized()
    #expect(Array(bytes[0..<4]) == Bitstream.magic)
    #expect(try Bitstream(parsing: bytes) == Self.sample)
    #expect(Self.sample.headerLength == 24 + 2 + 1)
    var seeded = Self.sample
    seeded.seed = 0x0123_4567_89AB_CDEF
    seeded.rateIndex = 300
    seeded.steps = 2
    #expect(try Bitstream(parsing: seeded.serialized()) == seeded)
  }

  @Test func malformedHeadersAreNamed() throws {
    let bytes = Self.sample.serialized()
    func code(_ b: [UInt8]) -> String {
      do {
        _ = try Bitstream(parsing: b)
        return "ok"
      } catch { return error.code }
    }
    var b = bytes
    b[0] = 0
    #expect(code(b) == "bitstream.badMagic")
    b = bytes
    b[4] = 2
    #expect(code(b) == "bitstream.unsupportedVersion")
    b = bytes
    b[6] = 9
    #expect(code(b) == "bitstream.invalidField")
    b = bytes
    b[7] = 4
    #expect(code(b) == "bitstream.invalidField")
    b = bytes
    b[23] = 0
    #expect(code(b) == "bitstream.invalidField")
    #expect(code(bytes + [0]) == "bitstream.trailingBytes")
    #expect(code(Array(bytes.dropLast())) == "bitstream.truncated")
    // A length with a redundant continuation byte (200 = C8 01 → C8 81 00) is not canonical.
    b = Array(bytes[0..<24]) + [0xC8, 0x81, 0x00, 0x03] + Array(bytes[27...])
    #expect(code(b) == "bitstream.invalidField")
  }
}

@Suite("gic-v1 sampler noise and rate control")
struct SamplerNoiseTests {
  /// Values from an independent implementation of spec/bitstream.md §7.3 (Python integers).
  @Test func knownValues() {
    #expect(SamplerNoise.value(seed: 0, step: 0, channel: 0, row: 0, column: 0) == 0)
    #expect(SamplerNoise.value(seed: 7, step: 0, channel: 1, row: 2, column: 3) == 21695)
    #expect(
      SamplerNoise.value(seed: .max, step: 3, channel: 95, row: 31, column: 47) == -5566)
    #expect(
      SamplerNoise.value(seed: 123_456_789, step: 1, channel: 65535, row: 65535, column: 65535)
        == 3362)
  }

  /// The noise is roughly uniform: mean near 0, every sixteenth of the range hit about equally.
  @Test func uniform() {
    var buckets = [Int](repeating: 0, count: 16)
    var sum = 0
    for c in 0..<16 {
      for y in 0..<64 {
        for x in 0..<64 {
          let v = Int(SamplerNoise.value(seed: 42, step: 1, channel: c, row: y, column: x))
          sum += v
          buckets[(v + 32768) >> 12] += 1
        }
      }
    }
    let n = 16 * 64 * 64
    #expect(abs(Double(sum) / Double(n)) < 300)
    #expect(buckets.allSatisfy { abs($0 - n / 16) < n / 16 / 5 })
  }

  /// Fixed-rate profiles refuse rate-control parameters; gic-v1 refuses out-of-range ones.
  @Test func parametersAreChecked() throws {
    let mbt = try CodecFixtures.codec("mbt2018-mean-N16-M24.gicw")
    let gic = try CodecFixtures.codec("gic-v1-N16-M24-W16-random.gicw")
    let image = try CodecFixtures.image("rgb-77x45.png").image
    #expect(throws: BitstreamError.self) { _ = try mbt.encode(image, rateIndex: 3) }
    #expect(throws: BitstreamError.self) { _ = try mbt.encode(image, steps: 2) }
    #expect(throws: BitstreamError.self) { _ = try mbt.encode(image, targetBitsPerPixel: 1) }
    #expect(throws: BitstreamError.self) { _ = try gic.encode(image, rateIndex: 256) }
    #expect(throws: BitstreamError.self) { _ = try gic.encode(image, rateIndex: 3, steps: 5) }
    // A stream whose steps field was raised beyond 4 is refused by the decoder.
    var stream = try gic.encode(image, rateIndex: 3, steps: 2)
    stream.steps = 9
    #expect(throws: BitstreamError.self) { _ = try gic.decode(stream) }
  }

  /// The encoder's size never decreases with the requested rate index, never exceeds the size at
  /// exactly that index, and --target-bpp picks the closest.
  @Test func rateIsMonotoneAndTargetable() throws {
    let gic = try CodecFixtures.codec("gic-v1-N16-M24-W16-random.gicw")
    let image = try CodecFixtures.image("rgb-77x45.png").image
    let analysis = try gic.analyze(image)
    var sizes: [Int] = []
    for r in 0..<256 {
      let best = try gic.codeBest(analysis, rateIndex: r, steps: 0)
      let exact = try gic.code(analysis, rateIndex: r, steps: 0)
      #expect(best.serialized().count <= exact.serialized().count)
      #expect((r...min(r + HyperpriorCodec.rateSearchWindow, 255)).contains(best.rateIndex))
      sizes.append(best.serialized().count)
    }
    #expect(zip(sizes, sizes.dropFirst()).allSatisfy { $0 <= $1 }, "\(sizes)")
    let pixels = Double(image.width * image.height)
    let target = Double(sizes[sizes.count / 2] * 8 + 5) / pixels
    let chosen = try gic.encode(image, targetBitsPerPixel: target)
    let got = Double(chosen.serialized().count * 8) / pixels
    for size in sizes {
      #expect(abs(got - target) <= abs(Double(size * 8) / pixels - target) + 1e-12)
    }
    // --target-bpp inf asks for the top rate: index 255 (as coded by codeBest), not 254.
    let top = try gic.encode(image, targetBitsPerPixel: .infinity)
    let best = try gic.codeBest(analysis, rateIndex: 255, steps: 0)
    #expect(top.serialized() == best.serialized())
    #expect(top.rateIndex == sizes.count - 1 || top.rateIndex == 255)
  }
}
