import Foundation
import ReferenceCodec
import Testing
import WeightFormat

@Suite("Conformance vectors")
struct ConformanceTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("conformance")

  static func file(_ name: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(name).path)
    else { throw ConformanceError.missingFile(path: name) }
    return data
  }

  static func manifest() throws -> ConformanceManifest {
    try ConformanceManifest(parsing: try file("manifest.json"))
  }

  /// Every published vector decodes to its digests in this (debug) build, for every kernel path
  /// and 1, 2 and 8 threads.
  @Test func publishedVectorsPass() throws {
    let m = try Self.manifest()
    #expect(m.vectors.count == 40)
    #expect(Set(m.models.map(\.profile)) == ["bmshj2018-hyperprior", "mbt2018-mean", "gic-v1"])
    for path in KernelPath.available {
      for threads in [1, 2, 8] {
        let results = ConformanceVerifier.verify(m, file: Self.file, threads: threads, path: path)
        let failed = results.filter { $0.status != .pass }
        #expect(
          failed.isEmpty, "\(path), \(threads) threads: \(failed.map { "\($0.id): \($0.detail)" })")
      }
    }
  }

  /// Every vector of the sets of one converted CompressAI model decodes to its digests.
  ///
  /// The sets (conformance/<set>/, named after the model's profile): bmshj2018-factorized
  /// (spec/bitstream.md §10), mbt2018 (§11), cheng2020-anchor (§12) and cheng2020-attn (§13); on
  /// every kernel path and 1, 2 and 8 threads.
  @Test(arguments: ["bmshj2018-factorized", "mbt2018", "cheng2020-anchor", "cheng2020-attn"])
  func convertedSetVectorsPass(set: String) throws {
    func file(_ name: String) throws -> Data {
      try Self.file(set + "/" + name)
    }
    let m = try ConformanceManifest(parsing: try file("manifest.json"))
    #expect(m.vectors.count == 8)
    #expect(Set(m.models.map(\.profile)) == [set])
    for path in KernelPath.available {
      for threads in [1, 2, 8] {
        let results = ConformanceVerifier.verify(m, file: file, threads: threads, path: path)
        let failed = results.filter { $0.status != .pass }
        #expect(
          failed.isEmpty, "\(path), \(threads) threads: \(failed.map { "\($0.id): \($0.detail)" })")
      }
    }
  }

  /// The manifest serializes canonically: parsing and writing it back gives the same bytes.
  @Test func manifestIsCanonical() throws {
    let data = try Self.file("manifest.json")
    #expect(try ConformanceManifest(parsing: data).serialized() == data)
  }

  /// A damaged bitstream, model or manifest is reported, not crashed on.
  @Test func tamperingIsReported() throws {
    let m = try Self.manifest()
    let victim = m.vectors[20]
    func files(_ change: @escaping (String, inout Data) -> Void) -> (String) throws -> Data {
      { name in
        var d = try Self.file(name)
        change(name, &d)
        return d
      }
    }
    let flipped = ConformanceVerifier.verify(
      m,
      file: files { name, d in if name == victim.bitstream { d[d.startIndex + 20] ^= 1 } })
    #expect(flipped.filter { $0.status != .pass }.map(\.id) == [victim.id])

    var lying = m
    lying.vectors[3].decodedRgbSha256 = String(repeating: "0", count: 64)
    let wrong = ConformanceVerifier.verify(lying, file: Self.file)
    #expect(wrong[3].status == .mismatch && wrong[3].detail.contains("decoded RGB"))

    let model = m.models[0].file
    let badModel = ConformanceVerifier.verify(
      m, file: files { name, d in if name == model { d[d.endIndex - 1] ^= 1 } })
    let affected = m.vectors.filter { $0.model == model }.map(\.id)
    #expect(Set(badModel.filter { $0.status != .pass }.map(\.id)) == Set(affected))

    var missing = m
    missing.vectors[0].bitstream = "streams/nothing.gic"
    let gone = ConformanceVerifier.verify(missing, file: Self.file)
    #expect(gone[0].status == .error)

    for text in [
      "{", "[]", #"{"format":"x","version":1,"bitstream_version":"1.0","models":[],"vectors":[]}"#,
    ] {
      #expect(throws: ConformanceError.self) {
        _ = try ConformanceManifest(parsing: Data(text.utf8))
      }
    }
    var duplicate = m
    duplicate.vectors.append(m.vectors[0])
    #expect(throws: ConformanceError.self) {
      _ = try ConformanceManifest(parsing: duplicate.serialized())
    }
  }
}
