import Foundation
import Testing
import WeightFormat

@Suite("Randomized mutations")
struct FuzzTests {
  /// The outcome counts of a fuzzing run.
  struct Tally: CustomStringConvertible {
    var opened = 0
    var rejected: [String: Int] = [:]
    var rejectedTotal: Int { rejected.values.reduce(0, +) }
    var description: String {
      "opened \(opened), rejected \(rejectedTotal): \(rejected.sorted { $0.key < $1.key })"
    }

    mutating func record(_ bytes: [UInt8]) {
      // `WeightFile(bytes:)` throws only `WeightFormatError` (typed throws); a crash would end the
      // test process, so reaching the count is the property under test.
      if let error = Samples.openError(bytes) {
        #expect(error.code.hasPrefix("gicw."))
        #expect(!error.description.isEmpty)
        rejected[error.code, default: 0] += 1
      } else {
        opened += 1
        checkCanonical(bytes)
      }
    }

    /// §7: a reader rejects every file that deviates from canonical form, so a file it accepts
    /// must be exactly what the writer makes of the content it holds (compared for version-1.0
    /// files with the four sections of 1.0; the header's minor version is part of the digest).
    func checkCanonical(_ bytes: [UInt8]) {
      do {
        let file = try WeightFile(bytes: Data(bytes))
        guard file.minor == 0, file.sections.count == 4 else { return }
        var w = WeightFileWriter()
        for (key, value) in file.metadata { try w.setMetadata(key, value) }
        for t in file.tensors { try w.add(file.tensorValue(t)) }
        for c in file.cdfTables { try w.add(c.table, named: c.name) }
        let rewritten = w.serialized()
        #expect(rewritten == bytes, "an accepted file is not in canonical form")
      } catch {
        Issue.record("an accepted file's content was refused by the writer: \(error)")
      }
    }
  }

  @Test("2,000 random single-byte mutations and truncations never crash, and none is accepted")
  func singleByteMutations() throws {
    let base = try ContainerImage(ModelContent.full(seed: 11).writer().serialized())
    var rng = SplitMix64(seed: 0x5EED)
    var tally = Tally()
    var truncations = 0
    for _ in 0..<2_000 {
      var image = base
      if Int.random(in: 0..<4, using: &rng) == 0 {
        image.bytes.removeLast(Int.random(in: 1...base.count, using: &rng))
        truncations += 1
      } else {
        let position = Int.random(in: 0..<base.count, using: &rng)
        image.flip(at: position, mask: UInt8.random(in: 1...255, using: &rng))
      }
      tally.record(image.bytes)
    }
    #expect(tally.opened + tally.rejectedTotal == 2_000)
    #expect(truncations > 300)
    // Every byte of a canonical file is covered by the model digest, an object digest or a
    // zero-padding rule, so no single-byte change or truncation can be accepted.
    #expect(tally.opened == 0, "\(tally)")
    #expect(tally.rejected["gicw.modelDigestMismatch", default: 0] > 0)
    #expect(tally.rejected["gicw.objectDigestMismatch", default: 0] > 0)
    #expect(tally.rejected["gicw.fileLengthMismatch", default: 0] > 0)
  }

  /// Values that sit on or just past the format's limits.
  static let hostile: [UInt64] = [
    0, 1, 2, 3, 4, 5, 13, 16, 17, 63, 64, 65, 255, 256, 1_024, 1_025, 4_096, 4_097, 65_535, 65_536,
    65_537, 1 << 20, (1 << 20) + 1, 1 << 26, (1 << 32) - 1, 1 << 40, (1 << 40) + 1, 1 << 63, .max,
    .max - 63,
  ]

  @Test("2,000 random hostile field values, with the model digest recomputed, never crash")
  func hostileFields() throws {
    let base = try ContainerImage(ModelContent.full(seed: 12).writer().serialized())
    let layout = try RecordLayout(base)
    // Only the header, table and index sections: the digest is repaired, so edits reach every
    // check up to the object digests.
    let end = layout.dataSection
    var rng = SplitMix64(seed: 0xF00D)
    var tally = Tally()
    for _ in 0..<2_000 {
      var image = base
      let edits = Int.random(in: 1...3, using: &rng)
      for _ in 0..<edits {
        let value = Self.hostile[Int.random(in: 0..<Self.hostile.count, using: &rng)]
        let width = [1, 2, 4, 8][Int.random(in: 0..<4, using: &rng)]
        let position = Int.random(in: 8..<(end - width), using: &rng)
        guard !(32..<64).contains(position) else { continue }
        for b in 0..<width {
          image.bytes[position + b] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(b)))
        }
      }
      image.redigest()
      tally.record(image.bytes)
    }
    #expect(tally.opened + tally.rejectedTotal == 2_000)
    #expect(tally.rejected.count >= 10, "\(tally)")
  }

  @Test("random edits of CDF data with repaired digests are either valid tables or invalidCDF")
  func cdfDataEdits() throws {
    let base = Samples.corpus
    let layout = try RecordLayout(base)
    let zeta = try #require(layout.cdf("enc/zeta"))
    let start = layout.dataSection + Int(base.u64(at: zeta.dataOffset))
    var rng = SplitMix64(seed: 0xCDF)
    var tally = Tally()
    for _ in 0..<500 {
      var image = base
      let entry = Int.random(in: 0..<12, using: &rng)
      let value = UInt32.random(in: 0...300, using: &rng)
      image.set(u32: value, at: start + 4 * entry)
      try Mutation.fixObjectDigest(cdf: "enc/zeta", &image, layout)
      image.redigest()
      tally.record(image.bytes)
      if Samples.openError(image.bytes) == nil {
        // Whatever opened must satisfy §5.3.
        let file = try WeightFile(bytes: image.data)
        let table = try #require(file.cdfTable(named: "enc/zeta"))
        for row in 0..<table.count {
          let r = Array(table.row(row))
          #expect(r.first == 0)
          #expect(r.last == 256)
          #expect(zip(r, r.dropFirst()).allSatisfy { $0 < $1 })
          #expect(r.count >= 2 && r.count <= table.stride)
        }
      }
    }
    #expect(Set(tally.rejected.keys).isSubset(of: ["gicw.invalidCDF"]), "\(tally)")
    #expect(tally.opened > 0)
    #expect(tally.rejectedTotal > 0)
  }
}
