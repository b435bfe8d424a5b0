import Foundation
import ReferenceCodec
import Testing
import WeightFormat

@Suite("Batch runs")
struct BatchRunnerTests {
  /// A stand-in for a codec: writes the input reversed; fails on inputs that start with "bad".
  static let work: BatchRunner.Work = { input, bytes, output, _ in
    guard !bytes.starts(with: Data("bad".utf8)) else {
      throw BitstreamError.incompatible(reason: "\(input.name) is bad")
    }
    let out = [UInt8](bytes.reversed())
    try AtomicFileOutput.write(out, to: output)
    var entry = BatchEntry(input: input.name)
    (entry.bytes, entry.outputSha256) = (out.count, SHA256Hex.of(Data(out)))
    return entry
  }

  static func runner(_ dir: BatchTests.ScratchFolder, threads: Int, options: String = "x") throws
    -> BatchRunner
  {
    BatchRunner(
      inputs: try BatchInput.resolve(dir.path + "/in", extensions: ["png"]),
      outputDirectory: dir.path + "/out", outputExtension: "gic",
      manifest: dir.path + "/out/manifest.jsonl", options: options, modelDigest: "m",
      threads: threads)
  }

  static func withoutTimes(_ entries: [BatchEntry]) -> [BatchEntry] {
    entries.map {
      var e = $0
      e.seconds = 0
      return e
    }
  }

  static func pictures(_ count: Int) throws -> BatchTests.ScratchFolder {
    let dir = try BatchTests.ScratchFolder()
    for k in 0..<count { try dir.write("in/d\(k % 3)/p\(k).png", "picture \(k)") }
    try dir.write("in/d1/bad.png", "bad picture")
    return dir
  }

  @Test("the same entries and files for 1 and 4 threads; one bad picture is one error entry")
  func threadsDoNotMatter() throws {
    var manifests: [[UInt8]] = []
    var summaries: [BatchRunner.Summary] = []
    for threads in [1, 4] {
      let dir = try Self.pictures(40)
      let calls = Counter()
      let summary = try Self.runner(dir, threads: threads).run(Self.work) { done, total in
        calls.add(done, total)
      }
      #expect(calls.values == (1...41).map { [$0, 41] })
      #expect(summary.coded == 41 && summary.skipped == 0 && summary.failed == ["d1/bad.png"])
      let bad = try #require(summary.entries.first { $0.input == "d1/bad.png" })
      #expect(bad.error?.code == "bitstream.incompatible" && bad.output == nil)
      #expect(bad.inputSha256 == SHA256Hex.of(Data("bad picture".utf8)))
      let out = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/out/d2/p5.gic"))
      #expect(out == Data("picture 5".utf8.reversed()))
      let written = try BatchManifest.read(dir.path + "/out/manifest.jsonl")
      #expect(written == summary.entries)
      #expect(written.map(\.input) == written.map(\.input).sorted(by: BatchInput.precedes))
      manifests.append(BatchManifest.serialized(Self.withoutTimes(written)))
      summaries.append(summary)
    }
    #expect(manifests[0] == manifests[1])
  }

  @Test("a rerun skips what is done, codes changed and failed pictures again, and resumes a cut")
  func resume() throws {
    let dir = try Self.pictures(12)
    let first = try Self.runner(dir, threads: 2).run(Self.work) { _, _ in }
    let again = try Self.runner(dir, threads: 2).run(Self.work) { _, _ in }
    #expect(again.skipped == 12 && again.coded == 1)
    #expect(Self.withoutTimes(again.entries) == Self.withoutTimes(first.entries))
    // Changed input, changed output, other options: coded again.
    try dir.write("in/d0/p0.png", "changed")
    try dir.write("out/d1/p1.gic", "damaged")
    let changed = try Self.runner(dir, threads: 2).run(Self.work) { _, _ in }
    #expect(changed.skipped == 10 && changed.coded == 3)
    let other = try Self.runner(dir, threads: 2, options: "y").run(Self.work) { _, _ in }
    #expect(other.skipped == 0)
    // A run killed after three pictures, in the middle of its fourth line.
    let manifest = dir.path + "/out/manifest.jsonl"
    let lines = try BatchManifest.read(manifest)
    try Data((lines.prefix(3).flatMap { [UInt8]($0.line()) }) + [UInt8](lines[3].line().prefix(20)))
      .write(to: URL(fileURLWithPath: manifest))
    let resumed = try Self.runner(dir, threads: 3, options: "y").run(Self.work) { _, _ in }
    #expect(resumed.skipped == 3 && resumed.coded == 10)
    #expect(Self.withoutTimes(resumed.entries) == Self.withoutTimes(other.entries))
  }

  @Test("two inputs that would write the same output are refused")
  func outputCollision() throws {
    let dir = try BatchTests.ScratchFolder()
    try dir.write("in/a.png", "1")
    try dir.write("in/a.PNG", "2")
    #expect(throws: BatchError.duplicateName(name: "a.gic")) {
      try Self.runner(dir, threads: 1).run(Self.work) { _, _ in }
    }
  }

  /// Collects progress calls from any thread.
  final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [[Int]] = []

    func add(_ done: Int, _ total: Int) {
      lock.lock()
      calls.append([done, total])
      lock.unlock()
    }

    var values: [[Int]] {
      lock.lock()
      defer { lock.unlock() }
      return calls
    }
  }
}
