import Foundation
import Testing
import WeightFormat

@Suite("Writer refusals")
struct WriterRefusalTests {
  /// A writer call that must fail with `code`.
  struct Refusal: Sendable, CustomTestStringConvertible {
    typealias Step = @Sendable (inout WeightFileWriter) throws(WeightFormatError) -> Void
    let name: String
    let code: String
    /// Valid calls that prepare the writer.
    let setup: Step
    /// The one call that must be refused.
    let attempt: Step
    var testDescription: String { "\(name) → \(code)" }
  }

  static func bytes(_ n: Int) -> Data { Data(repeating: 0xAB, count: n) }

  static func t(
    _ name: String = "t", _ dtype: DType = .int8, _ shape: [Int] = [2, 3],
    _ quantization: Quantization? = nil, data: Data? = nil
  ) -> Tensor {
    let n = (Tensor.elementCount(shape) ?? 0) * dtype.itemSize
    return Tensor(
      name: name, dtype: dtype, shape: shape, quantization: quantization, data: data ?? bytes(n))
  }

  static func q(_ m: Int32 = 1, _ s: Int32 = 0, _ z: Int32 = 0) -> QuantizationParameters {
    QuantizationParameters(multiplier: m, shift: s, zeroPoint: z)
  }

  static func r(_ name: String, _ code: String, _ attempt: @escaping Refusal.Step) -> Refusal {
    Refusal(name: name, code: code, setup: { _ in }, attempt: attempt)
  }

  static func r(
    _ name: String, _ code: String, setup: @escaping Refusal.Step, attempt: @escaping Refusal.Step
  ) -> Refusal {
    Refusal(name: name, code: code, setup: setup, attempt: attempt)
  }

  static let dup = "gicw.duplicateName"
  static let len = "gicw.dataLengthMismatch"
  static let quant = "gicw.invalidQuantization"
  static let cdf = "gicw.invalidCDF"
  static let str = "gicw.invalidString"
  static let limit = "gicw.limitExceeded"
  static let tensor = "gicw.invalidTensor"

