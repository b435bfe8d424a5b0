import Foundation
import Testing

/// `gic-convert --activation-bound` and the gic-v1 profile's own wider bounds in g_s, through the
/// built binaries: the stored clamp ranges and exponents, the refusals, and the shipped gic-v2.
@Suite("gic-convert activation bounds")
struct ActivationBoundCLITests {
  let root = CLIRunner.repositoryRoot
  var example: String {
    root.appendingPathComponent("models/example-bmshj2018-hyperprior.npz").path
  }
  var calibration: String { root.appendingPathComponent("data/images/chelsea.png").path }

  /// (exponent, lo, hi) of every node output of graph `name`, from `inspect --json`.
  func formats(_ model: String, graph name: String, in dir: URL) throws -> [String: [Int]] {
    let r = try CLIRunner.run("gic-convert", ["inspect", model, "--json"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let graphs = try #require(json["graphs"] as? [[String: Any]])
    let graph = try #require(graphs.first { $0["name"] as? String == name })
    var out: [String: [Int]] = [:]
    for node in try #require(graph["nodes"] as? [[String: Any]]) {
      let a = try #require(node["attributes"] as? [String: Any])
      guard let e = a["exponent"] as? Int, let lo = a["lo"] as? Int, let hi = a["hi"] as? Int
      else { continue }
      out[try #require(node["output"] as? String)] = [e, lo, hi]
    }
    return out
  }

  @Test("a wider bound raises that activation's exponent by the bits it adds, and only there")
  func widerBounds() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let common = [example, "--calibration", calibration, "--no-provenance", "-q"]
    var r = try CLIRunner.run("gic-convert", common + ["-o", "plain.gicw"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    r = try CLIRunner.run(
      "gic-convert",
      common + [
        "-o", "wide.gicw", "--activation-bound", "g_s.2=32767", "--activation-bound",
        "g_s.4=8191",
      ], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let plain = try formats("plain.gicw", graph: "g_s", in: dir)
    let wide = try formats("wide.gicw", graph: "g_s", in: dir)
    #expect(plain.count == 7 && wide.count == 7)
    for (name, f) in plain {
      let w = try #require(wide[name])
      switch name {
      case "g_s.2": #expect(w == [f[0] + 3, -32767, 32767], "\(name): \(f) -> \(w)")
      case "g_s.4": #expect(w == [f[0] + 1, -8191, 8191], "\(name): \(f) -> \(w)")
      default: #expect(w == f, "\(name) must not change")
      }
    }
    // The decoder loads it (the converter has already re-proved every accumulator bound).
    r = try CLIRunner.run("gic-ref", ["model", "wide.gicw", "-q"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
  }

  @Test(
    "an unknown value, a fixed interface value, a bound outside 1 … 32767, a malformed pair and a non-codec profile are refused",
    arguments: [
      (["--activation-bound", "g_s.9=100"], "g_s.9"),
      (["--activation-bound", "x_hat=100"], "x_hat"),
      (["--activation-bound", "g_s.0=0"], "1 … 32767"),
      (["--activation-bound", "g_s.0=32768"], "1 … 32767"),
      (["--activation-bound", "g_s.0"], "value=bound"),
      (["--activation-bound", "g_s.0=1", "--activation-bound", "g_s.0=2"], "twice"),
      (["--activation-bound", "g_s.0=100", "--profile", "raw"], "codec profiles only"),
    ])
  func refused(extra: [String], message: String) throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try CLIRunner.run(
      "gic-convert",
      [example, "--calibration", calibration, "-o", "m.gicw", "-q"] + extra, in: dir)
    #expect(r.status == 1)
    #expect(r.stderr.hasPrefix("error: ") && r.stderr.contains(message), "\(r.stderr)")
    #expect(r.stderr.split(separator: "\n").count == 1)
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.gicw").path))
  }

  /// The gic-v1 profile widens g_s's activations (GICv1Conversion.synthesisBounds: 32767 where
  /// only an IGDN reads, 8191 or 16383 where a convolution does); the shipped gic-v2 was
  /// converted with them.
  @Test("the shipped gic-v2 has the gic-v1 profile's g_s bounds")
  func shippedGICv2() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let gs = try formats(
      root.appendingPathComponent("models/gic-v2.gicw").path, graph: "g_s", in: dir)
    let hi = gs.mapValues { $0[2] }
    #expect(
      hi == [
        "g_s.0": 32767, "g_s.1": 8191, "g_s.2": 32767, "g_s.3": 16383, "g_s.4": 32767,
        "g_s.5": 8191, "x_hat": 255,
      ])
  }
}
