import Foundation
import Testing
import WeightFormat

/// gic-convert's provenance metadata, `--metadata`, `--no-provenance` and `inspect --json`'s
/// named graph fields, through the built binary.
@Suite("gic-convert provenance and inspect")
struct ProvenanceCLITests {
  let root = CLIRunner.repositoryRoot
  var example: String {
    root.appendingPathComponent("models/example-bmshj2018-hyperprior.npz").path
  }
  var calibration: String { root.appendingPathComponent("data/images/chelsea.png").path }
  /// The committed fixture made from `example` on `calibration` (scripts/make_codec_fixtures.py).
  var committed: URL {
    root.appendingPathComponent(
      "Tests/ReferenceCodecTests/Fixtures/codec/bmshj2018-hyperprior-N16-M24.gicw")
  }

  func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test("provenance is recorded by default; --no-provenance gives the committed bytes")
  func provenance() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let plain = try CLIRunner.run(
      "gic-convert",
      [example, "-o", "plain.gicw", "--calibration", calibration, "--no-provenance", "-q"], in: dir)
    #expect(plain.status == 0, "\(plain.stderr)")
    let bytes = try Data(contentsOf: dir.appendingPathComponent("plain.gicw"))
    let committedBytes = try Data(contentsOf: committed)
    #expect(bytes == committedBytes)

    let recorded = try CLIRunner.run(
      "gic-convert",
      [
        example, "-o", "p.gicw", "--calibration", calibration, "-q", "--metadata",
        "author=Ada Lovelace", "--metadata", "licence=cc-by-4.0",
      ], in: dir)
    #expect(recorded.status == 0, "\(recorded.stderr)")
    let file = try WeightFile.open(path: dir.appendingPathComponent("p.gicw").path)
    let inputDigest = SHA256Hex.of(try Data(contentsOf: URL(fileURLWithPath: example)))
    let imageDigest = SHA256Hex.of(try Data(contentsOf: URL(fileURLWithPath: calibration)))
    #expect(file.metadata("gic.provenance.input_sha256") == .string(inputDigest))
    #expect(file.metadata("gic.provenance.calibration_sha256") == .list([.string(imageDigest)]))
    #expect(file.metadata("gic.provenance.converter_version") != nil)
    #expect(file.metadata("author") == .string("Ada Lovelace"))
    #expect(file.metadata("licence") == .string("cc-by-4.0"))
    let committedFile = try WeightFile.open(path: committed.path)
    #expect(file.modelDigestHex != committedFile.modelDigestHex)

    // Deterministic: the same files give the same bytes again.
    let again = try CLIRunner.run(
      "gic-convert",
      [
        example, "-o", "q.gicw", "--calibration", calibration, "-q", "--metadata",
        "licence=cc-by-4.0", "--metadata", "author=Ada Lovelace",
      ], in: dir)
    #expect(again.status == 0)
    #expect(
      try Data(contentsOf: dir.appendingPathComponent("p.gicw"))
        == Data(contentsOf: dir.appendingPathComponent("q.gicw")))

    let model = try CLIRunner.run("gic-ref", ["model", "p.gicw", "--json"], in: dir)
    #expect(model.status == 0, "\(model.stderr)")
    let provenance = try #require(try json(model.stdout)["provenance"] as? [String: Any])
    #expect(provenance["input_sha256"] as? String == inputDigest)
  }

  @Test(
    "--metadata refuses reserved, malformed, bad and repeated keys with typed errors",
    arguments: [
      ("gic.profile=raw", "metadata.reservedKey"), ("gic.provenance.x=1", "metadata.reservedKey"),
      ("novalue", "metadata.malformed"), ("Bad Key=1", "metadata.badKey"),
      ("=1", "metadata.badKey"),
    ])
  func refusedKeys(_ argument: String, _ code: String) throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let npz = root.appendingPathComponent("Tests/ConvertersTests/Fixtures/valid/npz_savez.npz")
    let r = try CLIRunner.run(
      "gic-convert", [npz.path, "-o", "m.gicw", "--metadata", argument, "--json"], in: dir)
    #expect(r.status == 1)
    let error = try #require(try json(r.stdout)["error"] as? [String: Any])
    #expect(error["code"] as? String == code)
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.gicw").path))
  }

  @Test("--metadata refuses a key given twice")
  func duplicateKey() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let npz = root.appendingPathComponent("Tests/ConvertersTests/Fixtures/valid/npz_savez.npz")
    let r = try CLIRunner.run(
      "gic-convert", [npz.path, "-o", "m.gicw", "--metadata", "a=1", "--metadata", "a=2"], in: dir)
    #expect(r.status == 1)
    #expect(r.stderr.contains("'a' is given twice"))
  }

  @Test(
    "calibration shows progress on a terminal, and none with --json",
    .enabled(if: CLIRunner.hasTerminal))
  func calibrationProgress() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let arguments = [example, "-o", "m.gicw", "--calibration", calibration, "--no-provenance"]
    let shown = try CLIRunner.runOnTerminal("gic-convert", arguments, in: dir)
    #expect(shown.status == 0, "\(shown.text)")
    #expect(shown.text.contains("calibrating: 1/1 pictures, "), "\(shown.text)")
    let quiet = try CLIRunner.runOnTerminal("gic-convert", arguments + ["--json"], in: dir)
    #expect(quiet.status == 0, "\(quiet.text)")
    #expect(!quiet.text.contains("calibrating"))
  }

  @Test("inspect --json prints graphs as objects with named fields")
  func inspectGraphs() throws {
    let r = try CLIRunner.run("gic-convert", ["inspect", committed.path, "--json"], in: root)
    #expect(r.status == 0, "\(r.stderr)")
    let report = try json(r.stdout)
    let metadata = try #require(report["metadata"] as? [String: Any])
    #expect(metadata.keys.allSatisfy { !$0.hasPrefix("gic.graph.") })
    let graphs = try #require(report["graphs"] as? [[String: Any]])
    #expect(graphs.compactMap { $0["name"] as? String } == ["g_a", "g_s", "h_a", "h_s"])
    let ga = try #require(graphs.first)
    let input = try #require((ga["inputs"] as? [[String: Any]])?.first)
    #expect(input["name"] as? String == "x")
    #expect(input["channels"] as? Int == 3)
    let node = try #require((ga["nodes"] as? [[String: Any]])?.first)
    #expect(node["op"] as? String == "conv2d")
    #expect(node["inputs"] as? [String] == ["x"])
    let attributes = try #require(node["attributes"] as? [String: Int])
    #expect(attributes["kernel"] == 5)
    #expect(attributes["stride"] == 2)
    let weight = try #require((node["parameters"] as? [[String: Any]])?.first)
    #expect(weight["name"] as? String == "g_a.0.weight")
    #expect(weight["shape"] as? [Int] == [16, 3, 5, 5])
    #expect(weight["dtype"] as? String == "int16")
    let text = try CLIRunner.run("gic-convert", ["inspect", committed.path], in: root)
    #expect(text.stdout.contains("graphs:"))
    #expect(text.stdout.contains("conv2d x → g_a.0"))
  }
}