  static let refusals: [Refusal] = [
    // Names shared between objects.
    r(
      "duplicate tensor name", dup,
      setup: { w throws(WeightFormatError) in try w.add(t("x")) },
      attempt: { w throws(WeightFormatError) in try w.add(t("x", .float32, [1])) }),
    r(
      "tensor, then CDF table of the same name", dup,
      setup: { w throws(WeightFormatError) in try w.add(t("x")) },
      attempt: { w throws(WeightFormatError) in try w.add(Samples.prior, named: "x") }),
    r(
      "CDF table, then tensor of the same name", dup,
      setup: { w throws(WeightFormatError) in try w.add(Samples.prior, named: "x") },
      attempt: { w throws(WeightFormatError) in try w.add(t("x")) }),
    r(
      "duplicate CDF table name", dup,
      setup: { w throws(WeightFormatError) in try w.add(Samples.prior, named: "x") },
      attempt: { w throws(WeightFormatError) in try w.add(Samples.prior, named: "x") }),
    // Data length vs shape.
    r("data one byte short", len) { w throws(WeightFormatError) in
      try w.add(t("x", .int16, [2, 3], data: bytes(11)))
    },
    r("data one byte long", len) { w throws(WeightFormatError) in
      try w.add(t("x", .float32, [3], data: bytes(13)))
    },
    r("0-d tensor without data", len) { w throws(WeightFormatError) in
      try w.add(t("x", .float64, [], data: Data()))
    },
    r("empty tensor with data", len) { w throws(WeightFormatError) in
      try w.add(t("x", .uint8, [3, 0, 2], data: bytes(1)))
    },
    r("data sized for the element count, not bytes", len) { w throws(WeightFormatError) in
      try w.add(t("x", .int64, [4], data: bytes(4)))
    },
    // Shapes.
    r("rank 17", tensor) { w throws(WeightFormatError) in
      try w.add(t("x", .uint8, Array(repeating: 1, count: 17)))
    },
    r("negative dimension", tensor) { w throws(WeightFormatError) in
      try w.add(Tensor(name: "x", dtype: .uint8, shape: [2, -1], data: Data()))
    },
    r("dimension over 2^40", tensor) { w throws(WeightFormatError) in
      try w.add(Tensor(name: "x", dtype: .uint8, shape: [(1 << 40) + 1], data: Data()))
    },
    r("data size over 2^40 bytes", tensor) { w throws(WeightFormatError) in
      try w.add(Tensor(name: "x", dtype: .float32, shape: [1 << 20, 1 << 19, 3], data: Data()))
    },
    r("element count overflowing 64 bits", tensor) { w throws(WeightFormatError) in
      try w.add(Tensor(name: "x", dtype: .uint8, shape: [1 << 40, 1 << 40, 1 << 40], data: Data()))
    },
    // Quantization (§5.2.2).
    r("quantized bool", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .bool, [2], .perTensor(q())))
    },
    r("quantized int64", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int64, [2], .perTensor(q())))
    },
    r("quantized uint64", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .uint64, [2], .perTensor(q())))
    },
    r("quantized float16", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .float16, [2], .perTensor(q())))
    },
    r("quantized float32", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .float32, [2], .perTensor(q())))
    },
    r("quantized float64", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .float64, [2], .perAxis(axis: 0, [q(), q()])))
    },
    r("axis equal to rank", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int8, [2, 3], .perAxis(axis: 2, [q(), q()])))
    },
    r("negative axis", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int8, [2, 3], .perAxis(axis: -1, [q(), q()])))
    },
    r("per-axis on a 0-d tensor", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int8, [], .perAxis(axis: 0, [q()])))
    },
    r("too few triples", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int8, [2, 3], .perAxis(axis: 1, [q(), q()])))
    },
    r("too many triples", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .uint16, [2, 3], .perAxis(axis: 0, [q(), q(), q()])))
    },
    r("per-axis along a zero-length axis", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int8, [0, 3], .perAxis(axis: 0, [])))
    },
    r("multiplier 0", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int8, [2], .perTensor(q(0))))
    },
    r("negative multiplier", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int8, [2], .perTensor(q(.min))))
    },
    r("multiplier 0 in the second triple", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int8, [2, 3], .perAxis(axis: 0, [q(1), q(0)])))
    },
    r("shift 64", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int8, [2], .perTensor(q(1, 64))))
    },
    r("shift -33", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int8, [2], .perTensor(q(1, -33))))
    },
    r("int8 zero point 128", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int8, [2], .perTensor(q(1, 0, 128))))
    },
    r("int8 zero point -129", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int8, [2], .perTensor(q(1, 0, -129))))
    },
    r("uint8 zero point -1", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .uint8, [2], .perTensor(q(1, 0, -1))))
    },
    r("uint8 zero point 256", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .uint8, [2], .perTensor(q(1, 0, 256))))
    },
    r("int16 zero point 32768", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .int16, [2], .perTensor(q(1, 0, 32768))))
    },
    r("uint16 zero point 65536", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .uint16, [2], .perTensor(q(1, 0, 65536))))
    },
    r("uint32 zero point -1", quant) { w throws(WeightFormatError) in
      try w.add(t("x", .uint32, [2], .perAxis(axis: 0, [q(1, 0, 0), q(1, 0, -1)])))
    },
    // CDF tables (§5.3).
    r("CDF row not starting at 0", cdf) { w throws(WeightFormatError) in
      try w.add(CDFTable(precision: 8, rows: [(offset: 0, cdf: [1, 100, 256])]), named: "c")
    },
    r("CDF row with a zero frequency", cdf) { w throws(WeightFormatError) in
      try w.add(CDFTable(precision: 8, rows: [(offset: 0, cdf: [0, 100, 100, 256])]), named: "c")
    },
    r("CDF row decreasing", cdf) { w throws(WeightFormatError) in
      try w.add(CDFTable(precision: 8, rows: [(offset: 0, cdf: [0, 200, 100, 256])]), named: "c")
    },
    r("CDF row not ending at 2^p", cdf) { w throws(WeightFormatError) in
      try w.add(CDFTable(precision: 8, rows: [(offset: 0, cdf: [0, 100, 255])]), named: "c")
    },
    r("CDF row ending above 2^p", cdf) { w throws(WeightFormatError) in
      try w.add(CDFTable(precision: 8, rows: [(offset: 0, cdf: [0, 100, 257])]), named: "c")
    },
    r("CDF error in the second row", cdf) { w throws(WeightFormatError) in
      try w.add(
        CDFTable(precision: 4, rows: [(offset: 0, cdf: [0, 16]), (offset: 0, cdf: [0, 15])]),
        named: "c")
    },
    r("CDF precision 0", cdf) { w throws(WeightFormatError) in
      try w.add(CDFTable(precision: 0, rows: [(offset: 0, cdf: [0, 1])]), named: "c")
    },
    r("CDF precision 17", cdf) { w throws(WeightFormatError) in
      try w.add(CDFTable(precision: 17, rows: [(offset: 0, cdf: [0, 1 << 17])]), named: "c")
    },
    r("CDF with a single row of length 1", cdf) { w throws(WeightFormatError) in
      try w.add(CDFTable(precision: 8, rows: [(offset: 0, cdf: [0])]), named: "c")
    },
    r("CDF with a row of length 1 among longer rows", cdf) { w throws(WeightFormatError) in
      try w.add(
        CDFTable(precision: 8, rows: [(offset: 0, cdf: [0, 256]), (offset: 0, cdf: [256])]),
        named: "c")
    },
    r("CDF without rows", cdf) { w throws(WeightFormatError) in
      try w.add(CDFTable(precision: 8, rows: []), named: "c")
    },
    r("CDF stride over 2^p + 1", cdf) { w throws(WeightFormatError) in
      try w.add(
        CDFTable(precision: 1, offsets: [0], lengths: [2], stride: 4, cdf: [0, 2, 0, 0]), named: "c"
      )
    },
    r("CDF non-zero entry after the row's length", cdf) { w throws(WeightFormatError) in
      try w.add(
        CDFTable(precision: 8, offsets: [0], lengths: [2], stride: 3, cdf: [0, 256, 7]), named: "c")
    },
    r("CDF row length over the stride", cdf) { w throws(WeightFormatError) in
      try w.add(
        CDFTable(precision: 8, offsets: [0], lengths: [3], stride: 2, cdf: [0, 256]), named: "c")
    },
    r("CDF arrays not matching n and stride", cdf) { w throws(WeightFormatError) in
      try w.add(
        CDFTable(precision: 8, offsets: [0, 0], lengths: [2], stride: 2, cdf: [0, 256]), named: "c")
    },
    r("CDF with n·m over 2^26 entries", cdf) { w throws(WeightFormatError) in
      // The limit is checked before the arrays are looked at, so they can stay short.
      let n = Array(repeating: Int32(0), count: 1 << 20)
      try w.add(CDFTable(precision: 16, offsets: n, lengths: [], stride: 65, cdf: []), named: "c")
    },
    r("CDF with 2^20 + 1 distributions", cdf) { w throws(WeightFormatError) in
      let n = Array(repeating: Int32(0), count: (1 << 20) + 1)
      try w.add(CDFTable(precision: 8, offsets: n, lengths: [], stride: 2, cdf: []), named: "c")
    },
    // Names (§5.2, §8).
    r("empty tensor name", str) { w throws(WeightFormatError) in try w.add(t("")) },
    r("NUL in a tensor name", str) { w throws(WeightFormatError) in try w.add(t("a\u{0}b")) },
    r("tensor name of 1025 bytes", limit) { w throws(WeightFormatError) in
      try w.add(t(String(repeating: "n", count: 1025)))
    },
    r("tensor name of 1026 bytes in 342 characters", limit) { w throws(WeightFormatError) in
      try w.add(t(String(repeating: "€", count: 342)))
    },
    r("empty CDF table name", str) { w throws(WeightFormatError) in
      try w.add(Samples.prior, named: "")
    },
    r("NUL in a CDF table name", str) { w throws(WeightFormatError) in
      try w.add(Samples.prior, named: "\u{0}")
    },
    r("CDF table name of 1025 bytes", limit) { w throws(WeightFormatError) in
      try w.add(Samples.prior, named: String(repeating: "c", count: 1025))
    },
    // Metadata (§5.1).
    r("empty metadata key", str) { w throws(WeightFormatError) in try w.setMetadata("", .integer(1))
    },
    r("NUL in a metadata key", str) { w throws(WeightFormatError) in
      try w.setMetadata("k\u{0}", .integer(1))
    },
    r("metadata key of 256 bytes", limit) { w throws(WeightFormatError) in
      try w.setMetadata(String(repeating: "k", count: 256), .integer(1))
    },
    r("NUL in a metadata string", str) { w throws(WeightFormatError) in
      try w.setMetadata("k", .string("a\u{0}"))
    },
    r("NUL in a string inside a list", str) { w throws(WeightFormatError) in
      try w.setMetadata("k", .list([.integer(1), .list([.string("\u{0}")])]))
    },
    r("metadata string of 1 MiB + 1 byte", limit) { w throws(WeightFormatError) in
      try w.setMetadata("k", .string(String(repeating: "s", count: (1 << 20) + 1)))
    },
    r("list of 65,537 elements", limit) { w throws(WeightFormatError) in
      try w.setMetadata("k", .list(Array(repeating: .integer(0), count: 65_537)))
    },
    r("list nesting depth 5", limit) { w throws(WeightFormatError) in
      try w.setMetadata("k", .list([.list([.list([.list([.list([])])])])]))
    },
    r(
      "4,097 metadata entries", limit,
      setup: { w throws(WeightFormatError) in
        for i in 0..<4_096 { try w.setMetadata("k\(i)", .integer(Int64(i))) }
      },
      attempt: { w throws(WeightFormatError) in try w.setMetadata("one too many", .integer(0)) }),
  ]

  @Test("the writer refuses invalid content with the specific error", arguments: Self.refusals)
  func refuses(_ refusal: Refusal) throws {
    var w = WeightFileWriter()
    try refusal.setup(&w)
    let code = Samples.refusal { () throws(WeightFormatError) in try refusal.attempt(&w) }
    #expect(code == refusal.code)
  }

  @Test("a refused call leaves the writer's content unchanged", arguments: Self.refusals)
  func unchangedAfterRefusal(_ refusal: Refusal) throws {
    var rng = SplitMix64(seed: 3)
    var w = WeightFileWriter()
    try w.add(Samples.tensor("base/a", .int8, [4], quantization: .perTensor(Self.q(2, 1, 3)), &rng))
    try w.add(Samples.tensor("base/b", .float32, [2, 2], &rng))
    try w.add(Samples.prior, named: "base/c")
    try refusal.setup(&w)
    let before = w.serialized()
    let count = w.tensorCount
    let code = Samples.refusal { () throws(WeightFormatError) in try refusal.attempt(&w) }
    #expect(code == refusal.code)
    #expect(w.tensorCount == count)
    #expect(w.serialized() == before)
    #expect(try WeightFile(bytes: Data(w.serialized())).tensors.count == count)
  }

  @Test("values exactly at the limits are accepted and round-trip")
  func atTheLimits() throws {
    var w = WeightFileWriter()
    let name1024 = String(repeating: "n", count: 1021) + "€"
    #expect(name1024.utf8.count == 1024)
    try w.add(Self.t(name1024))
    try w.add(Samples.prior, named: String(repeating: "c", count: 1024))
    try w.add(Self.t("r16", .uint8, Array(repeating: 1, count: 16)))
    try w.add(Self.t("q", .int8, [2], .perTensor(Self.q(.max, 63, 127))))
    try w.add(Self.t("q2", .int8, [2], .perTensor(Self.q(1, -32, -128))))
    try w.add(Self.t("big", .uint8, [0, 1 << 40]))
    try w.add(CDFTable(precision: 16, rows: [(offset: 0, cdf: [0, 1 << 16])]), named: "p16")
    try w.add(CDFTable(precision: 1, rows: [(offset: 0, cdf: [0, 1, 2])]), named: "p1")
    let key255 = String(repeating: "k", count: 255)
    try w.setMetadata(key255, .string(String(repeating: "s", count: 1 << 20)))
    try w.setMetadata("list", .list(Array(repeating: .integer(0), count: 65_536)))
    try w.setMetadata("deep", .list([.list([.list([.list([])])])]))
    let file = try WeightFile(bytes: Data(w.serialized()))
    #expect(file.tensor(named: name1024)?.shape == [2, 3])
    #expect(file.tensor(named: "r16")?.shape.count == 16)
    #expect(file.tensor(named: "big")?.shape == [0, 1 << 40])
    #expect(file.cdfTable(named: "p1")?.stride == 3)
    #expect(file.metadata(key255) == .string(String(repeating: "s", count: 1 << 20)))
    #expect(file.metadata("deep") == .list([.list([.list([.list([])])])]))
  }

  @Test("4,096 metadata entries are accepted, and replacing one of them still is")
  func metadataEntryLimit() throws {
    var w = WeightFileWriter()
    for i in 0..<4_096 { try w.setMetadata("k\(i)", .integer(Int64(i))) }
    try w.setMetadata("k0", .string("replaced"))
    #expect(
      Samples.refusal { () throws(WeightFormatError) in try w.setMetadata("new", .integer(0)) }
        == Self.limit)
    let file = try WeightFile(bytes: Data(w.serialized()))
    #expect(file.metadata.count == 4_096)
    #expect(file.metadata("k0") == .string("replaced"))
  }
}
