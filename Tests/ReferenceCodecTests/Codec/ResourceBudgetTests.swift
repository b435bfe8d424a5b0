import Foundation
import GICTestSupport
import ReferenceCodec
import Testing
import WeightFormat

/// The resource budget (issue #17): what a picture needs is computed from the graphs, and a
/// picture or model over the budget is refused with a typed error before anything large is
/// allocated.
@Suite("Resource budget")
struct ResourceBudgetTests {
  static func fixture(_ name: String) throws -> WeightFile {
    try WeightFile.open(path: CodecFixtures.root.appendingPathComponent(name).path)
  }

  /// The crafted model: g_s widened to 65,536 channels by two zero-weight 1×1
  /// convolutions, digests recomputed.
  static func wide() throws -> WeightFile {
    try WeightFile(
      bytes: Data(try CraftedModels.wideSynthesis(try fixture("mbt2018-mean-N16-M24.gicw"))))
  }

  /// A stream header for `codec` (empty substreams: the budget is checked before them).
  static func stream(_ codec: HyperpriorCodec, width: Int, height: Int) throws -> Bitstream {
    try ResourceLimitTests.stream(codec, width: width, height: height)
  }

  /// The crafted model loads (its smallest picture needs 512 MiB), and decoding a 768 × 512
  /// stream is refused with what it would need (48 GiB), not an abort.
  ///
  /// Its g_s is not run in
  /// bands: bands small enough for its 65,536-channel rows would recompute their halos some
  /// sixty times over (`maxBandWork`).
  @Test func wideModelIsRefusedBeforeAllocating() throws {
    let codec = try HyperpriorCodec(file: try Self.wide(), budget: .standard)
    let needs = try codec.needs(width: 768, height: 512, for: .decoding)
    #expect(needs.memory > 48 << 30 && needs.memory < 49 << 30)
    let stream = try Self.stream(codec, width: 768, height: 512)
    expectThrows {
      _ = try codec.decode(stream)
    } matching: { error in
      guard case .memoryExceeded(let work, let n, let limit) = error as? ResourceError else {
        return false
      }
      let text = (error as? ResourceError)?.description ?? ""
      return work == "decoding" && n == needs && limit == ResourceBudget.defaultMaxMemory
        && text.contains("48.0 GiB") && text.contains("more than the limit of 8 GiB")
        && (error as? ResourceError)?.code == "resource.memoryExceeded"
    }
  }

  /// With no limit on the work, the crafted model's 768 × 512 decode would run g_s in bands
  /// of its 65,536-channel rows: less memory than 48 GiB, but many times the multiply-adds.
  @Test func wideModelInBandsCostsWork() throws {
    let codec = try HyperpriorCodec(
      file: try Self.wide(), budget: ResourceBudget(maxBandWork: .max))
    let banded = try codec.needs(width: 768, height: 512, for: .decoding)
    let whole = try HyperpriorCodec(file: try Self.wide(), budget: .standard)
      .needs(width: 768, height: 512, for: .decoding)
    #expect(banded.memory < whole.memory / 4, "\(banded)")
    #expect(banded.multiplyAccumulates > 10 * whole.multiplyAccumulates, "\(banded)")
  }

  /// With a budget smaller than the smallest picture's needs, the model itself is refused.
  @Test func modelOverBudgetIsRefusedAtLoad() throws {
    expectThrows {
      _ = try HyperpriorCodec(file: try Self.wide(), budget: ResourceBudget(maxMemory: 256 << 20))
    } matching: { error in
      guard case .resources(.memoryExceeded(_, let needs, _)) = error as? ModelError else {
        return false
      }
      return needs.width == 64 && needs.height == 64 && needs.memory > 512 << 20
    }
  }

  /// `maxPixels` refuses a larger padded picture, for encoding and decoding alike.
  @Test func pixelLimit() throws {
    let codec = try HyperpriorCodec(
      file: try Self.fixture("mbt2018-mean-N16-M24.gicw"),
      budget: ResourceBudget(maxPixels: 128 * 128))
    #expect(throws: ResourceError.tooManyPixels(width: 192, height: 128, limit: 128 * 128)) {
      _ = try codec.decode(try Self.stream(codec, width: 130, height: 100))
    }
    let image = try RGBImage(width: 130, height: 100, pixels: [UInt8](repeating: 7, count: 39000))
    #expect(throws: ResourceError.tooManyPixels(width: 192, height: 128, limit: 128 * 128)) {
      _ = try codec.encode(image, grayscale: false, threads: 1)
    }
    // Within the limit, the picture codes as before.
    let small = try RGBImage(
      width: 64, height: 64, pixels: [UInt8](repeating: 7, count: 64 * 64 * 3))
    let decoded = try codec.decode(try codec.encode(small, grayscale: false, threads: 1))
    #expect(decoded.width == 64)
  }

  /// The shipped models fit the default budget at the largest picture the format allows, within
  /// 1 GiB since their transforms run in bands (the figures of docs/robustness.md §5).
  @Test(arguments: [
    "bmshj2018-hyperprior-N64-M96.gicw", "mbt2018-mean-N64-M96.gicw", "gic-v1.gicw",
  ])
  func shippedModelsFitTheDefaults(model: String) throws {
    let path = CodecFixtures.root.appendingPathComponent("../../../../conformance/models/" + model)
    let codec = try HyperpriorCodec(file: try WeightFile.open(path: path.path), budget: .standard)
    for work in [HyperpriorCodec.Work.encoding, .decoding] {
      let small = try codec.needs(width: 768, height: 512, for: work)
      let large = try codec.needs(width: 8192, height: 8192, for: work)
      #expect(small.memory > 10 << 20 && small.memory < 40 << 20, "\(model) \(work) \(small)")
      #expect(large.memory <= ResourceBudget.defaultMaxMemory, "\(model) \(work) \(large)")
      #expect(large.memory < 1 << 30 && large.memory > 10 * small.memory)
      try codec.checkBudget(width: 8192, height: 8192, for: work)
    }
  }
}
