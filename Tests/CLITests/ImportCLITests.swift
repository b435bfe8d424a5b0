import Foundation
import Testing

/// gic-convert reading state dicts from `.safetensors` files and PyTorch checkpoints
/// (Tests/ConvertersTests/Fixtures/import, python/make_import_fixtures.py).
@Suite("gic-convert reads safetensors and PyTorch checkpoints")
struct ImportCLITests {
  static func fixture(_ name: String) -> String {
    CLIRunner.repositoryRoot.appendingPathComponent(
      "Tests/ConvertersTests/Fixtures/import/" + name
    ).path
  }

  /// Converts `input` with one calibration image and no provenance; returns the container.
  static func convert(_ input: String, in dir: URL) throws -> Data {
    let output = dir.appendingPathComponent(UUID().uuidString + ".gicw").path
    let calibration = CLIRunner.repositoryRoot.appendingPathComponent(
      "data/images/clock_motion.png"
    ).path
    let run = try CLIRunner.run(
      "gic-convert",
      [input, "-o", output, "--no-provenance", "--calibration", calibration, "-q"], in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    return try Data(contentsOf: URL(fileURLWithPath: output))
  }

  @Test("a .safetensors state dict converts to the same .gicw as its .npz")
  func safetensors() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let npz = try Self.convert(Self.fixture("small.npz"), in: dir)
    #expect(try Self.convert(Self.fixture("small.safetensors"), in: dir) == npz)
    let inspect = try CLIRunner.run(
      "gic-convert", ["inspect", Self.fixture("small.safetensors")], in: dir)
    #expect(inspect.status == 0)
    #expect(inspect.stdout.contains("format:       safetensors"))
    #expect(inspect.stdout.contains("converts as: bmshj2018-hyperprior"), "\(inspect.stdout)")
  }

  @Test("a torch.save state dict and a train.py checkpoint convert to the same .gicw as the .npz")
  func pytorch() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let npz = try Self.convert(Self.fixture("small.npz"), in: dir)
    #expect(try Self.convert(Self.fixture("small.pth"), in: dir) == npz)
    #expect(try Self.convert(Self.fixture("small-train.pth.tar"), in: dir) == npz)
  }

  @Test(
    "a hostile or unusable file is refused with one error line",
    arguments: [
      ("overlap.safetensors", "tensor \"b\": data at offset 4 overlaps the tensor before it"),
      ("huge-header.safetensors", "exceeds the format's limit of 100000000 bytes"),
      ("bf16.safetensors", "tensor \"w\" has dtype BF16"),
      ("hostile-system.pth", "data.pkl offset 13: refused global posix.system"),
      ("hostile-offset.pth", "storage offset 100, shape [2] and strides [1] reach element 101"),
      ("hostile-shape.pth", "tensor \"w\": shape [1048576, 1048576] over 268435456 elements"),
      ("hostile-recursive.pth", "entry \"w\" is not a tensor"),
      ("hostile-nested.pth", "data.pkl nests structures deeper than 100 levels"),
      ("legacy.pth", "a legacy (pre-1.6, non-zip) PyTorch checkpoint"),
      ("bf16.pth", "torch.BFloat16Storage is not a dtype gic reads"),
    ])
  func refused(file: String, message: String) throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let run = try CLIRunner.run("gic-convert", [Self.fixture(file), "-o", "x.gicw"], in: dir)
    #expect(run.status == 1)
    #expect(run.stderr.hasPrefix("error: " + Self.fixture(file) + ": "), "\(run.stderr)")
    #expect(run.stderr.contains(message), "\(run.stderr)")
    #expect(run.stderr.split(separator: "\n").count == 1)
  }
}
