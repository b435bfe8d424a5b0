import Foundation
import WeightFormat

/// The logical content of a container — metadata, tensors, CDF tables — that tests insert into a
/// ``WeightFileWriter`` in a chosen order and compare with what a reopened file holds.
struct ModelContent: Sendable {
  var metadata: [(key: String, value: MetadataValue)] = []
  var tensors: [Tensor] = []
  var tables: [(name: String, table: CDFTable)] = []

  /// One insertion step.
  enum Item: Sendable {
    case metadata(String, MetadataValue)
    case tensor(Tensor)
    case table(String, CDFTable)
  }

  var items: [Item] {
    metadata.map { Item.metadata($0.key, $0.value) } + tensors.map { Item.tensor($0) }
      + tables.map { Item.table($0.name, $0.table) }
  }

  /// A writer holding the content, inserted in `order` (indexes into ``items``), or in the
  /// natural order.
  func writer(order: [Int]? = nil) throws(WeightFormatError) -> WeightFileWriter {
    let all = items
    var w = WeightFileWriter()
    for i in order ?? Array(all.indices) {
      switch all[i] {
      case .metadata(let k, let v): try w.setMetadata(k, v)
      case .tensor(let t): try w.add(t)
      case .table(let n, let t): try w.add(t, named: n)
      }
    }
    return w
  }

  /// The bytes of a CDF table's data as §5.3 lays them out, encoded independently of the writer.
  static func encode(_ table: CDFTable) -> [UInt8] {
    table.offsets.flatMap { ContainerImage.le(UInt32(bitPattern: $0)) }
      + table.lengths.flatMap { ContainerImage.le($0) }
      + table.cdf.flatMap { ContainerImage.le($0) }
  }

  /// A model exercising every feature of the format: every dtype (0-d, empty, rank 16),
  /// metadata of every kind up to the maximum list depth, unicode strings, per-tensor and
  /// per-axis quantization of every quantizable dtype at the parameter limits, CDF tables of
  /// several shapes, and names with `/` and non-ASCII characters.
  static func full(seed: UInt64 = 42) -> ModelContent {
    var rng = SplitMix64(seed: seed)
    var c = ModelContent()
    c.metadata = [
      ("gic.profile", .string("raw")),
      ("empty", .string("")),
      ("int.max", .integer(.max)),
      ("int.min", .integer(.min)),
      ("int.zero", .integer(0)),
      ("unicode", .string("héllo wörld — 日本語 🧠 e\u{301} ﷽")),
      ("ключ", .string("значение")),
      ("🔑", .integer(-1)),
      ("empty.list", .list([])),
      (
        "nested",
        .list([
          .string("depth 2"), .integer(7),
          .list([.string("depth 3"), .list([]), .list([.string("α"), .integer(-9)])]),
        ])
      ),
      ("deepest", .list([.list([.list([.list([])])])])),
      ("z", .list([.string("a"), .string("β"), .integer(Int64.min)])),
    ]
    for dtype in DType.allCases {
      let n = dtype.name
      c.tensors.append(Samples.tensor("plain/\(n)/vector", dtype, [7], &rng))
      c.tensors.append(Samples.tensor("plain/\(n)/matrix", dtype, [3, 5], &rng))
      c.tensors.append(Samples.tensor("plain/\(n)/cube", dtype, [2, 3, 4], &rng))
      c.tensors.append(Samples.tensor("plain/\(n)/scalar", dtype, [], &rng))
      c.tensors.append(Samples.tensor("plain/\(n)/empty", dtype, [3, 0, 2], &rng))
      c.tensors.append(
        Samples.tensor(
          "plain/\(n)/rank16", dtype, [1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3], &rng))
    }
    for dtype in DType.allCases where dtype.isQuantizable {
      let (low, high) = zeroPointLimits(dtype)
      c.tensors.append(
        Samples.tensor(
          "quant/\(dtype.name)/tensor", dtype, [4, 2],
          quantization: .perTensor(
            QuantizationParameters(multiplier: .max, shift: 63, zeroPoint: high)),
          &rng))
      c.tensors.append(
        Samples.tensor(
          "quant/\(dtype.name)/scalar", dtype, [],
          quantization: .perTensor(
            QuantizationParameters(multiplier: 1, shift: -32, zeroPoint: low)),
          &rng))
      c.tensors.append(
        Samples.tensor(
          "quant/\(dtype.name)/axis1", dtype, [2, 3, 2],
          quantization: .perAxis(
            axis: 1,
            [
              QuantizationParameters(multiplier: 1, shift: -32, zeroPoint: low),
              QuantizationParameters(multiplier: 12345, shift: 0, zeroPoint: 0),
              QuantizationParameters(multiplier: .max, shift: 63, zeroPoint: high),
            ]),
          &rng))
      c.tensors.append(
        Samples.tensor(
          "quant/\(dtype.name)/empty-other-axis", dtype, [2, 0],
          quantization: .perAxis(
            axis: 0,
            [
              QuantizationParameters(multiplier: 2, shift: 1, zeroPoint: 0),
              QuantizationParameters(multiplier: 3, shift: 2, zeroPoint: 1),
            ]),
          &rng))
    }
    c.tensors.append(Samples.tensor("エンコーダ/重み", .float32, [2, 2], &rng))
    c.tensors.append(Samples.tensor("décodeur/biais", .float16, [3], &rng))
    c.tensors.append(Samples.tensor("Zeta/upper", .int32, [2], &rng))
    c.tensors.append(Samples.tensor("a", .uint8, [1], &rng))
    c.tensors.append(Samples.tensor("a/", .uint8, [65], &rng))
    c.tensors.append(Samples.tensor("a//b", .uint8, [64], &rng))
    c.tensors.append(Samples.tensor("🧠/layer.0/w", .bool, [5], &rng))
    c.tables = [
      ("entropy/hyperprior", Samples.prior),
      ("entropy/minimal", CDFTable(precision: 1, rows: [(offset: 0, cdf: [0, 2])])),
      (
        "entropy/p16",
        CDFTable(
          precision: 16,
          rows: [
            (offset: -20, cdf: [0, 1, 2, 65_535, 65_536]),
            (offset: 3, cdf: [0, 65_536]),
            (offset: Int32.min, cdf: [0, 30_000, 65_536]),
          ])
      ),
      (
        "entropy/full-stride",
        CDFTable(precision: 2, rows: [(offset: Int32.max, cdf: [0, 1, 2, 3, 4])])
      ),
      (
        "énergie/ℓ1",
        CDFTable(precision: 3, rows: [(offset: 1, cdf: [0, 8]), (offset: 2, cdf: [0, 3, 8])])
      ),
    ]
    return c
  }

  /// The smallest and largest zero point a quantizable dtype allows, as `Int32`.
  static func zeroPointLimits(_ dtype: DType) -> (Int32, Int32) {
    switch dtype {
    case .int8: (Int32(Int8.min), Int32(Int8.max))
    case .int16: (Int32(Int16.min), Int32(Int16.max))
    case .int32: (Int32.min, Int32.max)
    case .uint8: (0, Int32(UInt8.max))
    case .uint16: (0, Int32(UInt16.max))
    default: (0, Int32.max)
    }
  }
}
