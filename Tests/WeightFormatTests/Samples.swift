import Foundation
import WeightFormat

/// The valid containers the tests start from, built with ``WeightFileWriter`` from fixed-seed
/// random content.
enum Samples {
  /// `count` pseudo-random bytes from `rng`.
  static func randomBytes(_ count: Int, _ rng: inout SplitMix64) -> Data {
    Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
  }

  /// A tensor of the given dtype and shape with random data.
  static func tensor(
    _ name: String, _ dtype: DType, _ shape: [Int], quantization: Quantization? = nil,
    _ rng: inout SplitMix64
  ) -> Tensor {
    let elements = shape.reduce(1, *)
    return Tensor(
      name: name, dtype: dtype, shape: shape, quantization: quantization,
      data: randomBytes(elements * dtype.itemSize, &rng))
  }

  /// A two-row CDF table with precision 8 and stride 4.
  static let prior = CDFTable(
    precision: 8, rows: [(offset: -1, cdf: [0, 100, 256]), (offset: 0, cdf: [0, 1, 255, 256])])

  /// The file the malformed-container corpus mutates. Its objects, in DATA order:
  ///
  /// | name       | kind                               | DATA offset | bytes |
  /// |------------|------------------------------------|------------:|------:|
  /// | `enc/bias` | float32 [4]                        | 0           | 16    |
  /// | `enc/gain` | uint8 [5], per-tensor quantization | 64          | 5     |
  /// | `enc/kern` | int8 [2,3], per-axis (axis 0)      | 128         | 6     |
  /// | `enc/zero` | int16 [3,0,2]                      | 192         | 0     |
  /// | `enc/zeta` | CDF table, 2 rows, stride 4        | 192         | 48    |
  /// | `enc/zetb` | CDF table, 2 rows, stride 4        | 256         | 48    |
  /// | `scalar`   | float64 []                         | 320         | 8     |
  ///
  /// DATA is 384 bytes long.
  static func corpusWriter() throws(WeightFormatError) -> WeightFileWriter {
    var rng = SplitMix64(seed: 0xC0FFEE)
    var w = WeightFileWriter()
    try w.setMetadata("gic.profile", .string("raw"))
    try w.setMetadata("ka", .integer(-5))
    try w.setMetadata("kb", .string("hello"))
    try w.setMetadata(
      "list", .list([.integer(1), .list([.string("x"), .list([.integer(2)])])]))
    try w.add(tensor("enc/bias", .float32, [4], &rng))
    try w.add(
      tensor(
        "enc/gain", .uint8, [5],
        quantization: .perTensor(QuantizationParameters(multiplier: 3, shift: 4, zeroPoint: 128)),
        &rng))
    try w.add(
      tensor(
        "enc/kern", .int8, [2, 3],
        quantization: .perAxis(
          axis: 0,
          [
            QuantizationParameters(multiplier: 5, shift: 7, zeroPoint: -3),
            QuantizationParameters(multiplier: 9, shift: -2, zeroPoint: 4),
          ]),
        &rng))
    try w.add(tensor("enc/zero", .int16, [3, 0, 2], &rng))
    try w.add(prior, named: "enc/zeta")
    try w.add(prior, named: "enc/zetb")
    try w.add(tensor("scalar", .float64, [], &rng))
    return w
  }

  /// The corpus file's bytes.
  static let corpus: ContainerImage = {
    do {
      return ContainerImage(try corpusWriter().serialized())
    } catch {
      preconditionFailure("the corpus writer must accept its content: \(error)")
    }
  }()

  /// A small file whose DATA section mixes objects and padding:
  /// `a` float32 [3] at 0..<12, `b` uint8 [70] at 64..<134, CDF table `c` (precision 4, one row
  /// of 3 entries) at 192..<212; DATA is 256 bytes.
  static func smallWriter() throws(WeightFormatError) -> WeightFileWriter {
    var rng = SplitMix64(seed: 7)
    var w = WeightFileWriter()
    try w.add(tensor("a", .float32, [3], &rng))
    try w.add(tensor("b", .uint8, [70], &rng))
    try w.add(CDFTable(precision: 4, rows: [(offset: 0, cdf: [0, 5, 16])]), named: "c")
    return w
  }

  static let small: ContainerImage = {
    do {
      return ContainerImage(try smallWriter().serialized())
    } catch {
      preconditionFailure("the small writer must accept its content: \(error)")
    }
  }()

  /// The error that opening `bytes` throws, or `nil` if the file opens.
  static func openError(_ bytes: [UInt8]) -> WeightFormatError? {
    do {
      _ = try WeightFile(bytes: Data(bytes))
      return nil
    } catch {
      return error
    }
  }

  /// The error code of a writer call, or `nil` if it succeeds.
  static func refusal(_ body: () throws(WeightFormatError) -> Void) -> String? {
    do {
      try body()
      return nil
    } catch {
      return error.code
    }
  }

  /// `true` if `a` sorts before `b` by unsigned UTF-8 bytes (spec §1).
  static func precedes(_ a: String, _ b: String) -> Bool {
    Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
  }
}
