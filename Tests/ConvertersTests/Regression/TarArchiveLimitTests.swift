import Converters
import Foundation
import Testing

/// The size limits of ``TarArchive/read(path:)`` (docs/robustness.md).
@Suite("Tar archive limits")
struct TarArchiveLimitTests {
  /// A ustar header whose size field claims 3 GiB — under ``TarArchive/maxTotalBytes`` — in a
  /// 10 KiB archive is refused before the member's buffer is allocated.
  @Test func memberLargerThanTheArchiveIsRefused() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "gic-tar-limit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("lying.tar").path
    try TarArchive.write(["m.bin": Data(repeating: 7, count: 100)], to: path)
    #expect(try TarArchive.read(path: path) == ["m.bin": Data(repeating: 7, count: 100)])

    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(bytes.count == 10240)
    // Size field: 11 octal digits and a NUL at offset 124; 3 GiB = 0o30000000000.
    bytes.replaceSubrange(124..<136, with: Array("30000000000".utf8) + [0])
    // Checksum: the byte sum with the checksum field read as spaces, 6 octal digits, NUL, space.
    bytes.replaceSubrange(148..<156, with: [UInt8](repeating: 0x20, count: 8))
    let sum = bytes[0..<512].reduce(0) { $0 + Int($1) }
    let digits = String(sum, radix: 8)
    bytes.replaceSubrange(
      148..<156,
      with: Array((String(repeating: "0", count: 6 - digits.count) + digits).utf8) + [0, 0x20])
    try Data(bytes).write(to: URL(fileURLWithPath: path))

    expectThrows {
      _ = try TarArchive.read(path: path)
    } matching: { error in
      guard case .unreadableFile(_, let reason) = error as? ConverterError else { return false }
      return reason == "m.bin declares 3221225472 bytes, more than the whole archive (10240)"
    }
  }
}
