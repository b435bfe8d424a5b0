import Foundation
import Testing

@Suite("gic-ref command line")
struct GicRefTests {
  let root = CLIRunner.repositoryRoot
  var codec: URL { root.appendingPathComponent("Tests/ReferenceCodecTests/Fixtures/codec") }
  func path(_ name: String) -> String { codec.appendingPathComponent(name).path }

  func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test("encode, info, decode and psnr; outputs match the goldens; gray stays gray")
  func roundTrip() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = path("mbt2018-mean-N16-M24.gicw")
    let encode = try CLIRunner.run(
      "gic-ref", ["encode", path("gray-33x20.png"), "-m", model, "-o", "g.gic", "--json"], in: dir)
    #expect(encode.status == 0, "\(encode.stderr)")
    let e = try json(encode.stdout)
    #expect(e["width"] as? Int == 33 && e["height"] as? Int == 20)
    #expect(e["source_format"] as? String == "gray")
    let bytes = try #require(e["bytes"] as? Int)
    #expect((e["bpp"] as? Double ?? 0) == Double(bytes * 8) / Double(33 * 20))

    let info = try CLIRunner.run("gic-ref", ["info", "g.gic", "--json"], in: dir)
    #expect(info.status == 0)
    let i = try json(info.stdout)
    #expect(i["profile"] as? String == "mbt2018-mean")
    #expect(i["grayscale"] as? Bool == true)
    #expect(i["bytes"] as? Int == bytes)
    #expect((i["substream_bytes"] as? [Int])?.count == 2)

    let decode = try CLIRunner.run(
      "gic-ref", ["decode", "g.gic", "-m", model, "-o", "g.png", "--json", "--threads", "3"],
      in: dir)
    #expect(decode.status == 0, "\(decode.stderr)")
    let d = try json(decode.stdout)
    let golden = CodecGolden.find(model: "mbt2018-mean-N16-M24.gicw", image: "gray-33x20.png")
    #expect(d["rgb_sha256"] as? String == golden?.rgb)
    // The PNG written is grayscale (colour type 0 at byte 25 of the IHDR).
    let png = try Data(contentsOf: dir.appendingPathComponent("g.png"))
    #expect(png[25] == 0)

    let psnr = try CLIRunner.run(
      "gic-ref", ["psnr", path("gray-33x20.png"), "g.png", "--json"], in: dir)
    #expect(psnr.status == 0)
    #expect((try json(psnr.stdout)["psnr"] as? Double ?? 0) > 5)
  }

  @Test(
    "a stream decoded with another model, a damaged stream and a missing file fail with one line")
  func errors() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let encode = try CLIRunner.run(
      "gic-ref",
      [
        "encode", path("rgb-77x45.png"), "-m", path("bmshj2018-hyperprior-N16-M24.gicw"), "-o",
        "a.gic",
      ],
      in: dir)
    #expect(encode.status == 0, "\(encode.stderr)")
    let wrong = try CLIRunner.run(
      "gic-ref", ["decode", "a.gic", "-m", path("mbt2018-mean-N16-M24.gicw"), "-o", "a.png"],
      in: dir)
    #expect(wrong.status == 1)
    #expect(wrong.stderr.hasPrefix("error: a.gic: bitstream was made with model"))
    #expect(wrong.stderr.split(separator: "\n").count == 1)
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("a.png").path))

    var bytes = try Data(contentsOf: dir.appendingPathComponent("a.gic"))
    bytes.removeLast()
    try bytes.write(to: dir.appendingPathComponent("b.gic"))
    let damaged = try CLIRunner.run(
      "gic-ref", ["decode", "b.gic", "-m", path("bmshj2018-hyperprior-N16-M24.gicw")], in: dir)
    #expect(damaged.status == 1)
    #expect(damaged.stderr.contains("truncated"))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("b.png").path))

    let missing = try CLIRunner.run(
      "gic-ref", ["encode", "nope.png", "-m", path("bmshj2018-hyperprior-N16-M24.gicw")], in: dir)
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("nope.png"))

    let notCodec = try CLIRunner.run(
      "gic-ref", ["encode", path("rgb-1x1.png"), "-m", "../missing.gicw"], in: dir)
    #expect(notCodec.status == 1)
  }

  @Test(
    "with --json an error is also {\"error\": {code, message}} on stdout, the code the GICError's")
  func jsonErrors() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = path("bmshj2018-hyperprior-N16-M24.gicw")
    let cases: [(arguments: [String], code: String, message: String)] = [
      (["decode", "none.gic", "-m", model, "--json"], "tool.io", "none.gic: cannot read file"),
      (["info", path("rgb-1x1.png"), "--json"], "bitstream.badMagic", "rgb-1x1.png: "),
      (["encode", path("rgb-1x1.png"), "-m", "none.gicw", "--json"], "gicw.io", "none.gicw: "),
      (
        ["psnr", path("rgb-1x1.png"), path("gray-33x20.png"), "--json"], "tool.sizeMismatch",
        "sizes differ"
      ),
      (["decode", "--json"], "usage", "--help"),
    ]
    for c in cases {
      let r = try CLIRunner.run("gic-ref", c.arguments, in: dir)
      #expect(r.status == 1, "\(c.arguments)")
      #expect(r.stderr.hasPrefix("error: ") && r.stderr.split(separator: "\n").count == 1)
      let error = try #require(try json(r.stdout)["error"] as? [String: String])
      #expect(error["code"] == c.code, "\(c.arguments): \(r.stdout)")
      #expect(error["message"]?.contains(c.message) == true, "\(c.arguments): \(r.stdout)")
      #expect("error: " + (error["message"] ?? "") + "\n" == r.stderr)
    }
  }
}

