import Foundation
import Testing
import WeightFormat

@Suite("Files on disk")
struct FileIOTests {
  @Test("opening a missing file is an I/O error naming the path")
  func missingFile() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/absent.gicw"
    do {
      _ = try WeightFile.open(path: path)
      Issue.record("opened a missing file")
    } catch {
      #expect(error.code == "gicw.io")
      guard case .io(let p, _) = error else { return }
      #expect(p == path)
      #expect(error.description.contains(path))
    }
  }

  @Test("opening a directory is an I/O error")
  func directory() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(
      Samples.refusal { () throws(WeightFormatError) in _ = try WeightFile.open(path: dir.path) }
        == "gicw.io")
  }

  @Test("a malformed file on disk reports the format error, not an I/O error")
  func malformedOnDisk() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/bad.gicw"
    var image = Samples.corpus
    image.flip(at: 0)
    try image.data.write(to: URL(fileURLWithPath: path))
    #expect(
      Samples.refusal { () throws(WeightFormatError) in _ = try WeightFile.open(path: path) }
        == "gicw.badMagic")
    try Data().write(to: URL(fileURLWithPath: path))
    #expect(
      Samples.refusal { () throws(WeightFormatError) in _ = try WeightFile.open(path: path) }
        == "gicw.fileTooShort")
  }

  @Test("writing into a missing directory is an I/O error and creates nothing")
  func missingDirectory() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let writer = try Samples.corpusWriter()
    let path = dir.path + "/no/such/dir/model.gicw"
    do {
      try writer.write(to: path)
      Issue.record("wrote into a missing directory")
    } catch {
      #expect(error.code == "gicw.io")
      guard case .io(let p, _) = error else { return }
      #expect(p == path)
    }
    #expect(try dir.entries().isEmpty)
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/no"))
  }

  @Test("a path naming a directory is an I/O error")
  func pathIsDirectory() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let writer = try Samples.corpusWriter()
    #expect(
      Samples.refusal { () throws(WeightFormatError) in try writer.write(to: dir.path + "/") }
        == "gicw.io")
    try FileManager.default.createDirectory(
      atPath: dir.path + "/taken", withIntermediateDirectories: false)
    try "keep".write(toFile: dir.path + "/taken/file", atomically: false, encoding: .utf8)
    // Renaming over a non-empty directory fails; the temporary file must not stay behind.
    #expect(
      Samples.refusal { () throws(WeightFormatError) in try writer.write(to: dir.path + "/taken") }
        == "gicw.io")
    #expect(try dir.entries() == ["taken"])
    #expect(try String(contentsOfFile: dir.path + "/taken/file", encoding: .utf8) == "keep")
  }

  @Test("writing over an existing file replaces it and leaves no temporary file")
  func overwrite() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/model.gicw"
    try Data("an older, unrelated and longer file ".utf8 + Array(repeating: 0x55, count: 5000))
      .write(to: URL(fileURLWithPath: path))
    let first = try Samples.corpusWriter()
    let firstDigest = try first.write(to: path)
    #expect(try WeightFile.open(path: path).modelDigest == firstDigest)
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(first.serialized()))

    let second = try Samples.smallWriter()
    let secondDigest = try second.write(to: path)
    #expect(secondDigest != firstDigest)
    let reopened = try WeightFile.open(path: path)
    #expect(reopened.modelDigest == secondDigest)
    #expect(reopened.tensors.map(\.name) == ["a", "b"])
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(second.serialized()))
    let entries = try dir.entries()
    #expect(entries == ["model.gicw"])
    #expect(!entries.contains { $0.contains(".tmp-") })
  }

  @Test("a file opened before it is replaced keeps serving its own verified data")
  func replacedWhileOpen() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/model.gicw"
    let first = try Samples.corpusWriter()
    try first.write(to: path)
    let opened = try WeightFile.open(path: path)
    try Samples.smallWriter().write(to: path)
    let bias = try #require(opened.tensor(named: "enc/bias"))
    let expected = try WeightFile(bytes: Samples.corpus.data)
    let reference = try #require(expected.tensor(named: "enc/bias"))
    #expect(opened.data(of: bias) == expected.data(of: reference))
  }
}
