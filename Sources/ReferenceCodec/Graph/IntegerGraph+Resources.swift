extension IntegerGraph {
  /// The most pixels any value may have: 2^34, 256 times the largest picture, so that no
  /// product of a size and a layer's weight count can overflow.
  static let maxIntermediatePixels = 1 << 34

  /// What one run costs on inputs of `height` × `width`: the peak bytes of live activations and
  /// the multiply-accumulates, both saturating at `Int.max`.
  ///
  /// The peak follows ``run(_:level:threads:path:)``: the inputs stay live (the caller holds
  /// them), each node's output is allocated while its inputs are live, and every intermediate
  /// value is released after its last use. An activation costs H · W · channelStride int16s; the
  /// operators allocate nothing else of that order (convolutions requantize in registers).
  ///
  /// - Returns: nil when an intermediate size is empty, beyond 2^30 on a side or beyond
  ///   ``maxIntermediatePixels`` (a graph that cannot run on this picture).
  /// - Complexity: O(nodes).
  func cost(height: Int, width: Int) -> (peakBytes: Int, multiplyAccumulates: Int)? {
    let sizes = self.sizes(height: height, width: width)
    guard
      sizes.allSatisfy({
        $0.height >= 1 && $0.width >= 1 && $0.height <= 1 << 30 && $0.width <= 1 << 30
          && $0.height * $0.width <= Self.maxIntermediatePixels
      })
    else { return nil }
    func bytes(_ i: Int) -> Int {
      Saturating.product(
        sizes[i].height, sizes[i].width, ChannelsLastLayout.channelStride(values[i].channels), 2)
    }
    var live = (0..<inputCount).reduce(0) { Saturating.add($0, bytes($1)) }
    var peak = live
    var macs = 0
    for step in steps {
      live = Saturating.add(live, bytes(step.output))
      peak = max(peak, live)
      macs = Saturating.add(
        macs,
        step.operation.multiplyAccumulates(
          input: sizes[step.inputs[0]], output: sizes[step.output]))
      for r in step.releases where r >= inputCount && live != .max { live -= bytes(r) }
    }
    return (peak, macs)
  }

  /// The bytes of value `index`'s activation at `height` × `width` (saturating).
  func activationBytes(_ index: Int, height: Int, width: Int) -> Int {
    Saturating.product(height, width, ChannelsLastLayout.channelStride(values[index].channels), 2)
  }
}
