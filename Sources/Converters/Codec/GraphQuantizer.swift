import Foundation
import WeightFormat

/// Turns float layers into integer graph nodes with the §3 accumulator proof
/// (spec/integer-ops.md).
///
/// Every activation is int16 with a clamp bound of at most ``activationBound`` (2^12 − 1) and a
/// real scale (2^−exponent, or 1/255 for pixels). Weights are quantized per output channel to
/// int16 with the largest scale that keeps both |w_q| ≤ 32767 and the channel's accumulator
/// bound |b_q| + Σ|w_q|·X ≤ 2^31 − 1 (X the input's clamp bound); the bound is verified on the
/// rounded integers and recorded as the node's `accumulator_bound`.
struct GraphQuantizer {
  /// The clamp bound of intermediate activations: 12-bit magnitudes (docs/integer-precision.md).
  static let activationBound = 4095
  static let int32Max = Double(Int32.max)

  /// A value's integer format: element q stands for q · scale.
  struct Format: Sendable {
    var exponent: Int
    var scale: Double
    var lo: Int
    var hi: Int
    var bound: Int { max(Swift.abs(lo), Swift.abs(hi)) }

    /// Scale 2^−exponent, clamp ±bound (or [0, bound] when non-negative).
    static func power(
      _ exponent: Int, nonNegative: Bool = false, bound: Int = activationBound
    ) -> Format {
      Format(
        exponent: exponent, scale: pow(2, Double(-exponent)),
        lo: nonNegative ? 0 : -bound, hi: bound)
    }

    /// 8-bit pixels: q in 0…255 stands for q/255.
    static let pixels = Format(exponent: 0, scale: 1.0 / 255, lo: 0, hi: 255)
  }

  /// Tensors the nodes reference, in creation order.
  var tensors: [Tensor] = []

  /// Clamp bounds chosen by the user, by value name.
  ///
  /// They come from `gic-convert --activation-bound` and take precedence over a profile's own
  /// choices. Each must name a calibrated activation of one of the model's graphs
  /// (``checkActivationBoundsUsed(profile:)``).
  var activationBounds: [String: Int] = [:]
  /// The names of ``activationBounds`` that a graph has applied.
  var appliedBounds: Set<String> = []

  /// The largest bound a user may give: int16 activations never hold −32768 (spec/integer-ops.md §1).
  static let maxActivationBound = 32767

  /// Refuses user bounds that named no calibrated activation (a typo would otherwise be ignored).
  func checkActivationBoundsUsed(profile: String) throws {
    let unused = Set(activationBounds.keys).subtracting(appliedBounds).sorted()
    guard unused.isEmpty else {
      throw ConverterError.profileMismatch(
        profile: profile,
        reason:
          "--activation-bound names \(unused.joined(separator: ", ")), which is no calibrated "
          + "activation of this model's graphs (graph inputs and outputs have fixed formats)")
    }
  }

  /// The largest exponent e with maxAbs · 2^e ≤ `bound` (default ``activationBound``), within
  /// `range`.
  static func exponent(
    maxAbs: Double, range: ClosedRange<Int>, bound: Int = activationBound
  ) -> Int {
    guard maxAbs > 0 else { return range.upperBound }
    let e = Int(floor(log2(Double(bound) / maxAbs)))
    return min(max(e, range.lowerBound), range.upperBound)
  }

  /// m · 2^−s ≈ r with 2^30 ≤ m < 2^31 where the shift range allows.
  static func multiplierShift(_ r: Double, maxShift: Int, name: String) throws -> (Int32, Int32) {
    guard r.isFinite, r > 0 else {
      throw ConverterError.profileMismatch(
        profile: "codec", reason: "\(name): rescale factor \(r) is not finite and positive")
    }
    var s = 30 - Int(floor(log2(r)))
    var m = (r * pow(2, Double(s))).rounded()
    if m >= 2_147_483_648 {
      s -= 1
      m = (r * pow(2, Double(s))).rounded()
    }
    if s > maxShift {
      s = maxShift
      m = max(1, (r * pow(2, Double(s))).rounded())
    }
    if s < 0 {
      s = 0
      m = r.rounded()
      guard m < 2_147_483_648 else {
        throw ConverterError.profileMismatch(
          profile: "codec", reason: "\(name): rescale factor \(r) is too large for int32")
      }
    }
    return (Int32(m), Int32(s))
  }

