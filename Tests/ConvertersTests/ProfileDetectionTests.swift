import Converters
import Foundation
import GICTestSupport
import Testing
import WeightFormat

/// The key sets of the six `compressai.zoo` image architectures (python/make_zoo_keys.py).
enum ZooKeys {
  static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/zoo/keys.json")

  /// Shapes by key, per architecture.
  static func all() throws -> [String: [String: [Int]]] {
    try JSONDecoder().decode([String: [String: [Int]]].self, from: Data(contentsOf: url))
  }
}

@Suite("profile detection accounts for every array")
struct ProfileDetectionTests {
  @Test(
    "each compressai.zoo architecture is converted by its profile or refused, naming it",
    arguments: CompressAIArchitecture.allCases)
  func zoo(architecture: CompressAIArchitecture) throws {
    let shapes = try #require(try ZooKeys.all()[architecture.rawValue])
    for prefixed in [false, true] {
      let input =
        prefixed
        ? Dictionary(uniqueKeysWithValues: shapes.map { ("module." + $0.key, $0.value) })
        : shapes
      let detection = ProfileDetection.detect(shapes: input)
      #expect(detection.architecture == architecture.rawValue)
      if let profile = architecture.codecProfile {
        #expect(detection.profile == profile.rawValue)
        #expect(detection.ignoredArrays.isEmpty)
        #expect(detection.refusal == nil)
        #expect(ProfileDetection.mismatch(profile, shapes: input) == nil)
      } else {
        #expect(detection.profile == nil)
        let refusal = try #require(detection.refusal)
        #expect(refusal.contains("CompressAI \(architecture.rawValue) (\(architecture.className))"))
        #expect(refusal.contains("profiles: raw, compressai-tables, bmshj2018-hyperprior"))
        #expect(throws: UnsupportedArchitectureError.self) {
          try ConversionProfile.detect(shapes: input)
        }
      }
    }
  }

  @Test("mbt2018 converts as profile mbt2018, not mbt2018-mean, with or without its mask buffer")
  func mbt2018() throws {
    let shapes = try #require(try ZooKeys.all()["mbt2018"])
    let detection = ProfileDetection.detect(shapes: shapes)
    #expect(detection.profile == "mbt2018")
    #expect(detection.architecture == "mbt2018")
    #expect(detection.ignoredArrays.isEmpty && detection.refusal == nil)
    #expect(ProfileDetection.mismatch(.mbt2018, shapes: shapes) == nil)
    var unmasked = shapes
    unmasked["context_prediction.mask"] = nil
    #expect(ProfileDetection.mismatch(.mbt2018, shapes: unmasked) == nil)
    var partial = shapes
    partial["entropy_parameters.4.bias"] = nil
    #expect(
      ProfileDetection.mismatch(.mbt2018, shapes: partial)
        == "missing array entropy_parameters.4.bias")
    #expect(
      ProfileDetection.mismatch(.mbt2018Mean, shapes: shapes)
        == "array context_prediction.bias [24] and 8 more not read by mbt2018-mean")
  }

  @Test("cheng2020-anchor converts as profile cheng2020-anchor; its arrays are checked by N")
  func cheng2020Anchor() throws {
    let shapes = try #require(try ZooKeys.all()["cheng2020-anchor"])
    #expect(try ProfileDetection.choose(shapes: shapes) == .cheng2020Anchor)
    #expect(ProfileDetection.mismatch(.cheng2020Anchor, shapes: shapes) == nil)
    var unmasked = shapes
    unmasked["context_prediction.mask"] = nil
    #expect(ProfileDetection.mismatch(.cheng2020Anchor, shapes: unmasked) == nil)
    try Self.checksArrays(
      .cheng2020Anchor, shapes, missing: "g_s.3.upsample.0.bias",
      misshapen: ("h_s.6.0.weight", [48, 8, 3, 3], [48, 12, 3, 3]), extra: "g_a.6.skip.weight")
    // Other profiles, forced, name the first array they cannot read.
    #expect(ProfileDetection.mismatch(.mbt2018, shapes: shapes) == "missing array g_a.0.weight")
    // cheng2020-attn's keys are not cheng2020-anchor's.
    let attn = try #require(try ZooKeys.all()["cheng2020-attn"])
    let crossed: [(ModelProfile, [String: [Int]], String)] = [
      (.cheng2020Anchor, attn, "g_a.3.conv1.weight"),
      (.cheng2020Attn, shapes, "g_a.3.conv_a.0.conv.0.weight"),
    ]
    for (profile, keys, first) in crossed {
      #expect(ProfileDetection.mismatch(profile, shapes: keys) == "missing array \(first)")
    }
  }

  @Test("cheng2020-attn converts as profile cheng2020-attn; its attention blocks are checked")
  func cheng2020Attn() throws {
    let shapes = try #require(try ZooKeys.all()["cheng2020-attn"])
    #expect(try ProfileDetection.choose(shapes: shapes) == .cheng2020Attn)
    #expect(ProfileDetection.mismatch(.cheng2020Attn, shapes: shapes) == nil)
    // The four blocks: g_a.3, g_a.8, g_s.0, g_s.5, each 19 convolutions.
    let attention = shapes.keys.filter { $0.contains(".conv_a.") || $0.contains(".conv_b.") }
    #expect(attention.count == 4 * 19 * 2)
    let blocks = Set(attention.map { $0.split(separator: ".").prefix(2).joined(separator: ".") })
    #expect(blocks == ["g_a.3", "g_a.8", "g_s.0", "g_s.5"])
    try Self.checksArrays(
      .cheng2020Attn, shapes, missing: "g_s.5.conv_b.3.bias",
      misshapen: ("g_a.8.conv_a.1.conv.2.weight", [8, 4, 3, 3], [4, 4, 3, 3]),
      extra: "g_s.0.conv_a.3.weight")
  }

  /// `profile`, forced on `shapes` with `missing` removed, with `misshapen`'s array given the
  /// wrong shape, or with the array `extra` (8, 8, 1, 1) added, names that array; with the extra
  /// array, `--profile auto` refuses it, naming the architecture.
  static func checksArrays(
    _ profile: ModelProfile, _ shapes: [String: [Int]], missing: String,
    misshapen: (key: String, shape: [Int], expected: [Int]), extra: String
  ) throws {
    var without = shapes
    without[missing] = nil
    #expect(ProfileDetection.mismatch(profile, shapes: without) == "missing array \(missing)")
    var wrong = shapes
    wrong[misshapen.key] = misshapen.shape
    let expected = "expected \(misshapen.expected) for N = 8"
    #expect(
      ProfileDetection.mismatch(profile, shapes: wrong)
        == "\(misshapen.key) has shape \(misshapen.shape), \(expected)")
    var more = shapes
    more[extra] = [8, 8, 1, 1]
    #expect(
      ProfileDetection.mismatch(profile, shapes: more)
        == "array \(extra) [8, 8, 1, 1] not read by \(profile.name)")
    let refused = ProfileDetection.detect(shapes: more)
    #expect(refused.profile == nil && refused.ignoredArrays == [extra])
    let error = try requireThrows(UnsupportedArchitectureError.self) {
      _ = try ProfileDetection.choose(shapes: more)
    }
    #expect(error.architecture.codecProfile == profile)
  }

  @Test("a forced profile names the first missing, misshapen or unexpected array")
  func forced() throws {
    let zoo = try ZooKeys.all()
    let hyperprior = try #require(zoo["bmshj2018-hyperprior"])
    #expect(
      ProfileDetection.mismatch(.mbt2018Mean, shapes: hyperprior)
        == "h_s.4.weight has shape [12, 8, 3, 3], expected 2M = 24 output channels for "
        + "mbt2018-mean")
    var missing = hyperprior
    missing["h_a.2.weight"] = nil
    #expect(
      ProfileDetection.mismatch(.bmshj2018Hyperprior, shapes: missing)
        == "missing array h_a.2.weight")
    let detection = ProfileDetection.detect(shapes: missing)
    #expect(detection.profile == nil)
    #expect(detection.refusal?.contains("cannot read it: missing array h_a.2.weight") == true)
    var extra = hyperprior
    extra["decoder.extra"] = [2]
    let refused = ProfileDetection.detect(shapes: extra)
    #expect(refused.ignoredArrays == ["decoder.extra"])
    #expect(
      refused.refusal?.contains(
        "profile bmshj2018-hyperprior cannot read it: array decoder.extra [2] not read") == true)
  }

  @Test("a gic-v1 export with an array gic-v1 does not read is refused as gic-v1's")
  func gicV1Extra() throws {
    var shapes = try #require(try ZooKeys.all()["mbt2018-mean"])
    for key in ["reverse.conv_in.weight", "reverse.film0.weight", "rate.q_max", "rate.q_min"] {
      shapes[key] = [1]
    }
    #expect(ProfileDetection.detect(shapes: shapes).profile == "gic-v1")
    shapes["extra.weight"] = [3]
    let refusal = try #require(ProfileDetection.detect(shapes: shapes).refusal)
    #expect(
      refusal.contains("profile gic-v1 cannot read it: array extra.weight [3] not read by gic-v1"))
  }

  @Test("state dicts that are no CompressAI image model stay raw or compressai-tables")
  func others() {
    #expect(ProfileDetection.detect(shapes: ["a": [2], "b": [3, 4]]).profile == "raw")
    let bottleneck = ProfileDetection.detect(shapes: [
      "entropy_bottleneck.quantiles": [4, 1, 3], "entropy_bottleneck._quantized_cdf": [4, 9],
    ])
    #expect(bottleneck.profile == "compressai-tables")
    #expect(bottleneck.ignoredArrays.isEmpty)
  }
}

