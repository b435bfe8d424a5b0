import Foundation
import WeightFormat

extension GraphQuantizer {
  /// The output format of the sigmoid table: q stands for q · 2^−15, within [0, 32767].
  static let sigmoidFormat = Format(exponent: 15, scale: pow(2, -15), lo: 0, hi: 32767)

  /// The sigmoid table of spec/integer-ops.md §6.1.1 for inputs in `input`'s format:
  /// q(x) = min(floor(σ(x · scale) · 2^15 + 1/2), 32767) for x = lo … hi, its leading and
  /// trailing runs of equal values cut to one entry each.
  ///
  /// - Returns: the index value of the first entry (`first`, with shift 0) and the entries.
  static func sigmoidTable(input: Format) -> (first: Int, table: [Int16]) {
    func q(_ x: Int) -> Int16 {
      let t = Double(x) * input.scale
      let s = 1 / (1 + exp(-t))
      return Int16(min(floor(s * 32768 + 0.5), 32767))
    }
    let all = (input.lo...input.hi).map(q)
    // q is non-decreasing: the first entry is the last x still equal to q(lo), the last entry
    // the first x already equal to q(hi).
    let start = (all.lastIndex { $0 == all[0] }) ?? 0
    let end = (all.firstIndex { $0 == all[all.count - 1] }) ?? all.count - 1
    return (input.lo + start, Array(all[start...max(start, end)]))
  }

  /// A `lookup` node holding the sigmoid table of `input` (spec/integer-ops.md §6.1.1), and its
  /// output format (exponent 15, [0, 32767]).
  mutating func sigmoid(_ layer: FloatNetwork.Layer, input: Format)
    -> (GraphDescription.Node, Format)
  {
    let (first, table) = Self.sigmoidTable(input: input)
    let name = layer.prefix + ".table"
    addInt16(name, table, shape: [table.count])
    let out = Self.sigmoidFormat
    return (
      GraphDescription.Node(
        op: OperatorName.lookup.rawValue, inputs: [layer.input], output: layer.output,
        attributes: [
          ("shift", 0), ("first", Int64(first)), ("exponent", Int64(out.exponent)),
          ("lo", Int64(out.lo)), ("hi", Int64(out.hi)),
        ], parameters: [name]),
      out
    )
  }

  /// A `mul` node (spec/integer-ops.md §6.2): the product of the layer's input and `other`,
  /// requantized by the one factor scale_0 · scale_1 / scale_out.
  static func mul(
    _ layer: FloatNetwork.Layer, other: String, formats: (Format, Format), output: Format
  ) throws -> GraphDescription.Node {
    let (m, s) = try multiplierShift(
      formats.0.scale * formats.1.scale / output.scale, maxShift: 62, name: layer.prefix)
    return GraphDescription.Node(
      op: OperatorName.mul.rawValue, inputs: [layer.input, other], output: layer.output,
      attributes: [
        ("multiplier", Int64(m)), ("shift", Int64(s)), ("exponent", Int64(output.exponent)),
        ("lo", Int64(output.lo)), ("hi", Int64(output.hi)),
      ], parameters: [])
  }
}
