import Converters
import Foundation
import Testing
import WeightFormat

@Suite("gic-convert command line")
struct GicConvertTests {
  let fixtures = CLIRunner.repositoryRoot.appendingPathComponent("Tests/ConvertersTests/Fixtures")

  func fixture(_ path: String) -> String { fixtures.appendingPathComponent(path).path }

  @Test("convert, inspect --json, verify and extract round-trip a NumPy export bit-identically")
  func roundTrip() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = fixture("valid/npz_savez.npz")
    // --no-provenance: the two conversions below read different files (the input's SHA-256
    // would differ); the content must not.
    let convert = try CLIRunner.run(
      "gic-convert", [input, "-o", "m.gicw", "--no-provenance"], in: dir)
    #expect(convert.status == 0, "\(convert.stderr)")
    #expect(convert.stderr.isEmpty)

    let inspect = try CLIRunner.run("gic-convert", ["inspect", "m.gicw", "--json"], in: dir)
    #expect(inspect.status == 0)
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
    let tensors = try #require(json["tensors"] as? [[String: Any]])
    let original = try NPZReader(Data(contentsOf: URL(fileURLWithPath: input))).readAll()
    #expect(tensors.count == original.count)
    for t in tensors {
      let name = try #require(t["name"] as? String)
      let array = try #require(original[name])
      #expect(t["dtype"] as? String == array.dtype.name)
      #expect(t["shape"] as? [Int] == array.shape)
    }

    let verify = try CLIRunner.run("gic-convert", ["verify", "m.gicw"], in: dir)
    #expect(verify.status == 0)
    #expect(verify.stdout.hasPrefix("OK"))

    let extract = try CLIRunner.run(
      "gic-convert", ["extract", "m.gicw", "-o", "back.npz"], in: dir)
    #expect(extract.status == 0, "\(extract.stderr)")
    let back = try NPZReader(Data(contentsOf: dir.appendingPathComponent("back.npz"))).readAll()
    #expect(Set(back.keys) == Set(original.keys))
    for (name, array) in original {
      let b = try #require(back[name])
      #expect(b.dtype == array.dtype && b.shape == array.shape && b.data == array.data, "\(name)")
    }

    // npz → gicw → npz → gicw gives the same container.
    let again = try CLIRunner.run(
      "gic-convert", ["back.npz", "-o", "again.gicw", "--no-provenance"], in: dir)
    #expect(again.status == 0)
    let first = try Data(contentsOf: dir.appendingPathComponent("m.gicw"))
    #expect(try Data(contentsOf: dir.appendingPathComponent("again.gicw")) == first)
  }

  @Test(
    "two conversions of the same input are byte-identical",
    arguments: [
      "valid/npz_savez.npz", "valid/npz_savez_compressed.npz", "valid/npy_le_float32.npy",
      "valid/npy_fortran_be_float64_2d.npy",
    ])
  func deterministic(input: String) throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for out in ["a.gicw", "b.gicw"] {
      let r = try CLIRunner.run("gic-convert", [fixture(input), "-o", out], in: dir)
      #expect(r.status == 0, "\(r.stderr)")
    }
    let a = try Data(contentsOf: dir.appendingPathComponent("a.gicw"))
    #expect(try Data(contentsOf: dir.appendingPathComponent("b.gicw")) == a)
  }

  @Test("a malformed input exits 1 with one 'error:' line and leaves no output file")
  func malformedInput() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for name in Fixtures.malformed {
      let r = try CLIRunner.run(
        "gic-convert", [fixture("malformed/" + name), "-o", "out.gicw"], in: dir)
      #expect(r.status == 1, "\(name)")
      #expect(r.stderr.hasPrefix("error: "), "\(name): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(name): \(r.stderr)")
      #expect(r.stdout.isEmpty)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
  }

  @Test("a failed conversion leaves an existing output file untouched")
  func noClobber() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let existing = dir.appendingPathComponent("model.gicw")
    try Data("precious".utf8).write(to: existing)
    let r = try CLIRunner.run(
      "gic-convert", [fixture("malformed/npz_crc_mismatch_deflated.npz"), "-o", "model.gicw"],
      in: dir)
    #expect(r.status == 1)
    #expect(try Data(contentsOf: existing) == Data("precious".utf8))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.gicw"])
  }

  @Test("usage errors exit 1 with one line; --help exits 0")
  func usage() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for args in [
      [], ["--profile", "nope", fixture("valid/npy_le_float32.npy")], ["inspect"],
      ["--bogus-flag", "x.npz"], ["missing.npz"], ["verify", "missing.gicw"],
    ] {
      let r = try CLIRunner.run("gic-convert", args, in: dir)
      #expect(r.status == 1, "\(args)")
      #expect(
        r.stderr.hasPrefix("error: ") && r.stderr.split(separator: "\n").count == 1,
        "\(args): \(r.stderr)")
    }
    let help = try CLIRunner.run("gic-convert", ["--help"], in: dir)
    #expect(help.status == 0)
    #expect(help.stdout.contains("inspect"))
  }

  @Test("verify and inspect catch one flipped byte in tensor data")
  func flippedByte() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(
      try CLIRunner.run(
        "gic-convert", [fixture("valid/npy_le_float32.npy"), "-o", "m.gicw"], in: dir
      ).status == 0)
    let url = dir.appendingPathComponent("m.gicw")
    var bytes = try Data(contentsOf: url)
    let file = try WeightFile(bytes: bytes)
    let record = try #require(file.tensors.first)
    let dataStart = try #require(file.sections.first { $0.kind == SectionKind.data }).offset
    let position = Int(dataStart + record.dataOffset) + Int(record.dataLength) / 2
    bytes[position] ^= 0x01
    try bytes.write(to: url)
    for command in ["verify", "inspect"] {
      let r = try CLIRunner.run("gic-convert", [command, "m.gicw"], in: dir)
      #expect(r.status == 1)
      #expect(r.stderr.contains("does not match"), "\(r.stderr)")
    }
  }

  @Test("inspect lists a .npy and a .npz without converting")
  func inspectNumPy() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try CLIRunner.run(
      "gic-convert", ["inspect", "--json", fixture("valid/npy_le_float32.npy")], in: dir)
    #expect(r.status == 0)
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(json["format"] as? String == "npy")
    let tensors = try #require(json["tensors"] as? [[String: Any]])
    #expect(tensors.first?["dtype"] as? String == "float32")
  }
}

/// The malformed fixture names.
enum Fixtures {
  static let malformed: [String] = {
    let url = CLIRunner.repositoryRoot.appendingPathComponent(
      "Tests/ConvertersTests/Fixtures/malformed/expected.json")
    guard let data = try? Data(contentsOf: url),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [] }
    return object.keys.sorted()
  }()
}
