import Foundation
import Testing

/// `gic-ref eval`, `model --json` and `models` through the built binary.
@Suite("gic-ref eval, model and models")
struct EvaluationCLITests {
  let root = CLIRunner.repositoryRoot
  var codec: URL { root.appendingPathComponent("Tests/ReferenceCodecTests/Fixtures/codec") }
  var pictures: URL { root.appendingPathComponent("Tests/ReferenceCodecTests/Fixtures/msssim") }

  func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  static let resultKeys = ["bpp", "decoding_time", "encoding_time", "ms-ssim-rgb", "psnr-rgb"]

  @Test("eval writes CompressAI's eval_model layout, with per-image results and the padding")
  func evalLayout() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = pictures.appendingPathComponent("chelsea-161x161-a.png").path
    let b = pictures.appendingPathComponent("coffee-177x190-b.png").path
    let model = codec.appendingPathComponent("gic-v1-N16-M24-W16-random.gicw").path
    let r = try CLIRunner.run(
      "gic-ref",
      [
        "eval", a, b, "-m", model, "--rates", "0,200", "--padding", "compressai", "--per-image",
        "--json", "-o", "e.json", "--threads", "2",
      ], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let report = try json(r.stdout)
    let file = try json(
      String(decoding: try Data(contentsOf: dir.appendingPathComponent("e.json")), as: UTF8.self))
    #expect(file["name"] as? String == report["name"] as? String)
    #expect(report["name"] as? String == "gic-ref gic-v1-N16-M24-W16-random")
    #expect(report["description"] as? String == "Inference (gic-ref, padding compressai)")
    #expect(report["padding"] as? String == "compressai")
    #expect(report["rate_indices"] as? [Int] == [0, 200])
    #expect(report["steps"] as? Int == 2)
    let results = try #require(report["results"] as? [String: [Double]])
    #expect(results.keys.sorted() == Self.resultKeys)
    for key in Self.resultKeys { #expect(results[key]?.count == 2, "\(key)") }
    let perImage = try #require(report["per_image"] as? [[String: Any]])
    #expect(
      perImage.compactMap { $0["source"] as? String } == [
        "chelsea-161x161-a.png", "coffee-177x190-b.png",
      ])
    let first = try #require(perImage[0]["results"] as? [String: [Double]])
    let second = try #require(perImage[1]["results"] as? [String: [Double]])
    for key in ["bpp", "psnr-rgb", "ms-ssim-rgb"] {
      let mean = zip(first[key] ?? [], second[key] ?? []).map { ($0 + $1) / 2 }
      #expect(zip(mean, results[key] ?? []).allSatisfy { abs($0 - $1) < 1e-9 }, "\(key)")
    }
    #expect(results["ms-ssim-rgb"]?.allSatisfy { (0...1).contains($0) } == true)
  }

  @Test("eval refuses rates on a fixed-rate model and pictures too small for MS-SSIM")
  func evalRefusals() throws {
    let model = codec.appendingPathComponent("mbt2018-mean-N16-M24.gicw").path
    let picture = pictures.appendingPathComponent("chelsea-161x161-a.png").path
    let rates = try CLIRunner.run(
      "gic-ref", ["eval", picture, "-m", model, "--rates", "1", "--json"], in: root)
    #expect(rates.status == 1)
    #expect(
      (try json(rates.stdout)["error"] as? [String: Any])?["code"] as? String == "tool.profile")
    let small = try CLIRunner.run(
      "gic-ref",
      ["eval", codec.appendingPathComponent("rgb-77x45.png").path, "-m", model, "--json"],
      in: root)
    #expect(small.status == 1)
    #expect(
      (try json(small.stdout)["error"] as? [String: Any])?["code"] as? String
        == "eval.pictureTooSmall")
  }

  @Test("eval on a fixed-rate model gives one point; the text report names the padding")
  func evalFixedRate() throws {
    let model = codec.appendingPathComponent("mbt2018-mean-N16-M24.gicw").path
    let r = try CLIRunner.run(
      "gic-ref",
      ["eval", pictures.appendingPathComponent("chelsea-161x161-a.png").path, "-m", model],
      in: root)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("padding gic"))
    #expect(r.stdout.contains("fixed rate: "))
  }

  @Test("eval shows progress on a terminal", .enabled(if: CLIRunner.hasTerminal))
  func evalProgress() throws {
    let model = codec.appendingPathComponent("mbt2018-mean-N16-M24.gicw").path
    let picture = pictures.appendingPathComponent("chelsea-161x161-a.png").path
    let r = try CLIRunner.runOnTerminal(
      "gic-ref", ["eval", picture, picture, "-m", model], in: root)
    #expect(r.status == 0, "\(r.text)")
    #expect(r.text.contains("eval: 2/2 pictures, ") && r.text.contains(" left"), "\(r.text)")
  }

  @Test("model --json gives every field, null where the profile has none")
  func modelJSON() throws {
    let fixed = try CLIRunner.run(
      "gic-ref",
      ["model", codec.appendingPathComponent("mbt2018-mean-N16-M24.gicw").path, "--json"],
      in: root)
    #expect(fixed.status == 0, "\(fixed.stderr)")
    let f = try json(fixed.stdout)
    for key in ["rate_levels", "extra_levels", "max_steps", "macs_reverse_step", "w"] {
      #expect(f.keys.contains(key), "\(key)")
      #expect(f[key] is NSNull, "\(key)")
    }
    #expect(f["n"] as? Int == 16)
    #expect(f["m"] as? Int == 24)
    #expect(f["profile"] as? String == "mbt2018-mean")
    #expect((f["macs_decode"] as? Int ?? 0) > 0)
    #expect((f["graphs"] as? [[String: Any]])?.count == 4)
    let provenance = try #require(f["provenance"] as? [String: Any])
    #expect(provenance["converter_version"] is NSNull)
    let text = try CLIRunner.run(
      "gic-ref", ["model", codec.appendingPathComponent("mbt2018-mean-N16-M24.gicw").path], in: root
    )
    #expect(text.stdout.contains("rates       none (fixed rate)"))

    let v1 = try CLIRunner.run(
      "gic-ref",
      ["model", codec.appendingPathComponent("gic-v1-N16-M24-W16-random.gicw").path, "--json"],
      in: root)
    let g = try json(v1.stdout)
    #expect(g["rate_levels"] as? Int == 256)
    #expect(g["w"] as? Int == 16)
    #expect((g["macs_reverse_step"] as? Int ?? 0) > 0)
  }

  @Test("models lists the shipped models with where they came from")
  func modelsListing() throws {
    let r = try CLIRunner.run("gic-ref", ["models", "--json"], in: root)
    #expect(r.status == 0, "\(r.stderr)")
    let models = try #require(try json(r.stdout)["models"] as? [[String: Any]])
    let files = models.compactMap { $0["file"] as? String }
    #expect(files.contains("gic-v2.gicw"))
    #expect(files.contains("gic-v1.gicw"))
    let v2 = try #require(models.first { $0["file"] as? String == "gic-v2.gicw" })
    #expect(v2["is_default"] as? Bool == true)
    #expect(v2["source"] as? String == "models/gic-v2.npz")
    #expect((v2["model_digest"] as? String)?.count == 64)
    let other = try CLIRunner.run("gic-ref", ["models", codec.path], in: root)
    #expect(other.status == 0)
    #expect(other.stdout.contains("mbt2018-mean-N16-M24.gicw: profile mbt2018-mean"))
    let missing = try CLIRunner.run("gic-ref", ["models", "no-such-folder"], in: root)
    #expect(missing.status == 1)
  }
}
