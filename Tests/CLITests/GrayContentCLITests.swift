import Foundation
import ReferenceCodec
import Testing

/// A black-and-white picture stored as RGB is coded as a grayscale source (spec/bitstream.md
/// §6.1): the same stream as its gray PNG, and decoded to a gray PNG.
@Suite("gic-ref: gray content in an RGB file")
struct GrayContentCLITests {
  let codec = CLIRunner.repositoryRoot.appendingPathComponent(
    "Tests/ReferenceCodecTests/Fixtures/codec")

  func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test("an RGB file with R = G = B codes to the gray PNG's bytes and decodes to gray")
  func grayRGBIsGray() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = codec.appendingPathComponent("mbt2018-mean-N16-M24.gicw").path
    let grayPNG = codec.appendingPathComponent("gray-33x20.png")
    let gray = try PNGCodec.decode([UInt8](try Data(contentsOf: grayPNG)))
    #expect(gray.isGray)
    try Data(try PNGCodec.encode(gray.image)).write(to: dir.appendingPathComponent("rgb.png"))
    var tinted = gray.image
    tinted.pixels[0] ^= 1
    try Data(try PNGCodec.encode(tinted)).write(to: dir.appendingPathComponent("tinted.png"))

    for (input, output) in [(grayPNG.path, "g.gic"), ("rgb.png", "r.gic"), ("tinted.png", "t.gic")]
    {
      let run = try CLIRunner.run(
        "gic-ref", ["encode", input, "-m", model, "-o", output, "-q"], in: dir)
      #expect(run.status == 0, "\(run.stderr)")
    }
    let g = try Data(contentsOf: dir.appendingPathComponent("g.gic"))
    let r = try Data(contentsOf: dir.appendingPathComponent("r.gic"))
    let t = try Data(contentsOf: dir.appendingPathComponent("t.gic"))
    #expect(r == g)
    #expect(g[7] & 1 == 1)
    #expect(t[7] & 1 == 0, "one sample off gray is a colour picture")

    let info = try CLIRunner.run("gic-ref", ["info", "r.gic", "--json"], in: dir)
    #expect(try json(info.stdout)["grayscale"] as? Bool == true)
    let decode = try CLIRunner.run(
      "gic-ref", ["decode", "r.gic", "-m", model, "-o", "r.png", "-q"], in: dir)
    #expect(decode.status == 0, "\(decode.stderr)")
    let png = try Data(contentsOf: dir.appendingPathComponent("r.png"))
    #expect(png[25] == 0, "the decoded PNG is gray (colour type 0)")
  }
}
