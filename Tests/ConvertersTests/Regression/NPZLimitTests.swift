import Converters
import Foundation
import Testing
import WeightFormat

/// The `.npz` caps of issue #17, checked from the central directory before anything is
/// inflated: the total (4 GiB by default) and one member in memory (1 GiB by default).
@Suite("NPZ size caps")
struct NPZLimitTests {
  /// An archive with one 4 KiB float32 member, on disk.
  static func archive() throws -> String {
    var writer = NPZWriter()
    writer.add(name: "w", dtype: .float32, shape: [1024], data: Data(count: 4096))
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "gic-npz-\(UUID().uuidString).npz"
    ).path
    try writer.write(to: path)
    return path
  }

  @Test func defaults() {
    #expect(NPZReader.defaultMaxTotalBytes == 4 << 30)
    #expect(NPZReader.maxMemberBytes == 1 << 30)
  }

  /// A member over the reader's limit is refused before its buffer exists; its header is still
  /// readable (a prefix), and the total cap refuses the archive at open.
  @Test func membersOverTheLimitAreRefusedUninflated() throws {
    let path = try Self.archive()
    defer { try? FileManager.default.removeItem(atPath: path) }
    let reader = try NPZReader(path: path)
    reader.memberLimit = 4000
    var shapes: [[Int]] = []
    try reader.forEachHeader { _, header in shapes.append(header.shape) }
    #expect(shapes == [[1024]])
    expectThrows {
      try reader.forEachArray { _, _ in }
    } matching: { error in
      guard case .memberOverLimit("w.npy", let declared, 4000) = error as? NPZError else {
        return false
      }
      return declared > 4096 && (error as? NPZError)?.code == "npz.memberOverLimit"
    }
    reader.memberLimit = NPZReader.maxMemberBytes
    var count = 0
    try reader.forEachArray { _, _ in count += 1 }
    #expect(count == 1)
    #expect(throws: NPZError.self) { _ = try NPZReader(path: path, maxTotalBytes: 1000) }
  }

  /// Members hashed as they inflate (`forEachDigest`, what `gic-convert inspect` uses): the
  /// same SHA-256 as the whole array's, for a member of several 1 MiB pieces and for one smaller
  /// than a header's worth, even with a member limit below the members' sizes (nothing is held
  /// whole).
  @Test func digestsStreamAsTheyInflate() throws {
    var rng = SplitMix64(seed: 17)
    let big = Data((0..<(3 << 20) + 5).map { _ in UInt8.random(in: 0...255, using: &rng) })
    var writer = NPZWriter()
    writer.add(name: "big", dtype: .uint8, shape: [big.count], data: big)
    writer.add(name: "one", dtype: .float32, shape: [], data: Data([0, 0, 128, 63]))
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "gic-npz-\(UUID().uuidString).npz"
    ).path
    try writer.write(to: path)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let reader = try NPZReader(path: path)
    var expected: [String: String] = [:]
    try reader.forEachArray { name, array in expected[name] = SHA256Hex.of(array.data) }
    reader.memberLimit = 1 << 20
    var streamed: [String: String] = [:]
    var shapes: [String: [Int]] = [:]
    try reader.forEachDigest { name, header, sha in
      streamed[name] = sha
      shapes[name] = header.shape
    }
    #expect(streamed == expected && streamed.count == 2)
    #expect(shapes == ["big": [big.count], "one": []])
    let inspection = try Inspection.inspect(path: path)
    #expect(
      Dictionary(uniqueKeysWithValues: inspection.tensors.map { ($0.name, $0.sha256) })
        == expected)
  }
}
