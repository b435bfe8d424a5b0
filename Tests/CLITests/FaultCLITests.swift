import Foundation
import NumPyIO
import Testing
import WeightFormat

/// Outputs and inputs that must not hurt (issue #17): an output that is the input, a FIFO, or
/// an existing file's mode; long names; FIFO inputs; a signal during a conversion.
@Suite("Faults: outputs, inputs and signals")
struct FaultCLITests {
  let root = CLIRunner.repositoryRoot
  var fixtures: URL { root.appendingPathComponent("Tests/ReferenceCodecTests/Fixtures/codec") }
  var model: String { fixtures.appendingPathComponent("mbt2018-mean-N16-M24.gicw").path }
  var png: String { fixtures.appendingPathComponent("rgb-77x45.png").path }

  /// The names in `dir` that look like temporary outputs.
  static func leftovers(_ dir: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
  }

  @Test("an output that is the input is refused, and the input is unchanged")
  func outputIsInput() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.copyItem(atPath: png, toPath: dir.path + "/a.png")
    let before = try Data(contentsOf: dir.appendingPathComponent("a.png"))
    let r = try CLIRunner.run("gic-ref", ["encode", "a.png", "-m", model, "-o", "a.png"], in: dir)
    BudgetCLITests.expectCleanError(r, "a.png: is also an input of this command")
    #expect(try Data(contentsOf: dir.appendingPathComponent("a.png")) == before)
    #expect(try Self.leftovers(dir).isEmpty)
    // Through another name for the same file (a hard link) too.
    try FileManager.default.linkItem(atPath: dir.path + "/a.png", toPath: dir.path + "/b.png")
    let linked = try CLIRunner.run(
      "gic-ref", ["encode", "a.png", "-m", model, "-o", "b.png"], in: dir)
    BudgetCLITests.expectCleanError(linked, "is also an input")
  }

  @Test("a FIFO as output is refused and stays a FIFO; a FIFO as input is refused at once")
  func fifos() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(SystemCalls.makeFIFO(dir.path + "/out.gic") == 0)
    let out = try CLIRunner.run(
      "gic-ref", ["encode", png, "-m", model, "-o", "out.gic"], in: dir)
    BudgetCLITests.expectCleanError(out, "out.gic: is a FIFO (named pipe); gic writes only")
    let kind = try FileManager.default.attributesOfItem(atPath: dir.path + "/out.gic")[.type]
    #expect(kind as? FileAttributeType != .typeRegular)
    #expect(SystemCalls.makeFIFO(dir.path + "/in.png") == 0)
    #expect(SystemCalls.makeFIFO(dir.path + "/in.npz") == 0)
    #expect(SystemCalls.makeFIFO(dir.path + "/in.gic") == 0)
    let cases: [(String, [String])] = [
      ("gic-ref", ["encode", "in.png", "-m", model, "-o", "x.gic"]),
      ("gic-ref", ["decode", "in.gic", "-m", model, "-o", "x.png"]),
      ("gic-ref", ["encode", png, "-m", "in.gic", "-o", "x.gic"]),
      ("gic-convert", ["in.npz", "-o", "x.gicw"]),
      ("gic-convert", ["inspect", "in.npz"]),
    ]
    for (tool, arguments) in cases {
      let r = try CLIRunner.run(tool, arguments, in: dir)
      BudgetCLITests.expectCleanError(r, "not a regular file")
      #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("couldn’t"))
    }
    #expect(try Self.leftovers(dir).isEmpty)
  }

  @Test("a replaced file keeps its mode; a 255-byte output name works")
  func modeAndLongNames() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let target = dir.path + "/a.gic"
    #expect(FileManager.default.createFile(atPath: target, contents: Data([1])))
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
    let r = try CLIRunner.run("gic-ref", ["encode", png, "-m", model, "-o", "a.gic"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let mode = try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions]
    #expect(mode as? Int == 0o600)
    for length in [240, 251, 255] {
      let name = String(repeating: "n", count: length - 4) + ".gic"
      let long = try CLIRunner.run("gic-ref", ["encode", png, "-m", model, "-o", name], in: dir)
      #expect(long.status == 0, "\(length): \(long.stderr)")
      #expect(FileManager.default.fileExists(atPath: dir.path + "/" + name))
    }
    #expect(try Self.leftovers(dir).isEmpty)
  }

  @Test(
    "SIGINT, SIGTERM or SIGHUP during a conversion removes the temporary file",
    arguments: SystemCalls.Signal.allCases)
  func signalRemovesTemporaryFile(signal: SystemCalls.Signal) throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // 96 MiB of float32 tensors, stored: long enough to catch the writer at work.
    var npz = NPZWriter()
    for t in 0..<6 {
      npz.add(name: "t\(t)", dtype: .float32, shape: [1 << 22], data: Data(count: 16 << 20))
    }
    try npz.write(to: dir.path + "/big.npz")
    let tool = CLIRunner.productsDirectory.appendingPathComponent("gic-convert").path
    let process = try CLIRunner.start(
      tool, ["big.npz", "-o", "big.gicw", "--profile", "raw"], in: dir, output: Pipe())
    let deadline = Date().addingTimeInterval(30)
    var sawTemporary = false
    while process.isRunning, Date() < deadline {
      if try !Self.leftovers(dir).isEmpty {
        sawTemporary = true
        break
      }
      Thread.sleep(forTimeInterval: 0.002)
    }
    if process.isRunning { SystemCalls.sendSignal(signal, to: process.processIdentifier) }
    process.waitUntilExit()
    #expect(try Self.leftovers(dir).isEmpty)
    if sawTemporary {
      #expect(process.terminationReason == .uncaughtSignal)
      #expect(process.terminationStatus == signal.number)
      #expect(!FileManager.default.fileExists(atPath: dir.path + "/big.gicw"))
    }
  }
}
