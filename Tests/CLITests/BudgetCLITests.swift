import Foundation
import GICTestSupport
import Testing
import WeightFormat

/// Resource limits on the command line (issue #17): a crafted model or a lowered limit ends in
/// one `error:` line, exit status 1, and no output file — never an abort.
@Suite("gic-ref resource limits")
struct BudgetCLITests {
  let root = CLIRunner.repositoryRoot
  var fixtures: URL { root.appendingPathComponent("Tests/ReferenceCodecTests/Fixtures/codec") }
  var picture: String { root.appendingPathComponent("data/images/test-768x512.png").path }

  /// The crafted model (g_s widened to 65,536 channels) in `dir` as `wide.gicw`.
  func writeWideModel(in dir: URL) throws -> URL {
    let model = try WeightFile.open(
      path: fixtures.appendingPathComponent("mbt2018-mean-N16-M24.gicw").path)
    let url = dir.appendingPathComponent("wide.gicw")
    try Data(try CraftedModels.wideSynthesis(model)).write(to: url)
    return url
  }

  static func sha256(_ url: URL) throws -> String {
    SHA256Hex.of(try Data(contentsOf: url))
  }

  /// What a clean failure looks like: status 1, one `error:` line naming `text`.
  static func expectCleanError(_ r: CLIRunner.Result, _ text: String) {
    #expect(r.status == 1, "\(r.status) \(r.stderr)")
    let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
    #expect(lines.count == 1 && lines[0].contains(text), "\(r.stderr)")
  }

  @Test("the crafted wide model: encode works, decode and verify end in an error, not SIGABRT")
  func wideModel() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try writeWideModel(in: dir).path
    let encode = try CLIRunner.run(
      "gic-ref", ["encode", picture, "-m", model, "-o", "w.gic", "-q"], in: dir)
    #expect(encode.status == 0, "\(encode.stderr)")
    let decode = try CLIRunner.run(
      "gic-ref", ["decode", "w.gic", "-m", model, "-o", "w.png"], in: dir)
    Self.expectCleanError(decode, "would need 48.0 GiB of memory")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("w.png").path))

    // A vector set holding the model: verify reports the vector as an error and exits 1.
    let set = dir.appendingPathComponent("set")
    for sub in ["models", "streams"] {
      try FileManager.default.createDirectory(
        at: set.appendingPathComponent(sub), withIntermediateDirectories: true)
    }
    try FileManager.default.copyItem(atPath: model, toPath: set.path + "/models/wide.gicw")
    try FileManager.default.copyItem(
      atPath: dir.path + "/w.gic", toPath: set.path + "/streams/w.gic")
    let digest = try WeightFile.open(path: model).modelDigestHex
    func manifest(listModel: Bool) throws {
      let vector: [String: Any] = [
        "bitstream": "streams/w.gic",
        "bitstream_sha256": try Self.sha256(set.appendingPathComponent("streams/w.gic")),
        "decoded_bytes": 768 * 512 * 3, "decoded_rgb_md5": String(repeating: "0", count: 32),
        "decoded_rgb_sha256": String(repeating: "0", count: 64), "id": "wide",
        "model": "models/wide.gicw", "model_digest": digest,
        "parameters": [
          "grayscale": false, "height": 512, "profile": "mbt2018-mean", "rate_index": 0,
          "steps": 0, "width": 768,
        ],
        "source": "images/none.png",
      ]
      let entry: [String: Any] = [
        "file": "models/wide.gicw", "model_digest": digest, "profile": "mbt2018-mean",
        "sha256": try Self.sha256(set.appendingPathComponent("models/wide.gicw")),
      ]
      let object: [String: Any] = [
        "bitstream_version": "1.0", "format": "gic-conformance", "version": 1,
        "models": listModel ? [entry] : [], "vectors": [vector],
      ]
      try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        .write(to: set.appendingPathComponent("manifest.json"))
    }
    try manifest(listModel: true)
    let verify = try CLIRunner.run("gic-ref", ["verify", set.path, "--threads", "1"], in: dir)
    Self.expectCleanError(verify, "1 of 1 vectors failed: wide")
    #expect(verify.stdout.contains("would need 48.0 GiB"), "\(verify.stdout)")

    // A vector whose model is not listed under models is refused (no SHA-256 to check).
    try manifest(listModel: false)
    let unlisted = try CLIRunner.run("gic-ref", ["verify", set.path, "--threads", "1"], in: dir)
    #expect(unlisted.status == 1)
    #expect(
      unlisted.stdout.contains("models/wide.gicw is not listed under models"), "\(unlisted.stdout)")
  }

  @Test("--max-memory and --max-pixels refuse a picture over them; a malformed size is refused")
  func limitOptions() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = fixtures.appendingPathComponent("mbt2018-mean-N16-M24.gicw").path
    let png = fixtures.appendingPathComponent("rgb-77x45.png").path
    let small = try CLIRunner.run(
      "gic-ref", ["encode", png, "-m", model, "-o", "a.gic", "--max-memory", "64K"], in: dir)
    Self.expectCleanError(small, "more than the limit of 64 KiB (--max-memory)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("a.gic").path))
    let pixels = try CLIRunner.run(
      "gic-ref", ["encode", png, "-m", model, "-o", "a.gic", "--max-pixels", "4096"], in: dir)
    Self.expectCleanError(pixels, "more than the limit of 4096 (--max-pixels)")
    let fits = try CLIRunner.run(
      "gic-ref", ["encode", png, "-m", model, "-o", "a.gic", "--max-memory", "1G"], in: dir)
    #expect(fits.status == 0, "\(fits.stderr)")
    let decode = try CLIRunner.run(
      "gic-ref", ["decode", "a.gic", "-m", model, "--max-pixels", "8000"], in: dir)
    Self.expectCleanError(decode, "(--max-pixels)")
    let bad = try CLIRunner.run(
      "gic-ref", ["decode", "a.gic", "-m", model, "--max-memory", "12Q"], in: dir)
    #expect(bad.status != 0 && bad.stderr.contains("--max-memory 12Q"), "\(bad.stderr)")
  }
}
