import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// Profile 4, `bmshj2018-factorized` (spec/bitstream.md §10), on the published model of its
/// conformance set.
@Suite("bmshj2018-factorized codec")
struct FactorizedCodecTests {
  static let modelPath = ConformanceTests.root
    .appendingPathComponent("bmshj2018-factorized/models/bmshj2018-factorized-N64-M96.gicw").path

  /// The published model with its metadata changed by `edit`.
  static func edited(_ edit: (inout [String: MetadataValue]) -> Void) throws -> WeightFile {
    let file = try WeightFile.open(path: modelPath)
    var metadata = Dictionary(uniqueKeysWithValues: file.metadata.map { ($0.key, $0.value) })
    edit(&metadata)
    var writer = WeightFileWriter()
    for (key, value) in metadata { try writer.setMetadata(key, value) }
    for record in file.tensors { try writer.add(file.tensorValue(record)) }
    for record in file.cdfTables { try writer.add(record.table, named: record.name) }
    return try WeightFile(bytes: Data(writer.serialized()))
  }

  /// A 70 × 50 picture of smooth gradients and a little texture.
  static func picture() throws -> RGBImage {
    let (w, h) = (70, 50)
    var pixels = [UInt8](repeating: 0, count: w * h * 3)
    for y in 0..<h {
      for x in 0..<w {
        let i = (y * w + x) * 3
        pixels[i] = UInt8((x * 255) / w)
        pixels[i + 1] = UInt8((y * 255) / h)
        pixels[i + 2] = UInt8(((x ^ y) & 15) * 16)
      }
    }
    return try RGBImage(width: w, height: h, pixels: pixels)
  }

  @Test func loadsWithoutHyperprior() throws {
    let codec = try HyperpriorCodec(file: try WeightFile.open(path: Self.modelPath))
    #expect(codec.profile == .bmshj2018Factorized)
    #expect(codec.hyperAnalysis == nil && codec.hyperSynthesis == nil)
    #expect(!ModelProfile.bmshj2018Factorized.hasHyperprior)
    #expect(ModelProfile(bitstreamCode: 4) == .bmshj2018Factorized)
  }

  /// One substream; the same bytes and pixels for 1 and 2 threads.
  @Test func codesOneSubstreamDeterministically() throws {
    let codec = try HyperpriorCodec(file: try WeightFile.open(path: Self.modelPath))
    let image = try Self.picture()
    let one = try codec.encode(image, threads: 1)
    let two = try codec.encode(image, threads: 2)
    #expect(one.substreams.count == 1)
    #expect(one.profile == .bmshj2018Factorized)
    #expect(one.serialized() == two.serialized())
    let parsed = try Bitstream(parsing: one.serialized())
    let a = try codec.decode(parsed, threads: 1)
    let b = try codec.decode(parsed, threads: 2)
    #expect(a.pixels == b.pixels)
    #expect(a.width == 70 && a.height == 50)
  }

  /// A stream of profile 4 with two substreams is refused (spec/bitstream.md §2.2).
  @Test func twoSubstreamsAreRefused() throws {
    let codec = try HyperpriorCodec(file: try WeightFile.open(path: Self.modelPath))
    var stream = try codec.encode(try Self.picture())
    stream.substreams.append([])
    #expect(throws: BitstreamError.self) { _ = try codec.decode(stream) }
  }

  /// Strides the graphs do not have are refused at load (spec/bitstream.md §10.1).
  @Test func stridesMustMatchGraphs() throws {
    let file = try Self.edited { $0["gic.codec.latent_stride"] = .integer(8) }
    #expect(throws: ModelError.self) { _ = try HyperpriorCodec(file: file) }
  }
}