/// Goldens of the codec fixtures, read from goldens.json.
enum CodecGolden {
  static func find(model: String, image: String) -> (stream: String, rgb: String)? {
    let url = CLIRunner.repositoryRoot.appendingPathComponent(
      "Tests/ReferenceCodecTests/Fixtures/codec/goldens.json")
    guard let data = try? Data(contentsOf: url),
      let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let vectors = root["vectors"] as? [[String: Any]],
      let v = vectors.first(where: {
        $0["model"] as? String == model && $0["image"] as? String == image
      }),
      let bitstream = v["bitstream_sha256"] as? String, let rgb = v["rgb_sha256"] as? String
    else { return nil }
    return (bitstream, rgb)
  }
}

@Suite("codec conversion")
struct CodecConversionTests {
  let root = CLIRunner.repositoryRoot
  var example: String {
    root.appendingPathComponent("models/example-bmshj2018-hyperprior.npz").path
  }
  var calibration: String { root.appendingPathComponent("data/images/chelsea.png").path }

  @Test(
    "auto-detects the profile, calibrates, and converts byte-identically twice; the model encodes and decodes"
  )
  func convertTwice() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for name in ["a.gicw", "b.gicw"] {
      let r = try CLIRunner.run(
        "gic-convert", [example, "-o", name, "--calibration", calibration, "--json"], in: dir)
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("\"profile\" : \"bmshj2018-hyperprior\""))
    }
    let a = try Data(contentsOf: dir.appendingPathComponent("a.gicw"))
    let b = try Data(contentsOf: dir.appendingPathComponent("b.gicw"))
    #expect(a == b)
    let model = try CLIRunner.run("gic-ref", ["model", "a.gicw"], in: dir)
    #expect(model.status == 0)
    #expect(model.stdout.contains("codec model"))
    let image = root.appendingPathComponent(
      "Tests/ReferenceCodecTests/Fixtures/codec/rgb-77x45.png"
    ).path
    let enc = try CLIRunner.run(
      "gic-ref", ["encode", image, "-m", "a.gicw", "-o", "x.gic"], in: dir)
    #expect(enc.status == 0, "\(enc.stderr)")
    let dec = try CLIRunner.run(
      "gic-ref", ["decode", "x.gic", "-m", "a.gicw", "-o", "x.png"], in: dir)
    #expect(dec.status == 0, "\(dec.stderr)")
  }

  @Test(
    "a codec profile without calibration images, and a profile that does not fit, fail with one line"
  )
  func errors() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let none = try CLIRunner.run("gic-convert", [example, "-o", "m.gicw"], in: dir)
    #expect(none.status == 1)
    #expect(none.stderr.contains("--calibration"))
    let wrong = try CLIRunner.run(
      "gic-convert",
      [example, "-o", "m.gicw", "--profile", "mbt2018-mean", "--calibration", calibration], in: dir)
    #expect(wrong.status == 1)
    #expect(wrong.stderr.contains("mbt2018-mean"))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.gicw").path))
    let missing = try CLIRunner.run(
      "gic-convert", [example, "-o", "m.gicw", "--calibration", "nowhere"], in: dir)
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("nowhere"))
  }
}

