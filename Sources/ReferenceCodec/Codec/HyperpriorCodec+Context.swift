import WeightFormat

/// Profile `mbt2018`: the latent coded position by position with the autoregressive context
/// model (spec/bitstream.md §11).
extension HyperpriorCodec {
  /// Loads and checks the context model of an `mbt2018` model: `context_prediction` reads ŷ in
  /// g_s's input format, `entropy_parameters` reads (params, ctx) in the formats h_s and
  /// `context_prediction` produce and gives scales (M channels, the scale thresholds' fraction
  /// bits) and means (M channels, y's exponent).
  ///
  /// - Throws: ``ModelError`` naming the graph at fault, or the non-causal context weight.
  static func loadContextModel(
    contextPrediction cp: IntegerGraph, entropyParameters ep: IntegerGraph,
    hyperSynthesis hs: IntegerGraph, synthesis gs: IntegerGraph, scaleBits: Int
  ) throws(ModelError) -> ContextModel {
    func fail(_ reason: String) -> ModelError {
      .missing(what: "consistent graphs", reason: reason)
    }
    let model = try ContextModel(contextPrediction: cp, entropyParameters: ep)
    let yHat = gs.values[0]
    let input = cp.values[0]
    guard input.channels == yHat.channels, input.exponent == yHat.exponent,
      input.lo <= yHat.lo, input.hi >= yHat.hi
    else { throw fail("\(cp.name)'s input does not take g_s's input ŷ") }
    let params = hs.outputs[0]
    let ctx = cp.outputs[0]
    for (k, (value, what)) in [(params, "h_s's params"), (ctx, "\(cp.name)'s output")].enumerated()
    {
      let v = ep.values[k]
      guard v.channels == value.channels, v.exponent == value.exponent, v.lo <= value.lo,
        v.hi >= value.hi
      else { throw fail("\(ep.name)'s input \(k) does not take \(what)") }
    }
    let (scales, means) = (ep.outputs[0], ep.outputs[1])
    guard scales.channels == yHat.channels, scales.exponent == scaleBits else {
      throw fail(
        "\(ep.name)'s scales (\(scales.channels) channels, exponent \(scales.exponent)) do not match y and the scale thresholds (\(scaleBits) fraction bits)"
      )
    }
    guard means.channels == yHat.channels, means.exponent == yHat.exponent else {
      throw fail("\(ep.name)'s means must have y's channels and exponent")
    }
    return model
  }

  /// Quantizes y position by position with the context model and codes its symbols
  /// (spec/bitstream.md §11.3): the y substream, and ŷ.
  ///
  /// - Throws: ``EntropyError`` if a symbol cannot be coded.
  func encodeLatent(
    _ y: ChannelsLastActivations, params: ChannelsLastActivations, context: ContextModel
  ) throws -> (stream: [UInt8], yHat: ChannelsLastActivations) {
    guard let gaussianTable else { preconditionFailure("mbt2018 has a Gaussian table") }
    let format = synthesis.values[0]
    var yHat = ChannelsLastActivations(format: format, height: y.height, width: y.width)
    let m = y.channels
    let plane = y.height * y.width
    var symbols = [Int64](repeating: 0, count: m * plane)
    var rows = [Int32](repeating: 0, count: m * plane)
    var scratch = context.makeScratch()
    let model = scaleModels[0]
    for py in 0..<y.height {
      for px in 0..<y.width {
        context.parameters(y: py, x: px, yHat: yHat, params: params, into: &scratch)
        let p = py * y.width + px
        for c in 0..<m {
          let mean = Int64(scratch.slots[context.meansSlot][c])
          let s = IntegerMath.rshift(
            Int64(y.values[p * y.channelStride + c]) - mean, format.exponent)
          symbols[p * m + c] = s
          rows[p * m + c] = Int32(model.row(forScale: Int64(scratch.slots[context.scalesSlot][c])))
          yHat.values[p * yHat.channelStride + c] = Self.dequantized(s, mean: mean, format: format)
        }
      }
    }
    return (try gaussianTable.encode(values: symbols, rows: rows), yHat)
  }

  /// Decodes the y substream position by position with the context model (spec/bitstream.md
  /// §11.4): ŷ and the symbols in (C, H, W) order.
  ///
  /// - Throws: ``EntropyError`` if the substream is damaged.
  func decodeLatent(
    _ stream: [UInt8], params: ChannelsLastActivations, context: ContextModel
  ) throws(EntropyError) -> (yHat: ChannelsLastActivations, symbols: [Int32]) {
    guard let gaussianTable else { preconditionFailure("mbt2018 has a Gaussian table") }
    let format = synthesis.values[0]
    let (h, w) = (params.height, params.width)
    var yHat = ChannelsLastActivations(format: format, height: h, width: w)
    let m = format.channels
    let plane = h * w
    var symbols = [Int32](repeating: 0, count: m * plane)
    var scratch = context.makeScratch()
    let model = scaleModels[0]
    var decoder = try RANSDecoder(stream)
    for py in 0..<h {
      for px in 0..<w {
        context.parameters(y: py, x: px, yHat: yHat, params: params, into: &scratch)
        let p = py * w + px
        for c in 0..<m {
          let row = model.row(forScale: Int64(scratch.slots[context.scalesSlot][c]))
          let s = try gaussianTable.decode(row: row, from: &decoder)
          let mean = Int64(scratch.slots[context.meansSlot][c])
          // Any 64-bit symbol is valid (spec/entropy-coding.md §5); saturated for the symbol
          // list as the other profiles' are, clamped to ±2^20 before use.
          symbols[c * plane + p] = Int32(clamping: s)
          yHat.values[p * yHat.channelStride + c] = Self.dequantized(s, mean: mean, format: format)
        }
      }
    }
    try decoder.finish()
    return (yHat, symbols)
  }

  /// clamp((clamp(s, ±2^20) << e) + mean, lo, hi) (spec/bitstream.md §6.3).
  @inline(__always)
  static func dequantized(_ s: Int64, mean: Int64, format: IntegerGraph.Value) -> Int16 {
    let clamped = min(max(s, -symbolLimit), symbolLimit)
    let v = (clamped << Int64(format.exponent)) + mean
    return Int16(min(max(v, Int64(format.lo)), Int64(format.hi)))
  }
}
