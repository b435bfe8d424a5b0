import Foundation
import Testing
import WeightFormat

@testable import ReferenceCodec

/// Profiles 6 and 7: residual transforms with the context model of profile 5.
///
/// `cheng2020-anchor` (spec/bitstream.md §12) and `cheng2020-attn` (§13, the same with attention
/// blocks) on small untrained models with a fixed seed (Fixtures/context/README.md). The tests
/// with a `Fixture` argument run on both.
@Suite("cheng2020-anchor and cheng2020-attn codecs (residual transforms, context model)")
struct Cheng2020CodecTests {
  /// A fixture model of profile 6 or 7.
  struct Fixture: Sendable, CustomTestStringConvertible {
    let path: String
    let profile: ModelProfile
    var testDescription: String { profile.name }

    static let anchor = Self(
      path: "Tests/ReferenceCodecTests/Fixtures/context/cheng2020-anchor-N16.gicw",
      profile: .cheng2020Anchor)
    static let attn = Self(
      path: "Tests/ReferenceCodecTests/Fixtures/context/cheng2020-attn-N16.gicw",
      profile: .cheng2020Attn)
    static let all = [anchor, attn]

    func codec(bandBytes: Int = ResourceBudget.defaultBandBytes, maxBandWork: Int = 2) throws
      -> HyperpriorCodec
    {
      try BandedRunTests.codec(path, bandBytes: bandBytes, maxBandWork: maxBandWork)
    }
  }

  static let model = Fixture.anchor.path

  static func codec(bandBytes: Int = ResourceBudget.defaultBandBytes, maxBandWork: Int = 2) throws
    -> HyperpriorCodec
  {
    try Fixture.anchor.codec(bandBytes: bandBytes, maxBandWork: maxBandWork)
  }

  @Test func loadsAsProfileSix() throws {
    let codec = try Self.codec()
    #expect(codec.profile == .cheng2020Anchor)
    #expect(ModelProfile(bitstreamCode: 6) == .cheng2020Anchor)
    #expect(ModelProfile.cheng2020Anchor.hasHyperprior)
    #expect(ModelProfile.cheng2020Anchor.hasContextModel)
    #expect(codec.multiple == 64 && codec.latentStride == 16)
    let graphs = try #require(codec.contextGraphs)
    #expect(graphs.entropyParameters.outputs.map(\.channels) == [16, 16])
    #expect(codec.hyperSynthesis?.outputs.map(\.channels) == [32])
    // The residual and sub-pixel structure is stored as plain operators.
    let ops = Set(codec.synthesis.steps.map { String(describing: type(of: $0.operation)) })
    #expect(ops.contains("PixelShuffleOperator") && ops.contains("AddOperator"), "\(ops)")
  }

  /// Profile 7 loads with its attention blocks as `lookup` (the sigmoid) and `mul` nodes: two
  /// in g_a, two in g_s.
  @Test func attnLoadsAsProfileSeven() throws {
    let codec = try Fixture.attn.codec()
    #expect(codec.profile == .cheng2020Attn)
    #expect(ModelProfile(bitstreamCode: 7) == .cheng2020Attn)
    #expect(ModelProfile.cheng2020Attn.hasHyperprior && ModelProfile.cheng2020Attn.hasContextModel)
    #expect(codec.multiple == 64 && codec.latentStride == 16)
    #expect(codec.hyperSynthesis?.outputs.map(\.channels) == [32])
    for graph in [codec.analysis, codec.synthesis] {
      let ops = graph.steps.map { String(describing: type(of: $0.operation)) }
      #expect(ops.filter { $0 == "LookupOperator" }.count == 2, "\(graph.name)")
      #expect(ops.filter { $0 == "MulOperator" }.count == 2, "\(graph.name)")
    }
  }

