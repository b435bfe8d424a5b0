import Converters
import Foundation
import Testing
import WeightFormat

/// Profile `mbt2018` end to end: the shipped CompressAI export converts (with or without its
/// mask buffer, to the same model), a mask that is not CompressAI's type-A mask is refused, and
/// the model codes a picture.
@Suite("gic-convert and gic-ref on an mbt2018 export")
struct ContextModelCLITests {
  static let export = CLIRunner.repositoryRoot.appendingPathComponent(
    "models/context/mbt2018-N64-M96.npz"
  ).path
  /// A small calibration and test picture, so that a debug conversion takes seconds.
  static let picture = CLIRunner.repositoryRoot.appendingPathComponent(
    "Tests/ReferenceCodecTests/Fixtures/codec/rgb-77x45.png"
  ).path

  /// Writes the export's arrays, changed by `edit`, to `dir/name`.
  static func rewrite(
    in dir: URL, _ name: String, _ edit: (inout [String: NumPyArray]) -> Void
  ) throws -> String {
    var arrays: [String: NumPyArray] = [:]
    for (key, array) in try ModelConverter.readArrays(export) { arrays[key] = array }
    edit(&arrays)
    var npz = NPZWriter()
    for (key, a) in arrays.sorted(by: { $0.key < $1.key }) {
      npz.add(name: key, dtype: a.dtype, shape: a.shape, data: a.data)
    }
    let path = dir.appendingPathComponent(name).path
    try npz.write(to: path)
    return path
  }

  /// `a` with its float32 element `index` set to 1.0.
  static func settingOne(_ a: NumPyArray, at index: Int) -> NumPyArray {
    var bytes = [UInt8](a.data)
    bytes.replaceSubrange(4 * index..<4 * index + 4, with: [0, 0, 0x80, 0x3F])
    return NumPyArray(dtype: a.dtype, shape: a.shape, data: Data(bytes))
  }

  /// The model digest a `--json` conversion reports.
  static func digest(_ result: CLIRunner.Result) throws -> String {
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    return try #require(object["model_digest"] as? String)
  }

  @Test func convertsCodesAndChecksTheMask() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let options = ["--calibration", Self.picture, "--no-provenance", "--json"]
    let converted = try CLIRunner.run(
      "gic-convert", [Self.export, "-o", "m.gicw"] + options, in: dir)
    #expect(converted.status == 0, "\(converted.stderr)")
    #expect(converted.stdout.contains("\"profile\" : \"mbt2018\""), "\(converted.stdout)")

    // No mask buffer, and a non-zero weight at a non-causal tap: the type-A mask is applied
    // anyway, so the model is the same.
    let unmasked = try Self.rewrite(in: dir, "unmasked.npz") { arrays in
      arrays["context_prediction.mask"] = nil
      if let w = arrays["context_prediction.weight"] {
        // Element (0, 0, 4, 4): a non-causal tap.
        arrays["context_prediction.weight"] = Self.settingOne(w, at: 24)
      }
    }
    let second = try CLIRunner.run("gic-convert", [unmasked, "-o", "u.gicw"] + options, in: dir)
    #expect(second.status == 0, "\(second.stderr)")
    #expect(try Self.digest(second) == Self.digest(converted))

    // A mask that opens a non-causal tap is refused before calibration.
    let wrong = try Self.rewrite(in: dir, "wrong-mask.npz") { arrays in
      if let mask = arrays["context_prediction.mask"] {
        arrays["context_prediction.mask"] = Self.settingOne(mask, at: 24)
      }
    }
    let refused = try CLIRunner.run("gic-convert", [wrong, "-o", "w.gicw"] + options, in: dir)
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("not CompressAI's type-A mask"), "\(refused.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("w.gicw").path))

    let encoded = try CLIRunner.run(
      "gic-ref", ["encode", Self.picture, "-m", "m.gicw", "-o", "a.gic"], in: dir)
    #expect(encoded.status == 0, "\(encoded.stderr)")
    let decoded = try CLIRunner.run(
      "gic-ref", ["decode", "a.gic", "-m", "m.gicw", "-o", "a.png"], in: dir)
    #expect(decoded.status == 0, "\(decoded.stderr)")
    let other = try CLIRunner.run(
      "gic-ref", ["decode", "a.gic", "-m", "u.gicw", "-o", "b.png", "--threads", "2"], in: dir)
    #expect(other.status == 0, "\(other.stderr)")
    let a = try Data(contentsOf: dir.appendingPathComponent("a.png"))
    let b = try Data(contentsOf: dir.appendingPathComponent("b.png"))
    #expect(a == b)
  }
}
