import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// Committed byte streams: any change in the coder's output fails here (regenerate them only with
/// a spec change: GIC_RECORD_GOLDEN=1 swift test --filter GoldenStream).
@Suite("Golden entropy-coded streams")
struct GoldenStreamTests {
  struct Case: Sendable, CustomStringConvertible {
    var name: String
    var table: CDFTable
    var values: [Int64]
    var rows: [Int32]
    var description: String { name }
  }

  static let cases: [Case] = {
    var rng = SplitMix64(seed: 2026)
    var out: [Case] = []
    // Several rows at p = 16 with escapes, as a Gaussian conditional table would give.
    let gaussianLike = Tables.random(rows: 6, maxSymbols: 24, precision: 16, &rng)
    var values: [Int64] = []
    var rows: [Int32] = []
    for i in 0..<300 {
      rows.append(Int32.random(in: 0..<6, using: &rng))
      values.append(
        i % 37 == 0
          ? Int64.random(in: -70_000...70_000, using: &rng) : Int64.random(in: -30...5, using: &rng)
      )
    }
    out.append(Case(name: "rows6-p16-escapes.bin", table: gaussianLike, values: values, rows: rows))
    // One skewed row (factorized channel), mostly the likely symbol.
    let skewed = CDFTable(
      precision: 16,
      rows: [(offset: -1, cdf: Tables.row(frequencies: [2_000, 61_000, 2_000, 400, 136]))])
    values = (0..<400).map { _ in
      Int64([0, 0, 0, 0, 0, 0, -1, 1, 2, 9][Int.random(in: 0..<10, using: &rng)])
    }
    out.append(
      Case(
        name: "skewed-p16.bin", table: skewed, values: values, rows: Array(repeating: 0, count: 400)
      ))
    // Low precision.
    let low = Tables.random(rows: 2, maxSymbols: 6, precision: 4, &rng)
    values = (0..<200).map { _ in Int64.random(in: -45...5, using: &rng) }
    out.append(
      Case(name: "rows2-p4.bin", table: low, values: values, rows: (0..<200).map { Int32($0 % 2) }))
    out.append(Case(name: "empty.bin", table: skewed, values: [], rows: []))
    return out
  }()

  @Test("the coder reproduces each committed stream, and decodes it", arguments: cases)
  func golden(c: Case) throws {
    let table = try EntropyTable(c.table)
    let stream = try table.encode(values: c.values, rows: c.rows)
    let committed = try #require(try Golden.check(c.name, stream), "missing golden file \(c.name)")
    #expect(stream == committed)
    #expect(try table.decode(committed, rows: c.rows) == c.values)
  }

  @Test(
    "every single-bit flip and every truncation decodes or fails cleanly, quickly", arguments: cases
  )
  func corruption(c: Case) throws {
    let table = try EntropyTable(c.table)
    let stream = try #require(
      try Golden.check(c.name, try table.encode(values: c.values, rows: c.rows)))
    let start = Date()
    var decoded = 0
    var failed = 0
    func attempt(_ bytes: [UInt8]) {
      do {
        _ = try table.decode(bytes, rows: c.rows)
        decoded += 1
      } catch {
        failed += 1
      }
    }
    for bit in 0..<(stream.count * 8) {
      var bytes = stream
      bytes[bit / 8] ^= 1 << UInt8(bit % 8)
      attempt(bytes)
    }
    for length in 0..<stream.count { attempt(Array(stream.prefix(length))) }
    #expect(decoded + failed == stream.count * 9)
    // Every truncation is detected: it either runs out of words or leaves the final states wrong.
    #expect(failed >= stream.count)
    // A bound on time, generous for debug builds: linear in the symbols decoded.
    #expect(Date().timeIntervalSince(start) < 30)
  }
}
