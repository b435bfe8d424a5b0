import Foundation
import ReferenceCodec
import Testing
import WeightFormat

@Suite("Batch inputs, shards and manifests")
struct BatchTests {
  /// A temporary folder removed when the test ends.
  final class ScratchFolder {
    let path: String

    init() throws {
      path =
        FileManager.default.temporaryDirectory.appendingPathComponent(
          "gic-batch-\(UUID().uuidString)"
        ).path
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` below the folder (creating folders) and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
      let file = path + "/" + name
      try FileManager.default.createDirectory(
        atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try Data(text.utf8).write(to: URL(fileURLWithPath: file))
      return file
    }
  }

  @Test("i/n parses for 0 ≤ i < n; anything else is batch.badShard")
  func shardParsing() throws {
    #expect(try Shard(parsing: "2/3") == Shard(parsing: "2/3"))
    #expect(try Shard(parsing: "0/1").description == "0/1")
    for bad in ["3/3", "-1/2", "a/b", "1", "0/0", "1/2/3", ""] {
      #expect(throws: BatchError.badShard(text: bad)) { try Shard(parsing: bad) }
      #expect(BatchError.badShard(text: bad).code == "batch.badShard")
    }
  }

  @Test("every name lands in exactly one shard, by the documented SHA-256 rule")
  func shardPartition() throws {
    // Python: int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % 7
    #expect(Shard.bucket(of: "city/0001.png", count: 7) == 1)
    #expect(Shard.bucket(of: "gic-v1-rgb-1x1-r0-s3-seed2", count: 7) == 0)
    let names = (0..<500).map { "dir\($0 % 7)/picture-\($0).png" }
    for n in 1...5 {
      let shards = try (0..<n).map { try Shard(parsing: "\($0)/\(n)") }
      for name in names { #expect(shards.filter { $0.contains(name) }.count == 1) }
      let sizes = shards.map { s in names.filter { s.contains($0) }.count }
      #expect(sizes.allSatisfy { $0 > 500 / n / 2 }, "\(sizes)")
    }
  }

  @Test("a directory is scanned recursively (hidden names and the output folder skipped)")
  func directoryInputs() throws {
    let dir = try ScratchFolder()
    for name in [
      "b.png", "a.PNG", "sub/c.png", "sub/.hidden.png", ".git/d.png", "x.gic", "out/e.png",
    ] {
      try dir.write("in/" + name, name)
    }
    let inputs = try BatchInput.resolve(
      dir.path + "/in", extensions: ["png"], excluding: dir.path + "/in/out")
    #expect(inputs.map(\.name) == ["a.PNG", "b.png", "sub/c.png"])
    let inPlace = try BatchInput.resolve(
      dir.path + "/in", extensions: ["png"], excluding: dir.path + "/in/")
    #expect(inPlace.map(\.name) == ["a.PNG", "b.png", "out/e.png", "sub/c.png"])
    #expect(inputs[2].path == dir.path + "/in/sub/c.png")
    #expect(BatchInput.outputName("sub/c.png", extension: "gic") == "sub/c.gic")
    #expect(BatchInput.outputName("noext", extension: "gic") == "noext.gic")
    try dir.write("empty/notes.txt", "")
    #expect(throws: BatchError.noInputs(path: dir.path + "/empty")) {
      try BatchInput.resolve(dir.path + "/empty", extensions: ["png"])
    }
  }

  @Test("a list file names pictures relative to its folder; '..' and repeats are refused")
  func listInputs() throws {
    let dir = try ScratchFolder()
    let list = try dir.write("set/list.txt", "# pictures\n\n./b.png\nsub/a.png\n  /abs/c.png  \n")
    let inputs = try BatchInput.resolve(list, extensions: ["png"])
    #expect(inputs.map(\.name) == ["abs/c.png", "b.png", "sub/a.png"])
    #expect(
      inputs.map(\.path) == ["/abs/c.png", dir.path + "/set/b.png", dir.path + "/set/sub/a.png"])
    #expect(BatchInput.isList(list) && !BatchInput.isList("a.png"))
    let up = try dir.write("up.txt", "a.png\n../b.png\n")
    #expect(throws: BatchError.self) { try BatchInput.resolve(up, extensions: ["png"]) }
    let twice = try dir.write("twice.list", "a.png\n./a.png\n")
    #expect(throws: BatchError.duplicateName(name: "a.png")) {
      try BatchInput.resolve(twice, extensions: ["png"])
    }
    let empty = try dir.write("empty.lst", "# nothing\n")
    #expect(throws: BatchError.noInputs(path: empty)) {
      try BatchInput.resolve(empty, extensions: ["png"])
    }
  }

  @Test("manifest lines round-trip; an unfinished last line is ignored, a bad one is located")
  func manifestLines() throws {
    var entry = BatchEntry(input: "a/b.png", seconds: 0.25)
    (entry.bytes, entry.bpp, entry.rgbSha256) = (12, 0.5, "00ff")
    let line = entry.line()
    #expect(
      String(decoding: line, as: UTF8.self).hasPrefix(#"{"bpp":0.5,"bytes":12,"input":"a/b.png","#))
    #expect(line.last == 0x0A && line.dropLast().firstIndex(of: 0x0A) == nil)
    #expect(try BatchEntry(line: line.dropLast()) == entry)
    let dir = try ScratchFolder()
    let other = BatchEntry(input: "c.png", error: .init(code: "image.notPNG", message: "no"))
    let cut = try dir.write(
      "m.jsonl", String(decoding: other.line() + line + line.prefix(10), as: UTF8.self))
    #expect(try BatchManifest.read(cut) == [other, entry])
    let bad = try dir.write("bad.jsonl", String(decoding: line, as: UTF8.self) + "{oops}\n")
    #expect(throws: BatchError.self) { try BatchManifest.read(bad) }
    do { _ = try BatchManifest.read(bad) } catch {
      #expect(error.description.hasPrefix(bad + ":2: "))
    }
    #expect(
      BatchManifest.serialized([entry, other]) == [UInt8](entry.line()) + [UInt8](other.line()))
  }

  @Test("merge sorts by input, refuses an input twice and reports what is missing")
  func merge() throws {
    let a = [BatchEntry(input: "z.png"), BatchEntry(input: "b.png")]
    let b = [BatchEntry(input: "a.png")]
    let merged = try BatchManifest.merge(
      [("a.jsonl", a), ("b.jsonl", b)], expected: ["a.png", "b.png", "c.png"])
    #expect(merged.entries.map(\.input) == ["a.png", "b.png", "z.png"])
    #expect(merged.missing == ["c.png"] && merged.unexpected == ["z.png"])
    #expect(try BatchManifest.merge([("a.jsonl", a)]).missing.isEmpty)
    #expect(throws: BatchError.duplicateInput(name: "a.png", first: "b.jsonl", second: "c.jsonl")) {
      try BatchManifest.merge([("b.jsonl", b), ("c.jsonl", b)])
    }
  }
}
