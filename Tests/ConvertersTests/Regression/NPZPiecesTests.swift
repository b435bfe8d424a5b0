import Converters
import Foundation
import Testing
import WeightFormat

/// `.npz` members handed over in pieces as they inflate (issue #17).
///
/// `gic-convert convert` writes through these pieces, so that no member is held whole. The
/// pieces must add up to exactly what the whole-array path gives, for members of several 1 MiB
/// pieces, members that must be reordered (big-endian, Fortran order) and empty ones, and the
/// container must be byte-identical to the in-memory writer's.
@Suite("NPZ members in pieces")
struct NPZPiecesTests {
  /// One member of a test archive: what the `.npy` stores and the array it means.
  struct Member {
    var name: String
    var dtype: DType
    var shape: [Int]
    /// The array data as ``NumPyArray/data`` holds it: little-endian, C order.
    var data: Data
    var bigEndian = false
    var fortranOrder = false

    /// The member's `.npy` bytes: a version 1.0 header padded to 64 bytes, then the data in the
    /// stored byte order and layout.
    var npy: Data {
      let little = NPYWriter.descr(dtype)
      let descr = bigEndian && dtype.itemSize > 1 ? ">" + little.dropFirst() : little
      let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
      var text =
        "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), "
        + "'shape': (\(dims)), }"
      while (10 + text.utf8.count + 1) % 64 != 0 { text += " " }
      text += "\n"
      var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
      out += [UInt8(text.utf8.count & 0xFF), UInt8(text.utf8.count >> 8)]
      out += Data(text.utf8)
      var stored = [UInt8](data)
      let size = dtype.itemSize
      if fortranOrder && shape.count == 2 {
        // Column-major: element (i, j) at j * rows + i.
        let (rows, cols) = (shape[0], shape[1])
        for i in 0..<rows {
          for j in 0..<cols {
            let from = (i * cols + j) * size
            let to = (j * rows + i) * size
            stored.replaceSubrange(to..<(to + size), with: data[from..<(from + size)])
          }
        }
      }
      if bigEndian && size > 1 {
        for e in stride(from: 0, to: stored.count, by: size) {
          stored[e..<(e + size)].reverse()
        }
      }
      return out + Data(stored)
    }
  }

