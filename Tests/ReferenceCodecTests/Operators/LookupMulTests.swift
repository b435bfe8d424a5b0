import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// Hand-picked edge cases of `lookup` and `mul` (spec/integer-ops.md §6.1, §6.2).
///
/// Each runs through a stored graph: table ends and saturation, the rounding of the index
/// shift, extreme products, and the nodes a decoder must refuse. The random cases are in `OperatorTableTests`; the
/// cross-language cases (`Fixtures/golden/lookup-mul-cases.json`) are what the NumPy spec
/// decoder is checked against (python/tests/test_spec_decoder_operators.py).
@Suite("lookup and mul: edge cases")
struct LookupMulTests {
  static let wide = GraphDescription.Input(
    name: "x", channels: 1, exponent: 0, lo: -32767, hi: 32767)

  /// One channel of `values` as a 1 × n tensor within ±32767.
  static func row(_ values: [Int16], channels: Int = 1) -> ChannelsLastActivations {
    let stride = ChannelsLastLayout.channelStride(channels)
    var v = [Int16](repeating: 0, count: values.count / channels * stride)
    for (i, q) in values.enumerated() { v[i / channels * stride + i % channels] = q }
    return ChannelsLastActivations(
      channels: channels, height: 1, width: values.count / channels, values: v, exponent: 0,
      lo: -32767, hi: 32767)
  }

  /// The values of a one-channel output, in order.
  static func plain(_ t: ChannelsLastActivations) -> [Int16] {
    (0..<(t.height * t.width)).map { t.values[$0 * t.channelStride] }
  }

  /// The outputs of a graph with a single lookup node over `table`.
  static func lookup(
    _ x: [Int16], table: [Int16], shift: Int64, first: Int64, lo: Int64 = -32767,
    hi: Int64 = 32767
  ) throws -> [Int16] {
    var b = GraphBuilder()
    try b.int16("t", table, [table.count])
    b.node(
      "lookup", ["x"], "y",
      [("shift", shift), ("first", first), ("exponent", 15), ("lo", lo), ("hi", hi)], ["t"])
    let graph = try IntegerGraph(file: try b.file(inputs: [wide], outputs: ["y"]), name: "test")
    #expect(graph.outputs[0].exponent == 15 && graph.outputs[0].lo == lo)
    return plain(graph.run([row(x)])[0])
  }

