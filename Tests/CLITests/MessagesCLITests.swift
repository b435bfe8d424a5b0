import Foundation
import Testing
import WeightFormat

@Suite("messages that say what a file is and what to do")
struct MessagesCLITests {
  let root = CLIRunner.repositoryRoot

  @Test("gic-ref info on a .gicw says it is a model container and which command reads it")
  func infoOnModel() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = root.appendingPathComponent("models/gic-v1.gicw").path
    let info = try CLIRunner.run("gic-ref", ["info", model], in: dir)
    #expect(info.status == 1)
    #expect(info.stderr.contains("is a .gicw model container, not a .gic bitstream"))
    #expect(info.stderr.contains("gic-ref model"))
    #expect(!info.stderr.contains("bitstream version"))
    let json = try CLIRunner.run("gic-ref", ["info", model, "--json"], in: dir)
    #expect(json.stdout.contains("input.modelContainer"))
  }

  @Test("--profile help lists every profile")
  func profileHelp() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let help = try CLIRunner.run("gic-convert", ["convert", "--help"], in: dir)
    #expect(help.status == 0)
    let flattened = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    let names = (["auto"] + ModelProfile.allCases.map(\.rawValue)).joined(separator: ", ")
    #expect(flattened.contains("Converter profile: \(names)."), "\(help.stdout)")
  }

  @Test("gic-ref refuses a raw container, saying why and what to do")
  func rawContainer() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = root.appendingPathComponent("Tests/ConvertersTests/Fixtures/valid/npz_savez.npz")
    let convert = try CLIRunner.run("gic-convert", [input.path, "-o", "raw.gicw"], in: dir)
    #expect(convert.status == 0, "\(convert.stderr)")
    let image = root.appendingPathComponent(
      "Tests/ReferenceCodecTests/Fixtures/codec/rgb-77x45.png")
    let encode = try CLIRunner.run(
      "gic-ref", ["encode", image.path, "-m", "raw.gicw", "-o", "x.gic"], in: dir)
    #expect(encode.status == 1)
    #expect(encode.stderr.contains("converted with profile 'raw'"))
    #expect(encode.stderr.contains("no integer codec graphs"))
    #expect(encode.stderr.contains("bmshj2018-hyperprior, mbt2018-mean, gic-v1"))
    #expect(encode.stderr.contains("gic-convert inspect"))
  }
}
