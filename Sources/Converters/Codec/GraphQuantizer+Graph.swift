import Foundation
import WeightFormat

extension GraphQuantizer {
  /// Quantizes a float network into a stored graph: every value gets a format (calibrated, or
  /// `fixed` for interface values) and every layer its integer node.
  ///
  /// - Parameters:
  ///   - net: the float network.
  ///   - input: the format of the network's input.
  ///   - extraInputs: the formats of its ``FloatNetwork/extraInputs`` by name.
  ///   - fixed: formats that override calibration (graph interfaces).
  ///   - ranges: calibrated max |value| by value name.
  ///   - headroom: calibrated ranges are widened by this factor (values beyond the calibrated
  ///     range are clamped, so a network whose activations vary more between pictures needs
  ///     more).
  ///   - bounds: clamp bounds other than ``activationBound`` by value name (≤ 32767), the
  ///     profile's choice; ``activationBounds`` (the user's) override them. A wider bound gives
  ///     that activation more bits, at no cost where only GDN/IGDN reads it, and costs the
  ///     convolutions that read it weight bits, since their §3 proof multiplies by it.
  /// - Returns: the graph and the format of every value.
  /// - Throws: an error naming the layer that cannot be quantized.
  mutating func graph(
    _ net: FloatNetwork, input: Format, extraInputs: [String: Format] = [:],
    fixed: [String: Format], ranges: [String: Double], headroom: Double = 1,
    bounds: [String: Int] = [:]
  ) throws -> (GraphDescription, [String: Format]) {
    func range(_ name: String) -> Double { (ranges[name] ?? 0) * headroom }
    let userBounds = activationBounds
    var applied: Set<String> = []
    func calibrated(_ name: String, nonNegative: Bool = false) -> Format {
      if let f = fixed[name] { return f }
      if userBounds[name] != nil { applied.insert(name) }
      let bound = userBounds[name] ?? bounds[name] ?? Self.activationBound
      return Format.power(
        Self.exponent(maxAbs: range(name), range: -16...24, bound: bound),
        nonNegative: nonNegative, bound: bound)
    }
    defer { appliedBounds.formUnion(applied) }
    var formats = extraInputs
    formats[net.input] = input
    var nodes: [GraphDescription.Node] = []
    for layer in net.layers {
      guard let inFormat = formats[layer.input] else { preconditionFailure("layers in order") }
      switch layer.kind {
      case .convolution:
        var f = calibrated(layer.output, nonNegative: layer.relu)
        if layer.relu { f.lo = 0 }
        nodes.append(try convolution(layer, input: inFormat, output: f))
        formats[layer.output] = f
      case .gdn:
        let out = calibrated(layer.output)
        nodes.append(try gdn(layer, input: inFormat, output: out))
        formats[layer.output] = out
      case .leakyReLU(let slope):
        let (node, out) = Self.leakyReLU(layer, slope: slope, input: inFormat)
        nodes.append(node)
        formats[layer.output] = out
      case .abs:
        nodes.append(
          GraphDescription.Node(
            op: OperatorName.abs.rawValue, inputs: [layer.input], output: layer.output,
            attributes: [],
            parameters: []))
        var out = inFormat
        out.lo = 0
        out.hi = inFormat.bound
        formats[layer.output] = out
      case .pixelShuffle(let r):
        nodes.append(
          GraphDescription.Node(
            op: OperatorName.pixelShuffle.rawValue, inputs: [layer.input], output: layer.output,
            attributes: [("factor", Int64(r))], parameters: []))
        formats[layer.output] = inFormat
      case .add(let other):
        guard let otherFormat = formats[other] else { preconditionFailure("layers in order") }
        var out = calibrated(layer.output, nonNegative: layer.relu)
        if layer.relu { out.lo = 0 }
        let (m0, s0) = try Self.multiplierShift(
          inFormat.scale / out.scale, maxShift: 62, name: layer.prefix)
        let (m1, s1) = try Self.multiplierShift(
          otherFormat.scale / out.scale, maxShift: 62, name: layer.prefix)
        nodes.append(
          GraphDescription.Node(
            op: OperatorName.add.rawValue, inputs: [layer.input, other], output: layer.output,
            attributes: [
              ("multiplier_0", Int64(m0)), ("shift_0", Int64(s0)), ("multiplier_1", Int64(m1)),
              ("shift_1", Int64(s1)), ("exponent", Int64(out.exponent)), ("lo", Int64(out.lo)),
              ("hi", Int64(out.hi)),
            ], parameters: []))
        formats[layer.output] = out
      case .concat(let others):
        let out = calibrated(layer.output)
        var attributes: [(name: String, value: Int64)] = []
        for (k, name) in ([layer.input] + others).enumerated() {
          guard let f = formats[name] else { preconditionFailure("layers in order") }
          let (m, s) = try Self.multiplierShift(
            f.scale / out.scale, maxShift: 62, name: layer.prefix)
          attributes += [("multiplier_\(k)", Int64(m)), ("shift_\(k)", Int64(s))]
        }
        attributes += [
          ("exponent", Int64(out.exponent)), ("lo", Int64(out.lo)), ("hi", Int64(out.hi)),
        ]
        nodes.append(
          GraphDescription.Node(
            op: OperatorName.concat.rawValue, inputs: [layer.input] + others,
            output: layer.output, attributes: attributes, parameters: []))
        formats[layer.output] = out
      case .sigmoid:
        let (node, out) = sigmoid(layer, input: inFormat)
        nodes.append(node)
        formats[layer.output] = out
      case .mul(let other):
        guard let otherFormat = formats[other] else { preconditionFailure("layers in order") }
        var out = calibrated(layer.output, nonNegative: layer.relu)
        if layer.relu { out.lo = 0 }
        nodes.append(
          try Self.mul(layer, other: other, formats: (inFormat, otherFormat), output: out))
        formats[layer.output] = out
      case .film:
        let out = calibrated(layer.output)
        nodes.append(try film(layer, input: inFormat, output: out))
        formats[layer.output] = out
      }
    }
    var inputs: [GraphDescription.Input] = [
      .init(
        name: net.input, channels: net.inputChannels, exponent: input.exponent, lo: input.lo,
        hi: input.hi)
    ]
    for extra in net.extraInputs {
      guard let f = extraInputs[extra.name] else { preconditionFailure("a format per input") }
      inputs.append(
        .init(name: extra.name, channels: extra.channels, exponent: f.exponent, lo: f.lo, hi: f.hi))
    }
    let description = GraphDescription(inputs: inputs, outputs: net.outputs, nodes: nodes)
    return (description, formats)
  }

