import Foundation
import WeightFormat

/// The committed PNG corpus (python/make_png_fixtures.py) and its expectations.
enum PNGFixtures {
  /// One row of `expected.json`: a valid file's decoding, or a refused file's error code.
  struct Expectation: Decodable {
    let width: Int?
    let height: Int?
    let sourceFormat: String?
    let sourceBitDepth: Int?
    let droppedAlpha: Bool?
    let ignoredChunks: [String]?
    let rgbSHA256: String?
    let error: String?

    enum CodingKeys: String, CodingKey {
      case width, height, error
      case sourceFormat = "source_format"
      case sourceBitDepth = "source_bit_depth"
      case droppedAlpha = "dropped_alpha"
      case ignoredChunks = "ignored_chunks"
      case rgbSHA256 = "rgb_sha256"
    }
  }

  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/png")

  /// `expected.json`, or empty if it cannot be read (a test checks that it can).
  static let expected: [String: Expectation] = {
    guard let data = try? Data(contentsOf: root.appendingPathComponent("expected.json")) else {
      return [:]
    }
    return (try? JSONDecoder().decode([String: Expectation].self, from: data)) ?? [:]
  }()

  /// Files that must decode.
  static var valid: [String] { expected.filter { $0.value.error == nil }.keys.sorted() }
  /// Files that must be refused.
  static var refused: [String] { expected.filter { $0.value.error != nil }.keys.sorted() }

  static func path(_ name: String) -> String { root.appendingPathComponent(name).path }

  static func bytes(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: root.appendingPathComponent(name)))
  }

  /// Lower-case hex SHA-256 of `bytes`.
  static func sha256(_ bytes: [UInt8]) -> String { SHA256Hex.of(Data(bytes)) }

  /// The chunk types of a PNG, in order.
  static func chunkTypes(_ png: [UInt8]) -> [String] {
    var types: [String] = []
    var at = 8
    while at + 8 <= png.count {
      let length = png[at..<at + 4].reduce(0) { $0 << 8 | Int($1) }
      types.append(String(decoding: png[at + 4..<at + 8], as: UTF8.self))
      at += 12 + length
    }
    return types
  }
}

/// A fresh, uniquely named directory under the system's temporary directory.
struct ScratchDirectory {
  let path: String

  init() throws {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("PNGCodecTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    path = url.path
  }

  /// The names of the directory's entries, hidden ones included, sorted.
  func entries() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path).sorted()
  }

  func remove() { try? FileManager.default.removeItem(atPath: path) }
}
