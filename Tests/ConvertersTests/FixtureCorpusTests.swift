import Converters
import Foundation
import Testing
import WeightFormat

/// The fixtures written by `python/make_fixtures.py` with real NumPy.
enum Fixtures {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

  static func data(_ folder: String, _ name: String) throws -> Data {
    try Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(name))
  }

  static func manifest(_ folder: String) throws -> [String: Any] {
    let json = try data(folder, "expected.json")
    return try JSONSerialization.jsonObject(with: json) as? [String: Any] ?? [:]
  }

  static func names(_ folder: String) -> [String] {
    ((try? manifest(folder)) ?? [:]).keys.sorted()
  }

  /// Reads a `.npy` or `.npz` fixture into named arrays (`""` for a lone `.npy`).
  static func read(_ folder: String, _ name: String) throws -> [String: NumPyArray] {
    let bytes = try data(folder, name)
    if name.hasSuffix(".npy") { return ["": try NPYReader.read(bytes)] }
    return try NPZReader(bytes).readAll()
  }
}

@Suite("NumPy fixtures written by real NumPy")
struct ValidFixtureTests {
  @Test(
    "every valid file reads to the dtype, shape and bytes NumPy reports",
    arguments: Fixtures.names("valid"))
  func validFile(name: String) throws {
    let expected = try #require(Fixtures.manifest("valid")[name] as? [String: Any])
    let arrays = try Fixtures.read("valid", name)
    let members: [String: Any] =
      name.hasSuffix(".npz") ? (expected["members"] as? [String: Any] ?? [:]) : ["": expected]
    #expect(Set(arrays.keys) == Set(members.keys))
    for (member, value) in members {
      let e = try #require(value as? [String: Any])
      let array = try #require(arrays[member])
      #expect(array.dtype.name == e["dtype"] as? String, "\(name):\(member)")
      #expect(array.shape == (e["shape"] as? [Int]), "\(name):\(member)")
      #expect(SHA256Hex.of(array.data) == e["sha256"] as? String, "\(name):\(member)")
    }
  }
}

@Suite("Malformed NumPy files")
struct MalformedFixtureTests {
  @Test("the corpus is large enough")
  func corpusSize() {
    #expect(Fixtures.names("malformed").count >= 40)
  }

  @Test("each malformed file fails with its specific error", arguments: Fixtures.names("malformed"))
  func malformedFile(name: String) throws {
    let expected = try #require(Fixtures.manifest("malformed")[name] as? String)
    do {
      let arrays = try Fixtures.read("malformed", name)
      Issue.record("\(name) was accepted (\(arrays.count) arrays); expected \(expected)")
    } catch let error as NPYError {
      #expect(error.code == expected, "\(name): \(error)")
    } catch let error as NPZError {
      #expect(error.code == expected, "\(name): \(error)")
      #expect(!error.description.isEmpty)
    }
  }
}
