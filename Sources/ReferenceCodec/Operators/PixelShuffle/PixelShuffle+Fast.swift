import WeightFormat

/// The fast path of `pixel_shuffle`: output rows written through unsafe pointers, bands of rows
/// over the context's threads, into an output that is never zero-filled first.
///
/// Bit-exact: a permutation of values, out[c, y·r + i, x·r + j] = x[c·r² + i·r + j, y, x], as
/// ``PixelShuffleOperator/reference(_:output:)``; every output value (the padding channel's 0
/// of an odd channel count included) is written exactly once, by the worker of its row. Not
/// in place: output pixels read input pixels of other rows.
extension PixelShuffleOperator {
  func run(
    _ inputs: [ChannelsLastActivations], output v: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    let x = inputs[0]
    let r = factor
    let (h, w, c) = (x.height * r, x.width * r, v.channels)
    precondition(x.channels == c * r * r, "pixel_shuffle input channels")
    let (inStride, outStride) = (x.channelStride, ChannelsLastLayout.channelStride(c))
    let count = h * w * outStride
    let threads = count >= parallelGrain ? max(context.threads, 1) : 1
    let values = [Int16](unsafeUninitializedCapacity: count) { out, initialized in
      if count > 0 {
        x.values.withUnsafeBufferPointer { input in
          let (source, target) = (SharedReads(buffer: input), DisjointWrites(buffer: out))
          let inWidth = x.width
          DisjointWork.forEachBand(h, threads: threads) { rows in
            for row in rows {
              let (y, i) = row.quotientAndRemainder(dividingBy: r)
              for column in 0..<w {
                let (xx, j) = column.quotientAndRemainder(dividingBy: r)
                let from = source.base + (y * inWidth + xx) * inStride + i * r + j
                let to = target.base + (row * w + column) * outStride
                for ch in 0..<c { to[ch] = from[ch * r * r] }
                if outStride != c { to[c] = 0 }
              }
            }
          }
        }
      }
      initialized = count
    }
    return ChannelsLastActivations(
      channels: c, height: h, width: w, values: values, exponent: v.exponent, lo: v.lo,
      hi: v.hi)
  }
}