  /// A `conditioned_affine` node: per channel, one int16 scale per level with a shared
  /// requantization, biases in accumulator units.
  mutating func film(_ layer: FloatNetwork.Layer, input: Format, output: Format) throws
    -> GraphDescription.Node
  {
    guard case .film(let scale, let bias) = layer.kind else { preconditionFailure("not a FiLM") }
    let levels = scale.count
    let c = scale.first?.count ?? 0
    var aq = [Int16](repeating: 0, count: levels * c)
    var bq = [Int32](repeating: 0, count: levels * c)
    var m = [Int32](repeating: 1, count: c)
    var s = [Int32](repeating: 0, count: c)
    for ch in 0..<c {
      let maxA = (0..<levels).map { Swift.abs(scale[$0][ch]) }.max() ?? 0
      let maxB = (0..<levels).map { Swift.abs(bias[$0][ch]) }.max() ?? 0
      // Scale unit: |a| ≤ 32767 and |b| / (unit · s_in) ≤ 2^30.
      let unit = max(maxA / 32767, maxB / (input.scale * 1_073_741_824), 1e-30)
      for l in 0..<levels {
        aq[l * c + ch] = Int16((scale[l][ch] / unit).rounded())
        bq[l * c + ch] = Int32((bias[l][ch] / (unit * input.scale)).rounded())
      }
      (m[ch], s[ch]) = try Self.multiplierShift(
        unit * input.scale / output.scale, maxShift: 62, name: layer.prefix)
    }
    let prefix = layer.prefix
    addInt16(prefix + ".scale", aq, shape: [levels, c])
    addInt32(prefix + ".bias", bq, shape: [levels, c])
    addInt32(prefix + ".multiplier", m, shape: [c])
    addInt32(prefix + ".shift", s, shape: [c])
    return GraphDescription.Node(
      op: OperatorName.conditionedAffine.rawValue, inputs: [layer.input], output: layer.output,
      attributes: [
        ("exponent", Int64(output.exponent)), ("lo", Int64(output.lo)), ("hi", Int64(output.hi)),
      ],
      parameters: [prefix + ".scale", prefix + ".bias", prefix + ".multiplier", prefix + ".shift"])
  }
}
