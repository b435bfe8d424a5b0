import Foundation
import ReferenceCodec
import WeightFormat

enum Tables {
  /// A random row of `symbols` symbols at precision `p`: distinct cut points, sorted.
  static func randomRow(symbols: Int, precision p: Int, _ rng: inout SplitMix64) -> [UInt32] {
    let total = 1 << p
    var cuts = Set<UInt32>()
    while cuts.count < symbols - 1 {
      cuts.insert(UInt32.random(in: 1..<UInt32(total), using: &rng))
    }
    return [0] + cuts.sorted() + [UInt32(total)]
  }

  /// A table of `rows` random rows with 2…`maxSymbols` symbols each.
  static func random(rows: Int, maxSymbols: Int, precision p: Int, _ rng: inout SplitMix64)
    -> CDFTable
  {
    CDFTable(
      precision: p,
      rows: (0..<rows).map { _ in
        (
          offset: Int32.random(in: -40...0, using: &rng),
          cdf: randomRow(symbols: Int.random(in: 2...maxSymbols, using: &rng), precision: p, &rng)
        )
      })
  }

  /// A row from integer frequencies.
  static func row(frequencies: [UInt32]) -> [UInt32] {
    var cdf: [UInt32] = [0]
    for f in frequencies { cdf.append(cdf[cdf.count - 1] + f) }
    return cdf
  }
}

enum Golden {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/golden")

  /// The committed stream `name`; with GIC_RECORD_GOLDEN=1 in the environment, (re)writes it.
  static func check(_ name: String, _ bytes: [UInt8]) throws -> [UInt8]? {
    let url = root.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["GIC_RECORD_GOLDEN"] == "1" {
      try Data(bytes).write(to: url)
    }
    guard let data = try? Data(contentsOf: url) else { return nil }
    return Array(data)
  }
}
