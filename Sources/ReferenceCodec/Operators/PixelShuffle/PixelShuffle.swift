import WeightFormat

/// `pixel_shuffle` (spec/integer-ops.md §6): out[c, y·r + i, x·r + j] = x[c·r² + i·r + j, y, x].
///
/// ``reference(_:output:)`` is the plain definition of the spec; ``run(_:output:context:)`` is
/// the fast path (`PixelShuffle+Fast.swift`).
///
/// Bit-exact: the fast path returns the reference's values on every thread count and kernel
/// path.
struct PixelShuffleOperator: IntegerOperator {
  let factor: Int
  /// Output values from which a run splits its rows over the context's threads (the random
  /// cases lower it to test the split on small tensors; results do not depend on it).
  var parallelGrain = 1 << 15

  static let definition = OperatorDefinition(
    names: [.pixelShuffle], specSection: "spec/integer-ops.md §6", attributes: ["factor"],
    parameters: [], reference: "PixelShuffleOperator.reference",
    fastPaths: ["PixelShuffleOperator.run: unsafe pointers, bands of rows over threads"],
    build: build, randomCase: randomCase)

  /// The plain definition of spec/integer-ops.md §6, value by value.
  func reference(
    _ inputs: [ChannelsLastActivations], output v: IntegerGraph.Value
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

  /// A random case: the fast path (split over threads from one value on) against
  /// ``reference(_:output:)``.
  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let r = Int.random(in: 1...3, using: &rng)
    let c = Int.random(in: 1...3, using: &rng)
    let (h, w) = (Int.random(in: 1...4, using: &rng), Int.random(in: 1...5, using: &rng))
    let x = rng.activations(channels: c * r * r, height: h, width: w, lo: -32767, hi: 32767)
    let v = IntegerGraph.Value(name: "out", channels: c, exponent: 8, lo: -32767, hi: 32767)
    let op = PixelShuffleOperator(factor: r, parallelGrain: 1)
    return OperatorCase(
      "pixel_shuffle C\(c * r * r) \(h)×\(w) r\(r)",
      reference: { op.reference([x], output: v).values },
      run: { path, threads in
        op.run([x], output: v, context: OperatorContext(threads: threads, path: path)).values
      })
  }
}