  /// Table ends: inputs below the first index read T[0], above the last T[L − 1].
  @Test func tableEndsSaturate() throws {
    let x: [Int16] = [-32767, -3, -2, -1, 0, 1, 2, 3, 32767]
    #expect(
      try Self.lookup(x, table: [10, 20, 30, 40, 50], shift: 0, first: -2, lo: 0, hi: 100)
        == [10, 10, 10, 20, 30, 40, 50, 50, 50])
    // A one-entry table is a constant.
    #expect(try Self.lookup(x, table: [7], shift: 0, first: 5) == [Int16](repeating: 7, count: 9))
    // A table wholly above or below the inputs' indexes.
    #expect(
      try Self.lookup([-32767, 0, 32767], table: [1, 2], shift: 3, first: 32766)
        == [1, 1, 1])
    #expect(
      try Self.lookup([-32767, 0, 32767], table: [1, 2], shift: 3, first: -32767)
        == [2, 2, 2])
  }

  /// The index is rshift(x, k): rounded half up, so −2 → 0 and −3 → −1 for k = 2.
  @Test func indexShiftRoundsHalfUp() throws {
    let x: [Int16] = [-7, -6, -3, -2, 1, 2, 32767]
    #expect(try Self.lookup(x, table: [1, 2, 3], shift: 2, first: -1) == [1, 1, 1, 2, 2, 3, 3])
    // k = 15: rshift(±32767) = ±1, rshift(16384) = 1, rshift(16383) = 0, rshift(−16384) = 0.
    let y: [Int16] = [-32767, -16385, -16384, 16383, 16384, 32767]
    #expect(try Self.lookup(y, table: [7, 8, 9], shift: 15, first: -1) == [7, 7, 8, 8, 9, 9])
  }

  /// The largest table (L = 65535, every int16 but −32768) is the identity at both ends.
  @Test func fullLengthTable() throws {
    let table = (0..<65535).map { Int16($0 - 32767) }
    let x: [Int16] = [-32767, -32766, -1, 0, 1, 32766, 32767]
    #expect(try Self.lookup(x, table: table, shift: 0, first: -32767) == x)
  }

  /// The codes of loading one lookup node built by `edit` (nil: it loads).
  static func lookupRefusal(_ edit: (inout GraphBuilder) throws -> Void) -> String? {
    do {
      var b = GraphBuilder()
      try edit(&b)
      _ = try IntegerGraph(file: try b.file(inputs: [wide], outputs: ["y"]), name: "test")
      return nil
    } catch let e as ModelError {
      return e.code
    } catch {
      return "other: \(error)"
    }
  }

  @Test func malformedLookupNodesAreRefused() throws {
    func node(
      _ b: inout GraphBuilder, shift: Int64 = 0, first: Int64 = 0, lo: Int64 = 0,
      hi: Int64 = 100, table: String = "t"
    ) {
      b.node(
        "lookup", ["x"], "y",
        [("shift", shift), ("first", first), ("exponent", 15), ("lo", lo), ("hi", hi)], [table])
    }
    let ok: (inout GraphBuilder) throws -> Void = { b in
      try b.int16("t", [0, 50, 100], [3])
      node(&b)
    }
    #expect(Self.lookupRefusal(ok) == nil)
    let cases: [(String, (inout GraphBuilder) throws -> Void)] = [
      (
        "entry above hi",
        { b in
          try b.int16("t", [0, 101], [2])
          node(&b)
        }
      ),
      (
        "entry below lo",
        { b in
          try b.int16("t", [-1, 1], [2])
          node(&b)
        }
      ),
      (
        "shift 16",
        { b in
          try b.int16("t", [0], [1])
          node(&b, shift: 16)
        }
      ),
      (
        "first −32768",
        { b in
          try b.int16("t", [0], [1])
          node(&b, first: -32768)
        }
      ),
      (
        "last index 32768",
        { b in
          try b.int16("t", [0, 1], [2])
          node(&b, first: 32767)
        }
      ),
      (
        "int32 table",
        { b in
          try b.int32("t", [0, 1], [2])
          node(&b)
        }
      ),
      (
        "2-D table",
        { b in
          try b.int16("t", [0, 1], [1, 2])
          node(&b)
        }
      ),
      ("missing table", { b in node(&b, table: "nope") }),
      (
        "no parameter",
        { b in
          b.node(
            "lookup", ["x"], "y",
            [("shift", 0), ("first", 0), ("exponent", 15), ("lo", 0), ("hi", 1)])
        }
      ),
      (
        "no first",
        { b in
          try b.int16("t", [0], [1])
          b.node(
            "lookup", ["x"], "y", [("shift", 0), ("exponent", 15), ("lo", 0), ("hi", 1)], ["t"])
        }
      ),
      (
        "two inputs",
        { b in
          try b.int16("t", [0], [1])
          b.node(
            "lookup", ["x", "x"], "y",
            [("shift", 0), ("first", 0), ("exponent", 15), ("lo", 0), ("hi", 1)], ["t"])
        }
      ),
    ]
    for (what, edit) in cases {
      let code = Self.lookupRefusal(edit)
      #expect(
        code == "model.invalidNode" || code == "model.missing",
        "\(what): \(String(describing: code))")
    }
  }

  /// A graph of one mul node over two one-channel inputs.
  static func mul(
    _ x1: [Int16], _ x2: [Int16], m: Int64, s: Int64, lo: Int64 = -32767,
    hi: Int64 = 32767
  ) throws -> [Int16] {
    var b = GraphBuilder()
    b.node(
      "mul", ["x", "x2"], "y",
      [("multiplier", m), ("shift", s), ("exponent", 3), ("lo", lo), ("hi", hi)])
    let x2Input = GraphDescription.Input(
      name: "x2", channels: 1, exponent: 15, lo: -32767, hi: 32767)
    let graph = try IntegerGraph(
      file: try b.file(inputs: [wide, x2Input], outputs: ["y"]), name: "test")
    #expect(graph.outputs[0].exponent == 3)
    return plain(graph.run([row(x1), row(x2)])[0])
  }

  /// Extreme products: 32767² with the largest multiplier, rounding half up, saturation.
  @Test func mulExtremes() throws {
    let x1: [Int16] = [32767, -32767, 181, 3, -3, 0]
    let x2: [Int16] = [32767, 32767, 181, -5, 1, -32767]
    #expect(try Self.mul(x1, x2, m: 1 << 30, s: 30) == [32767, -32767, 32761, -15, -3, 0])
    #expect(try Self.mul(x1, x2, m: 1, s: 1) == [32767, -32767, 16381, -7, -1, 0])
    #expect(try Self.mul(x1, x2, m: 1 << 30, s: 30, lo: -10, hi: 20) == [20, -10, 20, -10, -3, 0])
    let big = Int64(Int32.max)
    #expect(try Self.mul(x1, x2, m: big, s: 61) == [1, -1, 0, 0, 0, 0])
    #expect(try Self.mul(x1, x2, m: big, s: 46) == [32766, -32766, 1, 0, 0, 0])
    #expect(try Self.mul(x1, x2, m: 1, s: 15) == [32766, -32766, 1, 0, 0, 0])
    // s = 62: the product 32767² · (2^31 − 1) is just below 2^61, so it rounds to 0.
    #expect(try Self.mul(x1, x2, m: big, s: 62) == [0, 0, 0, 0, 0, 0])
  }

  @Test func malformedMulNodesAreRefused() throws {
    func code(
      inputs: [String] = ["x", "x2"], channels: Int = 1,
      _ attributes: [(String, Int64)] = [("multiplier", 1), ("shift", 0)]
    ) -> String? {
      do {
        var b = GraphBuilder()
        b.node("mul", inputs, "y", attributes + [("exponent", 0), ("lo", -1), ("hi", 1)])
        let x2 = GraphDescription.Input(name: "x2", channels: channels, exponent: 0, lo: -5, hi: 5)
        _ = try IntegerGraph(
          file: try b.file(inputs: [Self.wide, x2], outputs: ["y"]), name: "test")
        return nil
      } catch let e as ModelError {
        return e.code
      } catch {
        return "other: \(error)"
      }
    }
    #expect(code() == nil)
    #expect(code(channels: 2) == "model.invalidNode")
    #expect(code(inputs: ["x"]) == "model.invalidNode")
    #expect(code([("multiplier", 0), ("shift", 0)]) == "model.invalidNode")
    #expect(code([("multiplier", 1 << 31), ("shift", 0)]) == "model.invalidNode")
    #expect(code([("multiplier", 1), ("shift", 63)]) == "model.invalidNode")
    #expect(code([("multiplier", 1)]) == "model.invalidNode")
  }
}
