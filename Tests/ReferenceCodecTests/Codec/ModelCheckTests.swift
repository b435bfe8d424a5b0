import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// Models that load-time checks must refuse; found by the independent NumPy decoder
/// (python/gic_spec_decoder/SPEC_NOTES.md §1, §2, §7), where gic-ref used to accept them and
/// then stop on a precondition while decoding.
@Suite("Codec model checks (regressions)")
struct ModelCheckTests {
  /// The gic-v1 fixture with its metadata changed by `edit`.
  static func edited(_ edit: (inout [String: MetadataValue]) throws -> Void) throws -> WeightFile {
    let file = try WeightFile.open(
      path: CodecFixtures.root.appendingPathComponent("gic-v1-N16-M24-W16-random.gicw").path)
    var metadata = Dictionary(uniqueKeysWithValues: file.metadata.map { ($0.key, $0.value) })
    try edit(&metadata)
    var writer = WeightFileWriter()
    for (key, value) in metadata { try writer.setMetadata(key, value) }
    for record in file.tensors { try writer.add(file.tensorValue(record)) }
    for record in file.cdfTables { try writer.add(record.table, named: record.name) }
    return try WeightFile(bytes: Data(writer.serialized()))
  }

  static func graph(_ m: [String: MetadataValue], _ name: String) throws -> GraphDescription {
    try GraphDescription(try #require(m[GraphDescription.metadataKey(name)]), name: name)
  }

  @Test func unchangedFixtureLoads() throws {
    _ = try HyperpriorCodec(file: try Self.edited { _ in })
  }

  /// The reverse network's output range wider than g_s's input range.
  @Test func reverseOutputMustFitSynthesisInput() throws {
    let file = try Self.edited { m in
      var gs = try Self.graph(m, "g_s")
      gs.inputs[0].lo = -3000
      m[GraphDescription.metadataKey("g_s")] = gs.metadataValue
    }
    expectThrows {
      _ = try HyperpriorCodec(file: file)
    } matching: { error in
      (error as? ModelError)?.description.contains("reverse graph") == true
    }
  }

  /// Strides that disagree with what the graphs do.
  @Test(arguments: [
    ("gic.codec.hyper_stride", 32), ("gic.codec.hyper_stride", 128),
    ("gic.codec.latent_stride", 8),
  ])
  func stridesMustMatchGraphs(key: String, value: Int64) throws {
    let file = try Self.edited { m in m[key] = .integer(value) }
    #expect(throws: ModelError.self) { _ = try HyperpriorCodec(file: file) }
  }

  /// Conditioning tables with more levels than the rate tables use.
  @Test func conditioningLevelsMustMatch() throws {
    let file = try Self.edited { m in m["gic.rate.extra_levels"] = .integer(127) }
    #expect(throws: ModelError.self) { _ = try HyperpriorCodec(file: file) }
  }
}