  /// Writes `members` as a stored zip, byte by byte, so the archive can hold what ``NPZWriter``
  /// does not write (big-endian, Fortran order); with `corruptCRC`, that member's recorded CRC
  /// is wrong.
  static func archive(_ members: [Member], corruptCRC: String? = nil) -> Data {
    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
      withUnsafeBytes(of: v.littleEndian, Array.init)
    }
    var file = Data()
    var directory = Data()
    for m in members {
      let name = Array((m.name + ".npy").utf8)
      let body = m.npy
      let crc = crc32(body) ^ (m.name == corruptCRC ? 1 : 0)
      // Version 2.0, no flags, stored, 1980-01-01 00:00.
      let common =
        le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0x21))
        + le(crc) + le(UInt32(body.count)) + le(UInt32(body.count)) + le(UInt16(name.count))
        + le(UInt16(0))
      directory += le(UInt32(0x0201_4B50)) + le(UInt16(20)) + common
      directory += le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0))
      directory += le(UInt32(file.count)) + name
      file += le(UInt32(0x0403_4B50)) + common + name
      file += body
    }
    let count = UInt16(members.count)
    let end =
      le(UInt32(0x0605_4B50)) + le(UInt16(0)) + le(UInt16(0)) + le(count) + le(count)
      + le(UInt32(directory.count)) + le(UInt32(file.count)) + le(UInt16(0))
    return file + directory + Data(end)
  }

  /// CRC-32 (IEEE 802.3, reflected), as zip records it.
  static func crc32(_ bytes: Data) -> UInt32 {
    let table: [UInt32] = (0..<256).map { n in
      var c = UInt32(n)
      for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
      return c
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    return ~crc
  }

  /// Five members from a fixed seed: 3 MiB + 12 bytes of float32 (four pieces), a big-endian
  /// float32 member of 1.2 MB, a big-endian Fortran-order int16 matrix, an empty member and a
  /// 0-d one.
  static func members() -> [Member] {
    var rng = SplitMix64(seed: 1717)
    func random(_ count: Int) -> Data {
      Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }
    return [
      Member(name: "layer.weight", dtype: .float32, shape: [3, 262_145], data: random(3_145_740)),
      Member(
        name: "big_endian", dtype: .float32, shape: [300_000], data: random(1_200_000),
        bigEndian: true),
      Member(
        name: "fortran", dtype: .int16, shape: [37, 53], data: random(37 * 53 * 2),
        bigEndian: true, fortranOrder: true),
      Member(name: "empty", dtype: .float32, shape: [0, 4], data: Data()),
      Member(name: "scalar", dtype: .float64, shape: [], data: random(8)),
    ]
  }

  static func temporaryPath(_ suffix: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "gic-pieces-\(UUID().uuidString)\(suffix)"
    ).path
  }

  /// The pieces add up to each member's array, in archive order; a large member comes in 1 MiB
  /// pieces even with a member limit far below its size, a reordered member as one piece.
  @Test func piecesAddUpToTheArrays() throws {
    let members = Self.members()
    let path = Self.temporaryPath(".npz")
    try Self.archive(members).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let reader = try NPZReader(path: path)
    reader.memberLimit = 1 << 21  // below the first member, above the reordered ones
    var order: [String] = []
    var data: [String: Data] = [:]
    var pieces: [String: Int] = [:]
    var current: String?
    var lastProgress: UInt64 = 0
    func progress(_ done: UInt64) { lastProgress = done }
    try reader.forEachArrayInPieces(progress: progress) { name, header in
      #expect(current == nil)
      current = name
      order.append(name)
      let member = members.first { $0.name == name }
      #expect(header.shape == member?.shape && header.dtype == member?.dtype)
      data[name] = Data()
      pieces[name] = 0
    } piece: { bytes in
      #expect(bytes.count > 0)
      data[current ?? "", default: Data()].append(contentsOf: bytes)
      pieces[current ?? "", default: 0] += 1
    } end: { name, _ in
      #expect(current == name)
      current = nil
    }
    #expect(order == members.map(\.name))
    for m in members { #expect(data[m.name] == m.data, "\(m.name)") }
    #expect(pieces["layer.weight"] == 4)
    #expect(pieces["big_endian"] == 1 && pieces["fortran"] == 1)
    #expect(pieces["empty"] == 0 && pieces["scalar"] == 1)
    #expect(lastProgress == reader.totalUncompressedBytes)
    // The whole-array path agrees, within a limit that lets it hold the largest member.
    reader.memberLimit = NPZReader.maxMemberBytes
    let whole = try reader.readAll()
    for m in members { #expect(whole[m.name]?.data == m.data, "\(m.name)") }
  }

  /// `gic-convert`'s path: the container written from pieces is byte-identical to the in-memory
  /// writer's for the same arrays.
  @Test func conversionIsByteIdenticalToTheInMemoryWriter() throws {
    let members = Self.members()
    let input = Self.temporaryPath(".npz")
    let output = Self.temporaryPath(".gicw")
    try Self.archive(members).write(to: URL(fileURLWithPath: input))
    defer {
      try? FileManager.default.removeItem(atPath: input)
      try? FileManager.default.removeItem(atPath: output)
    }
    let report = try ModelConverter.convert(inputPath: input, outputPath: output, profile: "raw")
    var writer = WeightFileWriter()
    try writer.setMetadata(CodecModelSchema.Key.profile, .string("raw"))
    for m in members {
      try writer.add(Tensor(name: m.name, dtype: m.dtype, shape: m.shape, data: m.data))
    }
    let expected = Data(writer.serialized())
    #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == expected)
    let expectedFile = try WeightFile(bytes: expected)
    #expect(report.modelDigest == hexString(expectedFile.modelDigest))
  }

  /// The checks of the whole-array path, with its errors: a bad CRC stops the iteration before
  /// `end` for that member, and a reordered member over the limit is refused before it is read.
  @Test func checksAndErrorsAreTheWholeArrayPath() throws {
    let members = Self.members()
    let path = Self.temporaryPath(".npz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Self.archive(members, corruptCRC: "layer.weight").write(to: URL(fileURLWithPath: path))
    let reader = try NPZReader(path: path)
    var ended: [String] = []
    #expect(throws: NPZError.crcMismatch(name: "layer.weight.npy")) {
      try reader.forEachArrayInPieces { _, _ in
      } piece: { _ in
      } end: { name, _ in
        ended.append(name)
      }
    }
    #expect(ended.isEmpty)
    #expect(throws: NPZError.crcMismatch(name: "layer.weight.npy")) {
      try reader.forEachArray { _, _ in }
    }
    let output = Self.temporaryPath(".gicw")
    #expect(throws: (any Error).self) {
      _ = try ModelConverter.convert(inputPath: path, outputPath: output, profile: "raw")
    }
    #expect(!FileManager.default.fileExists(atPath: output))

    try Self.archive(members).write(to: URL(fileURLWithPath: path))
    let limited = try NPZReader(path: path)
    limited.memberLimit = 1_000_000
    expectThrows {
      try limited.forEachArrayInPieces { _, _ in
      } piece: { _ in
      } end: { _, _ in
      }
    } matching: { error in
      guard case .memberOverLimit("big_endian.npy", _, 1_000_000) = error as? NPZError else {
        return false
      }
      return true
    }
  }
}
