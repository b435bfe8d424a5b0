import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// The entropy models loaded from a converted CompressAI model, as a decoder loads them.
@Suite("Entropy models from a converted CompressAI export")
struct EntropyModelTests {
  /// `models/example-bmshj2018-hyperprior.npz`'s entropy models converted with
  /// `gic-convert --profile compressai-tables` (its `entropy_bottleneck.*` and
  /// `gaussian_conditional.*` arrays only), so this suite needs no converter.
  static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/entropy/example-compressai-tables.gicw")

  static func convertedExample() throws -> WeightFile {
    try WeightFile(bytes: Data(contentsOf: example))
  }

  /// CompressAI's float32 scale table, as the converted container stores it.
  static func scaleTable(_ file: WeightFile) throws -> [Double] {
    let record = try #require(file.tensor(named: "gaussian_conditional.scale_table"))
    try #require(record.dtype == .float32 && record.shape.count == 1)
    return file.data(of: record).withUnsafeBytes { raw in
      (0..<record.shape[0]).map { i in
        Double(
          Float(
            bitPattern: UInt32(
              littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
      }
    }
  }

  @Test("factorized and Gaussian conditional models load and round-trip")
  func roundTrip() throws {
    let file = try Self.convertedExample()
    let factorized = try FactorizedModel(file: file, name: "entropy_bottleneck")
    let gaussian = try GaussianConditionalCoder(file: file, name: "gaussian_conditional")
    #expect(factorized.channels == 16)
    #expect(gaussian.table.rowCount == 64 && gaussian.scaleFractionBits == 16)
    var rng = SplitMix64(seed: 21)
    let plane = 12 * 7
    let z = (0..<(16 * plane)).map { _ in Int64.random(in: -20...20, using: &rng) }
    #expect(
      try factorized.decode(try factorized.encode(z, plane: plane), plane: plane).map(Int64.init)
        == z)
    let scales = (0..<5_000).map { _ in Int64.random(in: 0...(300 << 16), using: &rng) }
    let y = scales.map { s in
      Int64.random(in: -Int64(3 * (s >> 16) + 2)...Int64(3 * (s >> 16) + 2), using: &rng)
    }
    #expect(
      try gaussian.decode(try gaussian.encode(y, scales: scales), scales: scales).map(Int64.init)
        == y)
  }

  @Test("the integer row choice agrees with CompressAI's build_indexes on the float scale table")
  func rowChoice() throws {
    let file = try Self.convertedExample()
    let gaussian = try GaussianConditionalCoder(file: file, name: "gaussian_conditional")
    let table = try Self.scaleTable(file)
    var rng = SplitMix64(seed: 22)
    var agree = 0
    let samples = 20_000
    for _ in 0..<samples {
      let scale = Double.random(in: 0...300, using: &rng)
      let sigma = Int64((scale * 65_536).rounded())
      // CompressAI: the smallest i with scale ≤ table[i], capped at n − 1.
      let expected = table.dropLast().firstIndex { scale <= $0 } ?? table.count - 1
      if gaussian.model.row(forScale: sigma) == expected { agree += 1 }
    }
    // Disagreement is possible only within 2^-17 of a threshold: none expected in 20,000 draws.
    #expect(agree == samples)
  }
}
