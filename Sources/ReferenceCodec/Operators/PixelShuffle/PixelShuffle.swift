import WeightFormat

/// `pixel_shuffle` (spec/integer-ops.md §6): out[c, y·r + i, x·r + j] = x[c·r² + i·r + j, y, x].
struct PixelShuffleOperator: IntegerOperator {
  let factor: Int

  static let definition = OperatorDefinition(
    names: [.pixelShuffle], specSection: "spec/integer-ops.md §6", attributes: ["factor"],
    parameters: [], reference: "PixelShuffleOperator.run", fastPaths: [], build: build,
    randomCase: randomCase)

  func run(
    _ inputs: [ChannelsLastActivations], output v: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    let x = inputs[0]
    let r = factor
    let (h, w) = (x.height * r, x.width * r)
    let c = v.channels
    var out = ChannelsLastActivations(format: v, height: h, width: w)
    let stride = out.channelStride
    for y in 0..<x.height {
      for xx in 0..<x.width {
        let src = (y * x.width + xx) * x.channelStride
        for ch in 0..<c {
          for i in 0..<r {
            for j in 0..<r {
              let dst = ((y * r + i) * w + xx * r + j) * stride + ch
              out.values[dst] = x.values[src + ch * r * r + i * r + j]
            }
          }
        }
      }
    }
    return out
  }

  func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
    (height * factor, width * factor)
  }

  func inputRows(_ rows: Range<Int>) -> Range<Int> {
    guard !rows.isEmpty else { return rows.lowerBound..<rows.lowerBound }
    let first = ConvolutionLayer.floorDivide(rows.lowerBound, factor)
    return first..<(ConvolutionLayer.floorDivide(rows.upperBound - 1, factor) + 1)
  }

  var rowScale: (up: Int, down: Int) { (factor, 1) }

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    let x = try b.unaryInput(parameters: 0)
    let r = try b.attribute("factor", 1...8)
    guard x.channels % (r * r) == 0 else {
      throw b.fail("pixel_shuffle by \(r) needs a multiple of \(r * r) channels, not \(x.channels)")
    }
    return (
      PixelShuffleOperator(factor: r),
      b.value(channels: x.channels / (r * r), exponent: x.exponent, lo: x.lo, hi: x.hi)
    )
  }

  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let r = Int.random(in: 1...3, using: &rng)
    let c = Int.random(in: 1...3, using: &rng)
    let x = rng.activations(channels: c * r * r, height: 2, width: 3, lo: -32767, hi: 32767)
    let v = IntegerGraph.Value(name: "out", channels: c, exponent: 8, lo: -32767, hi: 32767)
    return .node(
      "pixel_shuffle C\(c * r * r) r\(r)", PixelShuffleOperator(factor: r), inputs: [x], output: v)
  }
}
