import Foundation
import Testing
import WeightFormat

@Suite("Streaming writer")
struct StreamingWriterTests {
  /// A streaming writer to `path` declaring the content of an opened file.
  static func writer(declaring file: WeightFile, to path: String) throws
    -> StreamingWeightFileWriter
  {
    try StreamingWeightFileWriter(
      path: path,
      metadata: Dictionary(uniqueKeysWithValues: file.metadata.map { ($0.key, $0.value) }),
      tensors: file.tensors.map {
        .init(name: $0.name, dtype: $0.dtype, shape: $0.shape, quantization: $0.quantization)
      },
      cdfTables: Dictionary(uniqueKeysWithValues: file.cdfTables.map { ($0.name, $0.table) }))
  }

  /// A streaming writer to `path` declaring two tensors: "a" (float32 [2]), "b" (uint8 [3]).
  static func twoTensorWriter(to path: String) throws -> StreamingWeightFileWriter {
    try StreamingWeightFileWriter(
      path: path, metadata: [:],
      tensors: [
        .init(name: "a", dtype: .float32, shape: [2]), .init(name: "b", dtype: .uint8, shape: [3]),
      ])
  }

  /// The error code `body` throws; nil when it succeeds, "other" for another error type.
  static func code(_ body: () throws -> Void) -> String? {
    do { try body() } catch let e as WeightFormatError { return e.code } catch { return "other" }
    return nil
  }

  /// Re-declares the content of an opened file to a streaming writer, writing the tensors in
  /// the given order.
  static func restream(_ file: WeightFile, to path: String, order: [TensorRecord]) throws
    -> [UInt8]
  {
    let writer = try writer(declaring: file, to: path)
    for t in order {
      try file.data(of: t).withUnsafeBytes { try writer.write(tensor: t.name, data: $0) }
    }
    return try writer.finish()
  }

  @Test("gives the in-memory writer's bytes, whatever order the tensors arrive in")
  func sameBytes() throws {
    let bytes = Samples.corpus.bytes
    let file = try WeightFile(bytes: Data(bytes))
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var rng = SplitMix64(seed: 11)
    for round in 0..<4 {
      let path = dir.path + "/s\(round).gicw"
      let order = round == 0 ? file.tensors : file.tensors.shuffled(using: &rng)
      let digest = try Self.restream(file, to: path, order: order)
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
      #expect(digest == file.modelDigest)
    }
    #expect(try dir.entries().allSatisfy { !$0.contains(".tmp-") })
  }

  @Test("writes tensors in pieces, byte-identical to the whole-tensor path")
  func piecesGiveTheSameBytes() throws {
    let bytes = Samples.corpus.bytes
    let file = try WeightFile(bytes: Data(bytes))
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var rng = SplitMix64(seed: 1717)
    for round in 0..<4 {
      let path = dir.path + "/p\(round).gicw"
      let writer = try Self.writer(declaring: file, to: path)
      for (i, t) in file.tensors.shuffled(using: &rng).enumerated() {
        let data = file.data(of: t)
        guard i % 3 != 0 else {
          try data.withUnsafeBytes { try writer.write(tensor: t.name, data: $0) }
          continue
        }
        // Random cuts, empty pieces included.
        try writer.begin(tensor: t.name)
        var at = 0
        while at < data.count {
          let n = Int.random(in: 0...max(1, data.count / 3), using: &rng)
          let piece = data[(data.startIndex + at)..<(data.startIndex + min(at + n, data.count))]
          try piece.withUnsafeBytes { try writer.write(tensor: t.name, piece: $0) }
          at += piece.count
        }
        try writer.end(tensor: t.name)
      }
      #expect(try writer.finish() == file.modelDigest)
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
    }
  }

  @Test("refuses pieces of the wrong total length, a tensor begun twice or left incomplete")
  func pieceRefusals() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/m.gicw"
    let writer = try Self.twoTensorWriter(to: path)
    let bytes = [UInt8](repeating: 1, count: 8)
    let code = Self.code
    func piece(_ name: String, _ count: Int) throws {
      try bytes.prefix(count).withUnsafeBytes { try writer.write(tensor: name, piece: $0) }
    }
    #expect(code { try piece("a", 4) } == "gicw.invalidTensor")  // not begun
    #expect(code { try writer.begin(tensor: "zz") } == "gicw.invalidTensor")
    #expect(code { try writer.begin(tensor: "a") } == nil)
    #expect(code { try writer.begin(tensor: "b") } == "gicw.invalidTensor")  // "a" is open
    #expect(code { try piece("b", 1) } == "gicw.invalidTensor")
    #expect(
      code { try bytes.withUnsafeBytes { try writer.write(tensor: "a", data: $0) } }
        == "gicw.duplicateName")
    #expect(code { try piece("a", 5) } == nil)
    #expect(throws: WeightFormatError.dataLengthMismatch(name: "a", expected: 8, declared: 10)) {
      try piece("a", 5)
    }
    #expect(throws: WeightFormatError.dataLengthMismatch(name: "a", expected: 8, declared: 5)) {
      try writer.end(tensor: "a")
    }
    #expect(code { _ = try writer.finish() } == "gicw.invalidTensor")
    #expect(code { try piece("a", 3) } == nil)
    #expect(code { try writer.end(tensor: "a") } == nil)
    #expect(code { try writer.begin(tensor: "a") } == "gicw.duplicateName")
    #expect(code { try writer.begin(tensor: "b") } == nil)
    #expect(code { try writer.end(tensor: "b") } == "gicw.dataLengthMismatch")
    #expect(code { _ = try writer.finish() } == "gicw.invalidTensor")
    #expect(!FileManager.default.fileExists(atPath: path))
  }

  @Test("refuses undeclared, repeated, wrongly sized and missing tensors, leaving no file")
  func refusals() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/m.gicw"
    let writer = try Self.twoTensorWriter(to: path)
    let eight = [UInt8](repeating: 1, count: 8)
    let code = Self.code
    #expect(
      code { try eight.withUnsafeBytes { try writer.write(tensor: "zz", data: $0) } }
        == "gicw.invalidTensor")
    #expect(
      code { try eight.prefix(3).withUnsafeBytes { try writer.write(tensor: "a", data: $0) } }
        == "gicw.dataLengthMismatch")
    #expect(code { try eight.withUnsafeBytes { try writer.write(tensor: "a", data: $0) } } == nil)
    #expect(
      code { try eight.withUnsafeBytes { try writer.write(tensor: "a", data: $0) } }
        == "gicw.duplicateName")
    #expect(code { _ = try writer.finish() } == "gicw.invalidTensor")
    #expect(!FileManager.default.fileExists(atPath: path))
    #expect(
      code {
        _ = try StreamingWeightFileWriter(
          path: path, metadata: [:],
          tensors: [
            .init(name: "a", dtype: .int8, shape: [1]), .init(name: "a", dtype: .int8, shape: [1]),
          ])
      } == "gicw.duplicateName")
  }
}
