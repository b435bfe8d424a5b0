import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// checkasm-style: the batch kernel against the per-value path and the binary-search reference,
/// on valid and on damaged streams.
@Suite("Batch decoding kernel")
struct BatchKernelTests {
  /// The outcome of decoding: the values, or that decoding failed.
  static func perValue(_ table: EntropyTable, _ stream: [UInt8], _ rows: [Int32]) -> [Int64]? {
    try? table.decode(stream, rows: rows)
  }

  static func reference(_ table: EntropyTable, _ stream: [UInt8], _ rows: [Int32]) -> [Int64]? {
    do {
      var d = try RANSDecoder(stream)
      var out: [Int64] = []
      for r in rows { out.append(try table.decodeReference(row: Int(r), from: &d)) }
      try d.finish()
      return out
    } catch {
      return nil
    }
  }

  static func batch(_ table: EntropyTable, _ stream: [UInt8], _ rows: [Int32]) -> [Int64]? {
    (try? table.decode32(stream, rows: rows)).map { $0.map(Int64.init) }
  }

  @Test("agrees with the per-value and reference decoders on random and damaged streams")
  func agreement() throws {
    var rng = SplitMix64(seed: 77)
    var compared = 0
    var failures = 0
    for trial in 0..<40 {
      let p = [16, 16, 12, 8, 5][trial % 5]
      let table = try EntropyTable(
        Tables.random(rows: 5, maxSymbols: min(60, 1 << p), precision: p, &rng))
      var values: [Int64] = []
      var rows: [Int32] = []
      for _ in 0..<600 {
        rows.append(Int32.random(in: 0..<5, using: &rng))
        values.append(
          Int.random(in: 0..<20, using: &rng) == 0
            ? Int64.random(in: -5_000_000...5_000_000, using: &rng)
            : Int64.random(in: -50...20, using: &rng))
      }
      let stream = try table.encode(values: values, rows: rows)
      #expect(Self.batch(table, stream, rows) == values)
      // Damage: flip bits, truncate, and ask for the wrong rows.
      for _ in 0..<60 {
        var bytes = stream
        var r = rows
        switch Int.random(in: 0..<3, using: &rng) {
        case 0:
          bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(
            1 << Int.random(in: 0..<8, using: &rng))
        case 1: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
        default: r[Int.random(in: 0..<r.count, using: &rng)] = Int32.random(in: 0..<5, using: &rng)
        }
        let a = Self.batch(table, bytes, r)
        let b = Self.perValue(table, bytes, r)
        let c = Self.reference(table, bytes, r)
        // A value beyond 32 bits fails only the batch kernel (its output is 32-bit).
        let fits = b.map { $0.allSatisfy { Int32(exactly: $0) != nil } } ?? true
        if fits { #expect(a == b, "trial \(trial)") }
        #expect(b == c, "trial \(trial)")
        compared += 1
        if b == nil { failures += 1 }
      }
    }
    #expect(compared == 2_400)
    #expect(failures > 0 && failures < compared)
  }

  @Test("rows outside the table and values beyond 32 bits are errors")
  func errors() throws {
    let table = try EntropyTable(
      CDFTable(precision: 16, rows: [(offset: 0, cdf: [0, 60_000, 65_536])]))
    let stream = try table.encode(values: [0, 1 << 40], rows: [0, 0])
    #expect(throws: EntropyError.rowOutOfRange(row: 3, rows: 1)) {
      try table.decode32(stream, rows: [0, 3])
    }
    #expect(throws: EntropyError.self) { try table.decode32(stream, rows: [0, 0]) }
    #expect(try table.decode(stream, rows: [0, 0]) == [0, 1 << 40])
  }
}