  /// Encode → decode; the same bytes and pixels for 1, 2 and 8 threads and every kernel path.
  @Test(arguments: Fixture.all, [false, true])
  func roundTripIsDeterministic(fixture: Fixture, larger: Bool) throws {
    let codec = try fixture.codec()
    let image = larger ? try ContextCodecTests.largerPicture() : try ContextCodecTests.picture()
    let reference = try codec.encode(image, threads: 1, path: .portable)
    #expect(reference.profile == fixture.profile && reference.substreams.count == 2)
    let parsed = try Bitstream(parsing: reference.serialized())
    #expect(parsed.profile == fixture.profile)
    let decoded = try codec.decode(parsed, threads: 1, path: .portable)
    #expect(decoded.width == image.width && decoded.height == image.height)
    for path in KernelPath.available {
      for threads in [1, 2, 8] {
        let stream = try codec.encode(image, threads: threads, path: path)
        #expect(stream.serialized() == reference.serialized(), "\(path) \(threads) threads")
        let picture = try codec.decode(parsed, threads: threads, path: path)
        #expect(picture.pixels == decoded.pixels, "\(path) \(threads) threads")
      }
    }
  }

  /// The decoder's ŷ equals the encoder's, and the position-by-position context path equals the
  /// stored graphs run whole on the final ŷ.
  @Test(arguments: Fixture.all)
  func perPositionPathEqualsWholeGraphs(fixture: Fixture) throws {
    let yHat = try ContextCodecTests.expectPerPositionPathEqualsWholeGraphs(try fixture.codec())
    #expect(yHat.height == 8 && yHat.width == 12)
  }

  /// Every graph run in bands of 1 to 5 output rows (residual adds, strided skips, pixel
  /// shuffles and attention blocks included) equals the whole run, on odd sizes.
  @Test(arguments: Fixture.all)
  func everyGraphBandedEqualsWhole(fixture: Fixture) throws {
    let codec = try fixture.codec()
    let ha = try #require(codec.hyperAnalysis)
    let hs = try #require(codec.hyperSynthesis)
    let graphs: [(IntegerGraph, Int, Int)] = [
      (codec.analysis, 192, 80), (codec.analysis, 70, 33), (codec.synthesis, 12, 4),
      (codec.synthesis, 7, 3), (ha, 12, 5), (hs, 5, 3),
    ]
    for (n, (graph, h, w)) in graphs.enumerated() {
      #expect(graph.rowGeometry() != nil, "\(graph.name) bands")
      let inputs = BandedRunTests.inputs(graph, height: h, width: w, seed: UInt64(61 + n))
      let whole = graph.run(inputs)
      for band in [1, 2, 3, 4, 5, max(1, whole[0].height / 3)] {
        let banded = try BandedRunTests.banded(graph, inputs, band: band)
        #expect(banded == whole, "\(graph.name) \(h)×\(w) bands of \(band)")
      }
    }
  }

