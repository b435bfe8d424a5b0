import WeightFormat

/// The transforms run in bands (issue #17, ``IntegerGraph/runInBands(height:width:bandBytes:maxWork:level:threads:path:input:output:)``):
/// g_s writes each band of rows straight into the decoded picture, g_a reads each band of the
/// padded picture as it needs it, and h_a and h_s assemble their outputs band by band. A
/// transform whose whole run fits ``ResourceBudget/bandBytes`` runs whole, as before; either
/// way the values are the whole run's, bit for bit.
extension HyperpriorCodec {
  /// The synthesis g_s on ŷ, cropped to `width` × `height` pixels.
  func synthesize(
    _ yHat: ChannelsLastActivations, width: Int, height: Int, threads: Int, path: KernelPath
  ) -> RGBImage {
    // Allocated with the first band, as the whole run's output is released only after it.
    var pixels: [UInt8] = []
    synthesis.runInBands(
      height: yHat.height, width: yHat.width, bandBytes: budget.bandBytes,
      maxWork: budget.maxBandWork, threads: threads,
      path: path
    ) { rows in
      [rows.count == yHat.height ? yHat : yHat.slice(rows: rows)]
    } output: { rows, outputs, offset in
      let t = outputs[0]
      if pixels.isEmpty { pixels = [UInt8](repeating: 0, count: width * height * 3) }
      pixels.withUnsafeMutableBufferPointer { dst in
        t.values.withUnsafeBufferPointer { src in
          for y in rows where y < height {
            let ty = y - rows.lowerBound + offset
            for x in 0..<width {
              let s = (ty * t.width + x) * t.channelStride
              let d = (y * width + x) * 3
              for c in 0..<3 { dst[d + c] = UInt8(clamping: src[s + c]) }
            }
          }
        }
      }
    }
    return RGBImage(unchecked: width, height: height, pixels: pixels)
  }

  /// The analysis g_a on the picture padded to `width` × `height` (spec/bitstream.md §6.1).
  func analyzeLatent(
    _ image: RGBImage, width: Int, height: Int, threads: Int, path: KernelPath
  ) -> ChannelsLastActivations {
    Self.runAssembling(
      analysis, height: height, width: width, bandBytes: budget.bandBytes,
      maxWork: budget.maxBandWork, threads: threads,
      path: path
    ) { rows in
      [Self.paddedTensor(image, width: width, rows: rows)]
    }[0]
  }

  /// Runs `graph` on whole `inputs` (one size), in bands when the budget asks for them, and
  /// returns its whole outputs.
  func runAssembling(
    _ graph: IntegerGraph, _ inputs: [ChannelsLastActivations], threads: Int, path: KernelPath
  ) -> [ChannelsLastActivations] {
    let (h, w) = (inputs[0].height, inputs[0].width)
    return Self.runAssembling(
      graph, height: h, width: w, bandBytes: budget.bandBytes, maxWork: budget.maxBandWork,
      threads: threads, path: path
    ) { rows in
      rows.count == h ? inputs : inputs.map { $0.slice(rows: rows) }
    }
  }

  static func runAssembling(
    _ graph: IntegerGraph, height: Int, width: Int, bandBytes: Int, maxWork: Int, threads: Int,
    path: KernelPath, input: (Range<Int>) -> [ChannelsLastActivations]
  ) -> [ChannelsLastActivations] {
    let sizes = graph.sizes(height: height, width: width)
    var whole: [ChannelsLastActivations] = []
    graph.runInBands(
      height: height, width: width, bandBytes: bandBytes, maxWork: maxWork, threads: threads,
      path: path,
      input: input
    ) { rows, outputs, offset in
      if whole.isEmpty {
        if offset == 0 && outputs.allSatisfy({ $0.height == rows.count }) && rows.lowerBound == 0
          && rows.upperBound == sizes[graph.outputIndices[0]].height
        {
          whole = outputs
          return
        }
        whole = zip(graph.outputIndices, outputs).map { i, t in
          ChannelsLastActivations(
            format: graph.values[i].with(lo: t.lo, hi: t.hi), height: sizes[i].height,
            width: sizes[i].width)
        }
      }
      for k in whole.indices {
        whole[k].copyRows(
          from: outputs[k], offset, to: rows.lowerBound, count: rows.count)
      }
    }
    return whole
  }

  /// The peak memory and multiply-accumulates of `graph` on `height` × `width`.
  ///
  /// The figures are for the graph as the codec runs it: whole when it fits
  /// ``ResourceBudget/bandBytes``, else in bands, the caller holding the whole inputs (all graphs
  /// but g_a, whose bands come from the picture) and the whole outputs (all graphs but g_s, which
  /// writes the picture). Nil when the graph cannot run on this size.
  func graphCost(_ graph: IntegerGraph, height: Int, width: Int) -> (
    peakBytes: Int, multiplyAccumulates: Int
  )? {
    let banded: Bool
    switch graph.name {
    case CodecModelSchema.Graph.synthesis, CodecModelSchema.Graph.analysis,
      CodecModelSchema.Graph.hyperAnalysis, CodecModelSchema.Graph.hyperSynthesis:
      banded = true
    default: banded = false
    }
    guard banded,
      let layout = graph.bandLayout(
        height: height, width: width, bandBytes: budget.bandBytes, maxWork: budget.maxBandWork)
    else { return graph.cost(height: height, width: width) }
    var held = 0
    if graph.name != CodecModelSchema.Graph.analysis {
      held = (0..<graph.inputCount).reduce(held) {
        Saturating.add($0, graph.activationBytes($1, height: height, width: width))
      }
    }
    if graph.name != CodecModelSchema.Graph.synthesis {
      let sizes = graph.sizes(height: height, width: width)
      held = graph.outputIndices.reduce(held) {
        Saturating.add(
          $0, graph.activationBytes($1, height: sizes[$1].height, width: sizes[$1].width))
      }
    }
    return (Saturating.add(held, layout.peakBytes), layout.multiplyAccumulates)
  }
}

extension IntegerGraph.Value {
  /// The same format with another clamp range.
  func with(lo: Int32, hi: Int32) -> IntegerGraph.Value {
    var v = self
    v.lo = lo
    v.hi = hi
    return v
  }
}
