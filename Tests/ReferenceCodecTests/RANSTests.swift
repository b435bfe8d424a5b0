import Foundation
import ReferenceCodec
import Testing
import WeightFormat

@Suite("rANS coder and entropy tables")
struct RANSTests {
  /// Encodes, decodes with the fast and the reference search, and checks both match.
  static func roundTrip(_ table: EntropyTable, values: [Int64], rows: [Int32]) throws -> [UInt8] {
    let stream = try table.encode(values: values, rows: rows)
    #expect(try table.decode(stream, rows: rows) == values)
    var d = try RANSDecoder(stream)
    var reference: [Int64] = []
    for r in rows { reference.append(try table.decodeReference(row: Int(r), from: &d)) }
    try d.finish()
    #expect(reference == values)
    return stream
  }

  @Test("random tables and values round-trip, escapes included", arguments: [4, 9, 12, 16])
  func randomRoundTrip(precision: Int) throws {
    var rng = SplitMix64(seed: UInt64(precision))
    let table = try EntropyTable(
      Tables.random(rows: 8, maxSymbols: min(40, 1 << precision), precision: precision, &rng))
    var values: [Int64] = []
    var rows: [Int32] = []
    for _ in 0..<20_000 {
      rows.append(Int32.random(in: 0..<8, using: &rng))
      switch Int.random(in: 0..<50, using: &rng) {
      case 0: values.append(Int64.random(in: Int64.min...Int64.max, using: &rng))
      case 1: values.append(Int64.random(in: -100_000...100_000, using: &rng))
      default: values.append(Int64.random(in: -45...40, using: &rng))
      }
    }
    _ = try Self.roundTrip(table, values: values, rows: rows)
  }

  @Test("escapes at the extremes of Int64 and of ±2^31")
  func extremes() throws {
    let table = try EntropyTable(
      CDFTable(
        precision: 16,
        rows: [(offset: -2, cdf: Tables.row(frequencies: [30_000, 30_000, 5_000, 536]))]))
    let values: [Int64] = [
      .min, .max, -(1 << 31), 1 << 31, (1 << 31) - 1, -(1 << 31) - 1, -3, 1, -2, 0, 65_535, 65_536,
      -65_536, 1 << 48, -(1 << 48),
    ]
    _ = try Self.roundTrip(table, values: values, rows: Array(repeating: 0, count: values.count))
  }

  @Test("one symbol holding nearly all the mass, and minimum frequencies everywhere")
  func adversarialDistributions() throws {
    var rng = SplitMix64(seed: 3)
    // 2^16 − 9 for symbol 0, 1 for the nine others (escape included).
    let skewed = Tables.row(frequencies: [65_527] + Array(repeating: 1, count: 9))
    // Every frequency 1: 65,536 symbols.
    let flat = Tables.row(frequencies: Array(repeating: 1, count: 65_536))
    let table = try EntropyTable(
      CDFTable(precision: 16, rows: [(offset: 0, cdf: skewed), (offset: -30_000, cdf: flat)]))
    var values: [Int64] = []
    var rows: [Int32] = []
    for i in 0..<50_000 {
      let r = Int32(i % 2)
      rows.append(r)
      values.append(
        r == 0
          ? (Int.random(in: 0..<100, using: &rng) == 0 ? Int64.random(in: 1...8, using: &rng) : 0)
          : Int64.random(in: -30_000...35_534, using: &rng))
    }
    let stream = try Self.roundTrip(table, values: values, rows: rows)
    #expect(stream.count > 16)
  }

  @Test("an empty stream is the 16-byte header; a single value round-trips")
  func emptyAndSingle() throws {
    let table = try EntropyTable(
      CDFTable(precision: 16, rows: [(offset: 0, cdf: [0, 65_535, 65_536])]))
    let empty = try table.encode(values: [], rows: [])
    #expect(empty == [0, 0, 0, 128, 0, 0, 0, 0, 0, 0, 0, 128, 0, 0, 0, 0])
    #expect(try table.decode(empty, rows: []) == [])
    _ = try Self.roundTrip(table, values: [0], rows: [0])
    _ = try Self.roundTrip(table, values: [7], rows: [0])
  }

  @Test("damaged headers and a row outside the table are typed errors")
  func errors() throws {
    let table = try EntropyTable(
      CDFTable(precision: 16, rows: [(offset: 0, cdf: [0, 65_535, 65_536])]))
    #expect(throws: EntropyError.self) { try table.decode([1, 2, 3], rows: []) }
    #expect(throws: EntropyError.self) {
      try table.decode([UInt8](repeating: 0, count: 16), rows: [])
    }
    #expect(throws: EntropyError.rowOutOfRange(row: 5, rows: 1)) {
      try table.encode(values: [1], rows: [5])
    }
    let stream = try table.encode(values: [1, 0], rows: [0, 0])
    #expect(throws: EntropyError.self) { try table.decode(stream, rows: [0, 3]) }
    #expect(throws: EntropyError.self) { try table.decode(stream + [0, 0, 0, 0], rows: [0, 0]) }
  }

  @Test("Gaussian conditional row choice compares integer thresholds only")
  func gaussianIndex() throws {
    let thresholds: [Int64] = [10, 20, 20, 35]
    let model = try GaussianConditionalModel(thresholds: thresholds)
    #expect(throws: EntropyError.self) { try GaussianConditionalModel(thresholds: [3, 2]) }
    #expect(model.rowCount == 5)
    let cases: [(Int64, Int)] = [
      (-5, 0), (10, 0), (11, 1), (20, 1), (21, 3), (35, 3), (36, 4), (.max, 4),
    ]
    for (sigma, row) in cases { #expect(model.row(forScale: sigma) == row, "σ=\(sigma)") }
  }
}