  /// Whole pictures through the codec with bands of one output row: the same bitstream and
  /// pixels as the whole run.
  @Test(arguments: Fixture.all)
  func codecBandedEqualsWhole(fixture: Fixture) throws {
    let whole = try fixture.codec(bandBytes: .max)
    let banded = try fixture.codec(bandBytes: 1, maxBandWork: .max)
    // The residual transforms read many rows around each output row: bands pay off on tall
    // pictures (here a 16 × 512 one, 32 latent rows), not on the small ones, which run whole.
    #expect(banded.synthesis.bandLayout(height: 9, width: 9, bandBytes: 1, maxWork: .max) == nil)
    let gs = try #require(
      banded.synthesis.bandLayout(height: 32, width: 4, bandBytes: 1, maxWork: .max))
    let ga = try #require(
      banded.analysis.bandLayout(height: 512, width: 64, bandBytes: 1, maxWork: .max))
    #expect(gs.plans.count > 1 && ga.plans.count > 1)
    var rng = SplitMix64(seed: 2020)
    for (w, h) in [(1, 1), (70, 1), (77, 45), (130, 65), (16, 512)] {
      let pixels = (0..<(w * h * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) }
      let image = try RGBImage(width: w, height: h, pixels: pixels)
      let a = try whole.encode(image)
      let b = try banded.encode(image, threads: 2)
      #expect(a.serialized() == b.serialized(), "\(w)×\(h) encoding")
      #expect(try whole.decode(a) == banded.decode(a, threads: 2), "\(w)×\(h) decoding")
    }
  }

  /// The resource figures count the new graphs: a larger picture needs more, and a budget
  /// below the smallest picture's needs refuses the model.
  @Test func resourcesCountTheGraphs() throws {
    let codec = try Self.codec()
    for work in [HyperpriorCodec.Work.decoding, .encoding] {
      let small = try codec.needs(width: 64, height: 64, for: work)
      let large = try codec.needs(width: 640, height: 640, for: work)
      #expect(small.memory > 0 && large.memory > small.memory, "\(work)")
      #expect(large.multiplyAccumulates > 90 * small.multiplyAccumulates, "\(work)")
    }
    let needs = try codec.needs(width: 64, height: 64, for: .decoding)
    let file = try WeightFile.open(
      path: BandedRunTests.root.appendingPathComponent(Self.model).path)
    #expect(throws: ModelError.self) {
      _ = try HyperpriorCodec(file: file, budget: ResourceBudget(maxMemory: needs.memory - 1))
    }
  }

  /// The N = 64 models on large pictures: the shipped cheng2020-anchor one
  /// (models/context/cheng2020-anchor-N64.gicw) and the seeded cheng2020-attn one of its vector
  /// set.
  ///
  /// Their residual transforms read about ±7 latent rows around each output row (the attention
  /// blocks' 3×3 convolutions add a few rows), so bands need tall slabs: at 2048 × 2048 g_a and
  /// g_s run in bands of the default size; at 8192 × 8192 no band fits 128 MiB within twice the
  /// whole run's work, so they run whole (6.4 GiB to decode, within the default 8 GiB), and a
  /// smaller `--max-memory` refuses the picture up front.
  @Test(arguments: [
    "models/context/cheng2020-anchor-N64.gicw",
    "conformance/cheng2020-attn/models/cheng2020-attn-N64.gicw",
  ])
  func largePicturesBandOrRunWhole(model: String) throws {
    let codec = try BandedRunTests.codec(model)
    let budget = ResourceBudget.defaultBandBytes
    let gs = try #require(codec.synthesis.bandLayout(height: 128, width: 128, bandBytes: budget))
    #expect(gs.peakBytes <= budget && gs.plans.count > 1)
    let ga = try #require(codec.analysis.bandLayout(height: 2048, width: 2048, bandBytes: budget))
    #expect(ga.peakBytes <= budget && ga.plans.count > 1)
    #expect(codec.synthesis.bandLayout(height: 32, width: 48, bandBytes: budget) == nil)
    #expect(codec.synthesis.bandLayout(height: 512, width: 512, bandBytes: budget) == nil)
    for work in [HyperpriorCodec.Work.decoding, .encoding] {
      #expect(try codec.needs(width: 2048, height: 2048, for: work).memory < 256 << 20)
      let needs = try codec.needs(width: 8192, height: 8192, for: work)
      #expect(needs.memory < ResourceBudget.defaultMaxMemory, "\(work) \(needs)")
      try codec.checkBudget(width: 8192, height: 8192, for: work)
    }
    let file = try WeightFile.open(path: BandedRunTests.root.appendingPathComponent(model).path)
    let small = try HyperpriorCodec(file: file, budget: ResourceBudget(maxMemory: 1 << 30))
    #expect(throws: ResourceError.self) {
      try small.checkBudget(width: 8192, height: 8192, for: .decoding)
    }
  }

  /// Damaged streams (the y substream truncated or with bytes flipped, the profile byte
  /// changed) end in a typed error or a picture.
  @Test(arguments: Fixture.all)
  func damagedStreamsFailCleanly(fixture: Fixture) throws {
    let codec = try fixture.codec()
    let stream = try codec.encode(try ContextCodecTests.largerPicture())
    let y = stream.substreams[1]
    let variants = ContextCodecTests.damaged(y)
    var errors = 0
    for v in variants {
      var damaged = stream
      damaged.substreams[1] = v
      do { _ = try codec.decode(damaged) } catch is EntropyError {
        errors += 1
      } catch is BitstreamError { errors += 1 }
    }
    #expect(errors >= 1)
    // A profile 5 header on this model's stream is refused before any decoding.
    var bytes = stream.serialized()
    let offset = try #require(Self.profileOffset(bytes, fixture.profile))
    bytes[offset] = 5
    let relabelled = try Bitstream(parsing: bytes)
    #expect(throws: BitstreamError.self) { _ = try codec.decode(relabelled) }
  }

  /// The header byte holding the profile code (spec/bitstream.md §2).
  static func profileOffset(_ bytes: [UInt8], _ profile: ModelProfile) -> Int? {
    bytes.count > 6 && bytes[6] == profile.bitstreamCode ? 6 : nil
  }
}
