import Converters
import Foundation
import Testing

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
    #expect {
      try reader.forEachArray { _, _ in }
    } throws: { error in
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
}