@Suite("exports without update()")
struct EmptyTablesTests {
  @Test("the default scale table equals CompressAI's get_scale_table() bit for bit")
  func defaultScaleTable() throws {
    let arrays = try ModelConverter.readArrays(CompressAITablesTests.exampleModel)
    let stored = try #require(arrays.first { $0.name == "gaussian_conditional.scale_table" })
    let bits = CompressAITables.defaultScaleTable().map(\.bitPattern.littleEndian)
    #expect(stored.array.data == bits.withUnsafeBytes { Data($0) })
  }

  @Test("empty tables are removed and an empty scale table filled, with a note for each")
  func treatedAsAbsent() throws {
    var arrays: [String: NumPyArray] = [:]
    for (name, array) in try ModelConverter.readArrays(CompressAITablesTests.exampleModel) {
      let empty = ["._quantized_cdf", "._offset", "._cdf_length", ".scale_table"].contains {
        name.hasSuffix($0)
      }
      arrays[name] = empty ? NumPyArray(dtype: array.dtype, shape: [0], data: Data()) : array
    }
    let (filled, notes) = CompressAITables.treatingEmptyTablesAsAbsent(arrays)
    #expect(notes.count == 3)
    #expect(filled["entropy_bottleneck._quantized_cdf"] == nil)
    #expect(filled["gaussian_conditional._offset"] == nil)
    #expect(filled["gaussian_conditional.scale_table"]?.shape == [64])
    #expect(try CompressAITables.table(prefix: "entropy_bottleneck", in: filled).count == 16)
    // Tables with content are left alone.
    let untouched = try ModelConverter.readArrays(CompressAITablesTests.exampleModel)
    let kept = CompressAITables.treatingEmptyTablesAsAbsent(
      Dictionary(uniqueKeysWithValues: untouched.map { ($0.name, $0.array) }))
    #expect(kept.notes.isEmpty && kept.arrays.count == untouched.count)
  }
}
