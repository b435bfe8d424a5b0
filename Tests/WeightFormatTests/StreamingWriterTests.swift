import Foundation
import Testing
import WeightFormat

@Suite("Streaming writer")
struct StreamingWriterTests {
  /// Re-declares the content of an opened file to a streaming writer, writing the tensors in
  /// the given order.
  static func restream(_ file: WeightFile, to path: String, order: [TensorRecord]) throws
    -> [UInt8]
  {
    let writer = try StreamingWeightFileWriter(
      path: path,
      metadata: Dictionary(uniqueKeysWithValues: file.metadata.map { ($0.key, $0.value) }),
      tensors: file.tensors.map {
        .init(name: $0.name, dtype: $0.dtype, shape: $0.shape, quantization: $0.quantization)
      },
      cdfTables: Dictionary(uniqueKeysWithValues: file.cdfTables.map { ($0.name, $0.table) }))
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

  @Test("refuses undeclared, repeated, wrongly sized and missing tensors, leaving no file")
  func refusals() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/m.gicw"
    let writer = try StreamingWeightFileWriter(
      path: path, metadata: [:],
      tensors: [
        .init(name: "a", dtype: .float32, shape: [2]), .init(name: "b", dtype: .uint8, shape: [3]),
      ])
    let eight = [UInt8](repeating: 1, count: 8)
    func code(_ body: () throws -> Void) -> String? {
      do { try body() } catch let e as WeightFormatError { return e.code } catch { return "other" }
      return nil
    }
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