  mutating func addInt16(_ name: String, _ values: [Int16], shape: [Int]) {
    let data = values.withUnsafeBufferPointer { b in
      Data(buffer: UnsafeBufferPointer(start: b.baseAddress, count: b.count))
    }
    tensors.append(Tensor(name: name, dtype: .int16, shape: shape, data: data))
  }

  mutating func addInt32(
    _ name: String, _ values: [Int32], shape: [Int], quantization: Quantization? = nil
  ) {
    let data = values.withUnsafeBufferPointer { b in
      Data(buffer: UnsafeBufferPointer(start: b.baseAddress, count: b.count))
    }
    tensors.append(
      Tensor(name: name, dtype: .int32, shape: shape, quantization: quantization, data: data))
  }

  /// A convolution or transposed convolution node.
  mutating func convolution(
    _ layer: FloatNetwork.Layer, input: Format, output: Format
  ) throws -> GraphDescription.Node {
    guard
      case .convolution(
        let w, let b, let cin, let cout, let k, let stride, let padding, let transposed, let op) =
        layer.kind
    else { preconditionFailure("not a convolution") }
    let x = Double(input.bound)
    let perChannel = cin * k * k
    func index(_ o: Int, _ j: Int) -> Int {
      // j runs over (i, u, v) of output channel o.
      transposed ? (j / (k * k)) * cout * k * k + o * k * k + j % (k * k) : o * perChannel + j
    }
    var wq = [Int16](repeating: 0, count: w.count)
    var bq = [Int32](repeating: 0, count: cout)
    var m = [Int32](repeating: 0, count: cout)
    var s = [Int32](repeating: 0, count: cout)
    var sums = [Int64](repeating: 0, count: cout)
    for o in 0..<cout {
      var maxAbs = 0.0
      var sumAbs = 0.0
      for j in 0..<perChannel {
        let v = Swift.abs(Double(w[index(o, j)]))
        maxAbs = max(maxAbs, v)
        sumAbs += v
      }
      let bias = Double(b[o]) / input.scale
      let margin = Double(perChannel) * x / 2 + 2
      var scale = max(maxAbs / 32767, (Swift.abs(bias) + sumAbs * x) / (Self.int32Max - margin))
      scale = max(scale, 1e-30)
      while true {
        var sum: Int64 = 0
        for j in 0..<perChannel {
          let q = Int64((Double(w[index(o, j)]) / scale).rounded())
          wq[index(o, j)] = Int16(min(max(q, -32767), 32767))
          sum += Swift.abs(Int64(wq[index(o, j)]))
        }
        let qb = (bias / scale).rounded()
        let bound = Double(Swift.abs(qb)) + Double(sum) * x
        if bound <= Self.int32Max {
          bq[o] = Int32(qb)
          sums[o] = sum
          break
        }
        scale *= 1.0001
      }
      (m[o], s[o]) = try Self.multiplierShift(
        scale * input.scale / output.scale, maxShift: 62, name: layer.prefix)
    }
    let prefix = layer.prefix
    addInt16(prefix + ".weight", wq, shape: transposed ? [cin, cout, k, k] : [cout, cin, k, k])
    addInt32(prefix + ".bias", bq, shape: [cout])
    addInt32(prefix + ".multiplier", m, shape: [cout])
    addInt32(prefix + ".shift", s, shape: [cout])
    var attributes: [(name: String, value: Int64)] = [
      ("kernel", Int64(k)), ("stride", Int64(stride)), ("padding", Int64(padding)),
    ]
    if transposed { attributes.append(("output_padding", Int64(op))) }
    attributes += [
      ("exponent", Int64(output.exponent)), ("lo", Int64(output.lo)), ("hi", Int64(output.hi)),
      (
        "accumulator_bound",
        AccumulatorBound.worst(biases: bq, absoluteSums: sums, inputBound: Int64(input.bound))
      ),
    ]
    return GraphDescription.Node(
      op: (transposed ? OperatorName.convTranspose2d : .conv2d).rawValue, inputs: [layer.input],
      output: layer.output,
      attributes: attributes,
      parameters: [prefix + ".weight", prefix + ".bias", prefix + ".multiplier", prefix + ".shift"])
  }

