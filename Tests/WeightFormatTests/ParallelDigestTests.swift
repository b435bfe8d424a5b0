import Crypto
import Foundation
import Testing
import WeightFormat

@Suite("Object digests: one thread below the threshold, all cores above, the same answers")
struct ParallelDigestTests {
  @Test("parallelMap returns the same results in index order on either path")
  func sameResultsEitherWay() {
    let body: @Sendable (Int) -> [UInt8] = { i in
      Array(SHA256.hash(data: Data((0..<(i % 97 + 1)).map { UInt8(truncatingIfNeeded: $0 &* i) })))
    }
    for count in [0, 1, 2, 7, 64, 257] {
      let serial = parallelMap(count, work: 0, body)
      let parallel = parallelMap(count, work: parallelWorkThreshold, body)
      #expect(serial.count == count)
      #expect(serial == parallel, "count \(count)")
      #expect(serial == (0..<count).map(body), "count \(count)")
    }
  }

  /// Two tensors of 4.5 MiB each: 9 MiB of DATA, above ``parallelWorkThreshold``, so the reader
  /// hashes the objects on all cores.
  static func largeContainer() throws -> [UInt8] {
    var writer = WeightFileWriter()
    for (k, name) in ["a.weight", "b.weight"].enumerated() {
      let count = 9 << 19
      let data = Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ k) })
      try writer.add(Tensor(name: name, dtype: .uint8, shape: [count], data: data))
    }
    return writer.serialized()
  }

  @Test("a container above the threshold opens, and a flipped byte names its object")
  func largeContainerDigests() throws {
    let bytes = try Self.largeContainer()
    #expect(bytes.count > parallelWorkThreshold)
    let file = try WeightFile(bytes: Data(bytes))
    #expect(file.tensors.map(\.name) == ["a.weight", "b.weight"])
    let dataSection = try #require(file.sections.first { $0.kind == 4 })
    for tensor in file.tensors {
      let start = Int(dataSection.offset) + Int(tensor.dataOffset)
      for position in [start, start + Int(tensor.dataLength) - 1] {
        var damaged = bytes
        damaged[position] ^= 0x40
        #expect(throws: WeightFormatError.objectDigestMismatch(name: tensor.name)) {
          try WeightFile(bytes: Data(damaged))
        }
      }
    }
    // Both damaged: the first in name order is reported, whichever worker finished first.
    var damaged = bytes
    for tensor in file.tensors {
      damaged[Int(dataSection.offset) + Int(tensor.dataOffset) + 5] ^= 1
    }
    #expect(throws: WeightFormatError.objectDigestMismatch(name: "a.weight")) {
      try WeightFile(bytes: Data(damaged))
    }
  }
}
