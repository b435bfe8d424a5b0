import Foundation
import ReferenceCodec
import Testing
import WeightFormat

/// Seeded random `lookup` and `mul` nodes (spec/integer-ops.md §6.1, §6.2) for the NumPy decoder.
///
/// Each case runs through a stored graph; `Fixtures/golden/lookup-mul-cases.json` holds the
/// reference's outputs that the NumPy spec decoder, written from the spec text alone, must
/// reproduce (python/tests/test_spec_decoder_operators.py). The committed file must equal what the
/// reference computes now; `GIC_RECORD_GOLDEN=1` rewrites it.
@Suite("lookup and mul: cross-language cases")
struct LookupMulCrossCheckTests {
  static let caseCount = 24

  /// One case: a graph with inputs x, x2 and the nodes lookup(x) → s and mul(x, x2) → p.
  struct Case {
    var channels: Int
    var height: Int
    var width: Int
    var x: [Int16]
    var x2: [Int16]
    var range: (lo: Int32, hi: Int32)
    var shift: Int
    var first: Int
    var table: [Int16]
    var lookupRange: (lo: Int32, hi: Int32)
    var multiplier: Int32
    var mulShift: Int
    var mulRange: (lo: Int32, hi: Int32)
  }

  static func draw(_ rng: inout SplitMix64) -> Case {
    func range() -> (lo: Int32, hi: Int32) {
      let a = Int32.random(in: -32767...32767, using: &rng)
      let b = Int32.random(in: -32767...32767, using: &rng)
      return (min(a, b), max(a, b))
    }
    let c = Int.random(in: 1...5, using: &rng)
    let (h, w) = (Int.random(in: 1...3, using: &rng), Int.random(in: 1...4, using: &rng))
    let r = Bool.random(using: &rng) ? (lo: Int32(-32767), hi: Int32(32767)) : range()
    func values() -> [Int16] {
      (0..<(c * h * w)).map { _ in
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: Int16(r.lo)
        case 1: Int16(r.hi)
        default: Int16(Int32.random(in: r.lo...r.hi, using: &rng))
        }
      }
    }
    let k = Int.random(in: 0...15, using: &rng)
    let length = Int.random(in: 1...40, using: &rng)
    let lowest = Int(IntegerMath.rshift(Int64(r.lo), k))
    let highest = Int(IntegerMath.rshift(Int64(r.hi), k))
    let first = Int.random(
      in: max(-32767, lowest - length)...min(32767 - length + 1, highest), using: &rng)
    let lookupRange = range()
    let table = (0..<length).map { _ in
      Int16(Int32.random(in: lookupRange.lo...lookupRange.hi, using: &rng))
    }
    let m: Int32 =
      Bool.random(using: &rng) ? 1 << 30 : Int32.random(in: 1...Int32.max, using: &rng)
    // Shifts near 30 + log2(m) keep most products inside the output range.
    let s =
      Bool.random(using: &rng)
      ? Int.random(in: 0...62, using: &rng)
      : Int.random(in: (m == 1 << 30 ? 30 : 44)...(m == 1 << 30 ? 36 : 52), using: &rng)
    return Case(
      channels: c, height: h, width: w, x: values(), x2: values(), range: r, shift: k,
      first: first, table: table, lookupRange: lookupRange, multiplier: m, mulShift: s,
      mulRange: range())
  }

  /// Runs a case through a stored graph; returns the outputs s and p in (C, H, W) order.
  static func run(_ t: Case) throws -> (lookup: [Int16], mul: [Int16]) {
    var b = GraphBuilder()
    try b.int16("table", t.table, [t.table.count])
    b.node(
      "lookup", ["x"], "s",
      [
        ("shift", Int64(t.shift)), ("first", Int64(t.first)), ("exponent", 15),
        ("lo", Int64(t.lookupRange.lo)), ("hi", Int64(t.lookupRange.hi)),
      ], ["table"])
    b.node(
      "mul", ["x", "x2"], "p",
      [
        ("multiplier", Int64(t.multiplier)), ("shift", Int64(t.mulShift)), ("exponent", 4),
        ("lo", Int64(t.mulRange.lo)), ("hi", Int64(t.mulRange.hi)),
      ])
    let inputs = ["x", "x2"].map {
      GraphDescription.Input(
        name: $0, channels: t.channels, exponent: 0, lo: Int(t.range.lo), hi: Int(t.range.hi))
    }
    let graph = try IntegerGraph(
      file: try b.file(inputs: inputs, outputs: ["s", "p"]), name: "test")
    func tensor(_ v: [Int16]) -> ChannelsLastActivations {
      ChannelsLastActivations(
        ActivationTensor(
          channels: t.channels, height: t.height, width: t.width, values: v, exponent: 0,
          lo: t.range.lo, hi: t.range.hi))
    }
    let out = graph.run([tensor(t.x), tensor(t.x2)])
    return (out[0].activationTensor.values, out[1].activationTensor.values)
  }

  /// The fixture text: one JSON object per case and line, inside one array.
  static func fixture() throws -> String {
    var rng = SplitMix64(seed: 0x6C6F_6F6B_7570)
    var lines: [String] = []
    for _ in 0..<caseCount {
      let t = draw(&rng)
      let (s, p) = try run(t)
      func list(_ v: [some BinaryInteger]) -> String {
        "[" + v.map { String($0) }.joined(separator: ",") + "]"
      }
      lines.append(
        "{\"shape\":[\(t.channels),\(t.height),\(t.width)],\"range\":[\(t.range.lo),\(t.range.hi)],"
          + "\"x\":\(list(t.x)),\"x2\":\(list(t.x2)),"
          + "\"lookup\":{\"shift\":\(t.shift),\"first\":\(t.first),"
          + "\"lo\":\(t.lookupRange.lo),\"hi\":\(t.lookupRange.hi),\"table\":\(list(t.table)),"
          + "\"out\":\(list(s))},"
          + "\"mul\":{\"multiplier\":\(t.multiplier),\"shift\":\(t.mulShift),"
          + "\"lo\":\(t.mulRange.lo),\"hi\":\(t.mulRange.hi),\"out\":\(list(p))}}")
    }
    return "[\n" + lines.joined(separator: ",\n") + "\n]\n"
  }

  @Test("the committed cases equal the reference's outputs")
  func committedCases() throws {
    let text = try Self.fixture()
    let committed = try Golden.check("lookup-mul-cases.json", Array(text.utf8))
    #expect(committed != nil, "Fixtures/golden/lookup-mul-cases.json missing")
    #expect(committed == Array(text.utf8), "rerun with GIC_RECORD_GOLDEN=1 after a spec change")
  }
}