  /// A GDN or inverse GDN node (spec/integer-ops.md §5).
  mutating func gdn(_ layer: FloatNetwork.Layer, input: Format, output: Format) throws
    -> GraphDescription.Node
  {
    guard case .gdn(let beta, let gamma, let inverse) = layer.kind else {
      preconditionFailure("not a GDN")
    }
    let c = beta.count
    let x = Int64(input.bound)
    var t = 0
    while AccumulatorBound.shiftedSquare(x, shift: t) > 32767 { t += 1 }
    let u = Double(AccumulatorBound.gdnSquare(x, shift: t))
    let unitU = input.scale * input.scale * pow(2, Double(t))
    var gq = [Int16](repeating: 0, count: c * c)
    var bq = [Int32](repeating: 0, count: c)
    var m = [Int32](repeating: 0, count: c)
    var s = [Int32](repeating: 0, count: c)
    var sums = [Int64](repeating: 0, count: c)
    for i in 0..<c {
      let row = (0..<c).map { gamma[i * c + $0] * unitU }
      let maxG = row.map(Swift.abs).max() ?? 0
      let sumG = row.map(Swift.abs).reduce(0, +)
      let margin = Double(c) * u / 2 + 2
      var scale = max(maxG / 32767, (beta[i] + sumG * u) / (Self.int32Max - margin), 1e-30)
      while true {
        var sum: Int64 = 0
        for j in 0..<c {
          let q = Int64((row[j] / scale).rounded())
          gq[i * c + j] = Int16(min(max(q, -32767), 32767))
          sum += Swift.abs(Int64(gq[i * c + j]))
        }
        let qb = (beta[i] / scale).rounded()
        if Double(Swift.abs(qb)) + Double(sum) * u <= Self.int32Max {
          bq[i] = Int32(qb)
          sums[i] = sum
          break
        }
        scale *= 1.0001
      }
      let root = scale.squareRoot()
      if inverse {
        (m[i], s[i]) = try Self.multiplierShift(
          input.scale * root / output.scale, maxShift: 62, name: layer.prefix)
      } else {
        (m[i], s[i]) = try Self.multiplierShift(
          input.scale / (root * output.scale), maxShift: 46, name: layer.prefix)
      }
    }
    let prefix = layer.prefix
    addInt16(prefix + ".gamma", gq, shape: [c, c])
    addInt32(prefix + ".beta", bq, shape: [c])
    addInt32(prefix + ".multiplier", m, shape: [c])
    addInt32(prefix + ".shift", s, shape: [c])
    return GraphDescription.Node(
      op: (inverse ? OperatorName.igdn : .gdn).rawValue, inputs: [layer.input],
      output: layer.output,
      attributes: [
        ("square_shift", Int64(t)), ("exponent", Int64(output.exponent)),
        ("lo", Int64(output.lo)), ("hi", Int64(output.hi)),
        (
          "accumulator_bound",
          AccumulatorBound.worst(biases: bq, absoluteSums: sums, inputBound: Int64(u))
        ),
      ],
      parameters: [prefix + ".gamma", prefix + ".beta", prefix + ".multiplier", prefix + ".shift"])
  }

  /// The slope of LeakyReLU as a / 2^15.
  static let leakySlopeShift = 15

  /// A LeakyReLU node and its output format.
  static func leakyReLU(_ layer: FloatNetwork.Layer, slope: Double, input: Format)
    -> (GraphDescription.Node, Format)
  {
    let a = Int64((slope * pow(2, Double(leakySlopeShift))).rounded())
    var out = input
    if input.lo < 0 {
      let v = Int64(input.lo) * a
      out.lo = Int((v + (1 << (leakySlopeShift - 1))) >> leakySlopeShift)
    }
    return (
      GraphDescription.Node(
        op: OperatorName.leakyReLU.rawValue, inputs: [layer.input], output: layer.output,
        attributes: [("slope", a), ("slope_shift", Int64(leakySlopeShift))], parameters: []),
      out
    )
  }
}