@Suite("gic-ref encode --detail")
struct DetailCLITests {
  let codec = CLIRunner.repositoryRoot.appendingPathComponent(
    "Tests/ReferenceCodecTests/Fixtures/codec")
  func path(_ name: String) -> String { codec.appendingPathComponent(name).path }

  @Test(
    "--detail on|gains|fill report their substreams' bytes, decode, and are refused for fixed-rate profiles"
  )
  func detail() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = path("gic-v1-N16-M24-W16-random.gicw")
    let image = path("rgb-77x45.png")
    let on = try CLIRunner.run(
      "gic-ref",
      ["encode", image, "-m", model, "-o", "d.gic", "--rate", "0.1", "--detail", "on", "--json"],
      in: dir)
    #expect(on.status == 0, "\(on.stderr)")
    let e = try #require(
      try JSONSerialization.jsonObject(with: Data(on.stdout.utf8)) as? [String: Any])
    let detailBytes = try #require(e["detail_bytes"] as? Int)
    #expect(detailBytes >= 16)
    #expect(try #require(e["gains_bytes"] as? Int) > 0)
    #expect(try #require(e["residual_bytes"] as? Int) > 0)
    for (mode, minor, count) in [("fill", 1, 3), ("gains", 3, 4)] {
      let r = try CLIRunner.run(
        "gic-ref",
        ["encode", image, "-m", model, "-o", "\(mode).gic", "--rate", "0.1", "--detail", mode],
        in: dir)
      #expect(r.status == 0, "\(r.stderr)")
      let bytes = try Data(contentsOf: dir.appendingPathComponent("\(mode).gic"))
      #expect(bytes[5] == minor && bytes[23] == count, "--detail \(mode)")
    }
    let off = try CLIRunner.run(
      "gic-ref", ["encode", image, "-m", model, "-o", "p.gic", "--rate", "0.1", "--json"], in: dir)
    #expect(off.status == 0 && !off.stdout.contains("detail_bytes"))
    let a = try Data(contentsOf: dir.appendingPathComponent("d.gic"))
    let b = try Data(contentsOf: dir.appendingPathComponent("p.gic"))
    #expect(a[5] == 3 && a[7] & 4 != 0 && a[23] == 5 && b[5] == 0 && a.count > b.count)
    let decode = try CLIRunner.run(
      "gic-ref", ["decode", "d.gic", "-m", model, "-o", "d.png", "--json"], in: dir)
    #expect(decode.status == 0 && decode.stdout.contains("detail_bytes"), "\(decode.stderr)")
    let refused = try CLIRunner.run(
      "gic-ref",
      ["encode", image, "-m", path("mbt2018-mean-N16-M24.gicw"), "-o", "x.gic", "--detail", "on"],
      in: dir)
    #expect(refused.status == 1 && refused.stderr.contains("--detail on"))
    let offElsewhere = try CLIRunner.run(
      "gic-ref",
      ["encode", image, "-m", path("mbt2018-mean-N16-M24.gicw"), "-o", "y.gic", "--detail", "off"],
      in: dir)
    #expect(offElsewhere.status == 0, "\(offElsewhere.stderr)")
  }
}
