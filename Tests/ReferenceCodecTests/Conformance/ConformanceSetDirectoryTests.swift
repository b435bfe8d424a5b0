import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// A set directory's files as `gic-ref verify` reads them (issue #17): nothing outside the set,
/// nothing that blocks, nothing read before its size is checked.
@Suite("Conformance set directories")
struct ConformanceSetDirectoryTests {
  @Test func linksLeavingTheSetAndOversizedFilesAreRefused() throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent(
      "gic-set-\(UUID().uuidString)")
    let set = base.appendingPathComponent("set")
    try FileManager.default.createDirectory(
      at: set.appendingPathComponent("models"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: base) }
    try Data("secret".utf8).write(to: base.appendingPathComponent("outside.bin"))
    try Data("inside".utf8).write(to: set.appendingPathComponent("models/m.gicw"))
    try FileManager.default.createSymbolicLink(
      atPath: set.path + "/models/escape.gicw", withDestinationPath: "../../outside.bin")
    try FileManager.default.createSymbolicLink(
      atPath: set.path + "/models/alias.gicw", withDestinationPath: "m.gicw")
    #expect(SystemCalls.makeFIFO(set.path + "/models/fifo.gicw") == 0)
    // A sparse manifest.json of 3 GiB: refused from its size, without reading it.
    let manifest = set.appendingPathComponent("manifest.json").path
    #expect(FileManager.default.createFile(atPath: manifest, contents: nil))
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: manifest))
    try handle.truncate(atOffset: 3 << 30)
    try handle.close()

    let directory = try ConformanceSetDirectory(set.path)
    #expect(try directory.read("models/m.gicw") == Data("inside".utf8))
    #expect(try directory.read("models/alias.gicw") == Data("inside".utf8))
    #expect(throws: ConformanceError.outsideSet(path: "models/escape.gicw")) {
      try directory.read("models/escape.gicw")
    }
    #expect(throws: ConformanceError.missingFile(path: "../outside.bin")) {
      try directory.read("../outside.bin")
    }
    #expect(throws: ConformanceError.missingFile(path: "models/none.gicw")) {
      try directory.read("models/none.gicw")
    }
    let start = ContinuousClock.now
    expectThrows {
      try directory.read("models/fifo.gicw")
    } matching: { error in
      "\(error)".contains("is a FIFO (named pipe), not a regular file")
    }
    expectThrows {
      try directory.read("manifest.json")
    } matching: { error in
      "\(error)".contains("is 3221225472 bytes, more than the limit of 16777216")
    }
    #expect(ContinuousClock.now - start < .seconds(2))
  }
}
