import WeightFormat

/// Running a graph in horizontal bands (issue #17): peak memory grows with the picture's width,
/// not its area, and the values are the whole run's, bit for bit.
///
/// Every operator is position-local (``IntegerOperator/inputRows(_:)``): an output row depends
/// on a bounded run of input rows, and rows outside a value are its zero padding. A band of
/// output rows is computed by running the whole graph on a *slab* of input rows: the band's
/// dependencies traced back through every node, widened to the graph's row alignment (so that
/// every strided node's slab starts on its stride). The plan then checks, node by node, that
/// each value's needed rows lie inside the rows the slab run computes; the run on the slab
/// computes a needed row from the same input rows, with the same zero padding beyond the
/// picture, as the whole run, so it is the same integer. A plan that fails a check (no shipped
/// graph does) is not used: the graph runs whole.
extension IntegerGraph {
  /// The input rows a band of output rows needs and where the band lies in the slab's output.
  struct BandPlan: Equatable {
    /// The band: rows of every graph output.
    var outputRows: Range<Int>
    /// The slab: rows of every graph input.
    var inputRows: Range<Int>
    /// The band's first row in the slab run's outputs.
    var outputOffset: Int
  }

  /// The row scale of every value and the alignment a slab's first input row needs.
  ///
  /// Each scale is relative to the graph's inputs, as a reduced fraction. The alignment makes
  /// every value's start a whole row and every strided node's input start a multiple of its
  /// stride. Nil when the graph mixes scales at one node (no such graph is banded).
  func rowGeometry() -> (scales: [(num: Int, den: Int)], alignment: Int)? {
    func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
    var scales = [(num: Int, den: Int)](repeating: (1, 1), count: values.count)
    var alignment = 1
    func align(_ d: Int) -> Bool {
      let l = alignment / gcd(alignment, d) * d
      guard l <= 1 << 20 else { return false }
      alignment = l
      return true
    }
    for step in steps {
      let s = scales[step.inputs[0]]
      guard step.inputs.allSatisfy({ scales[$0] == s }) else { return nil }
      let (up, down) = step.operation.rowScale
      guard up >= 1, down >= 1, up <= 64, down <= 64 else { return nil }
      // The input's start (S·num/den) must be a multiple of `down`: den·down / gcd | S.
      guard align(s.den * down / gcd(s.num, s.den * down)) else { return nil }
      let num = s.num * up
      let den = s.den * down
      let g = gcd(num, den)
      guard num / g <= 1 << 20, den / g <= 1 << 20 else { return nil }
      scales[step.output] = (num / g, den / g)
    }
    return (scales, alignment)
  }

  /// The slab that computes output rows `rows` exactly, for inputs of `height` rows (each value's
  /// height from ``sizes(height:width:)``); nil when the plan's checks fail.
  func bandPlan(
    _ rows: Range<Int>, inputHeight height: Int,
    geometry: (scales: [(num: Int, den: Int)], alignment: Int), heights: [Int]
  ) -> BandPlan? {
    guard !rows.isEmpty, let first = outputIndices.first,
      outputIndices.allSatisfy({ heights[$0] == heights[first] }),
      rows.lowerBound >= 0, rows.upperBound <= heights[first]
    else { return nil }
    // Backwards: the rows of every value that the band needs.
    var needed = [Range<Int>?](repeating: nil, count: values.count)
    for o in outputIndices { needed[o] = rows }
    for step in steps.reversed() {
      guard let out = needed[step.output] else { continue }
      let reads = step.operation.inputRows(out)
      for i in step.inputs {
        let clipped = max(reads.lowerBound, 0)..<max(min(reads.upperBound, heights[i]), 0)
        guard !clipped.isEmpty else { continue }
        needed[i] =
          needed[i].map {
            min($0.lowerBound, clipped.lowerBound)..<max($0.upperBound, clipped.upperBound)
          } ?? clipped
      }
    }
    var lower = height
    var upper = 0
    for i in 0..<inputCount {
      if let n = needed[i] {
        lower = min(lower, n.lowerBound)
        upper = max(upper, n.upperBound)
      }
    }
    guard lower < upper else { return nil }
    let a = geometry.alignment
    let start = lower / a * a
    let end = min(height, (upper + a - 1) / a * a)
    // Forwards: the rows the slab run computes must hold every needed row.
    var slab = [Range<Int>](repeating: 0..<0, count: values.count)
    for i in 0..<inputCount { slab[i] = start..<end }
    for step in steps {
      let input = slab[step.inputs[0]]
      guard step.inputs.allSatisfy({ slab[$0] == input }) else { return nil }
      let s = geometry.scales[step.output]
      let (top, r) = (start * s.num).quotientAndRemainder(dividingBy: s.den)
      guard r == 0 else { return nil }
      let count = step.operation.outputSize(height: input.count, width: 1).height
      guard count >= 0, top + count <= heights[step.output] else { return nil }
      slab[step.output] = top..<(top + count)
    }
    for (i, n) in needed.enumerated() {
      guard let n else { continue }
      guard slab[i].lowerBound <= n.lowerBound, n.upperBound <= slab[i].upperBound else {
        return nil
      }
    }
    return BandPlan(
      outputRows: rows, inputRows: start..<end,
      outputOffset: rows.lowerBound - slab[first].lowerBound)
  }

  /// The bands a run on inputs of `height` × `width` uses when each band may hold at most
  /// `bandBytes` of live activations: nil for one whole run (the graph fits, it cannot be
  /// banded, or its bands would do more than `maxWork` times the whole run's multiply-adds:
  /// halos computed twice, which for a crafted model's wide rows could multiply the work
  /// without bound), else the band height in output rows with the largest slab's cost.
  func bandLayout(height: Int, width: Int, bandBytes: Int, maxWork: Int = 2) -> BandLayout? {
    guard let whole = cost(height: height, width: width), whole.peakBytes > bandBytes,
      let geometry = rowGeometry(), let first = outputIndices.first
    else { return nil }
    let heights = sizes(height: height, width: width).map(\.height)
    let outputHeight = heights[first]
    var costs: [Int: (peakBytes: Int, multiplyAccumulates: Int)] = [:]
    func layout(_ band: Int) -> BandLayout? {
      var peak = 0
      var macs = 0
      var start = 0
      var plans: [BandPlan] = []
      while start < outputHeight {
        let rows = start..<min(outputHeight, start + band)
        guard let plan = bandPlan(rows, inputHeight: height, geometry: geometry, heights: heights)
        else { return nil }
        let n = plan.inputRows.count
        if costs[n] == nil { costs[n] = cost(height: n, width: width) }
        guard let c = costs[n] else { return nil }
        peak = max(peak, c.peakBytes)
        macs = Saturating.add(macs, c.multiplyAccumulates)
        plans.append(plan)
        start = rows.upperBound
      }
      return BandLayout(rows: band, plans: plans, peakBytes: peak, multiplyAccumulates: macs)
    }
    // The tallest band whose slab fits (a slab's peak grows with its band's height): binary
    // search; bands of one row when even those do not fit (the budget then decides).
    var fits = 0
    var over = outputHeight
    while over - fits > 1 {
      let mid = (fits + over) / 2
      guard let l = layout(mid) else { return nil }
      if l.peakBytes <= bandBytes { fits = mid } else { over = mid }
    }
    guard let l = layout(max(fits, 1)),
      l.multiplyAccumulates / max(maxWork, 1) <= whole.multiplyAccumulates
    else { return nil }
    return l.peakBytes < whole.peakBytes ? l : nil
  }

  /// How a banded run goes: the band height in output rows, every band's plan, and the largest
  /// slab's peak with the multiply-accumulates of all slabs (halos computed twice included).
  struct BandLayout {
    var rows: Int
    var plans: [BandPlan]
    var peakBytes: Int
    var multiplyAccumulates: Int
  }

  /// What a run with bands of at most `bandBytes` costs.
  ///
  /// The figures are the whole run's when it runs whole. Nil as ``cost(height:width:)``.
  func bandedCost(height: Int, width: Int, bandBytes: Int, maxWork: Int = 2) -> (
    peakBytes: Int, multiplyAccumulates: Int
  )? {
    if let l = bandLayout(height: height, width: width, bandBytes: bandBytes, maxWork: maxWork) {
      return (l.peakBytes, l.multiplyAccumulates)
    }
    return cost(height: height, width: width)
  }

  /// Runs the graph on inputs of `height` × `width`, in bands of at most `bandBytes` of live
  /// activations when the whole run would take more; the outputs' values are the whole run's.
  ///
  /// - Parameters:
  ///   - height: the height of the graph's inputs, in rows.
  ///   - width: the width of the graph's inputs, in columns.
  ///   - bandBytes: the most live activations a band may hold, in bytes; a run whose whole cost
  ///     fits runs whole (``bandLayout(height:width:bandBytes:maxWork:)``).
  ///   - maxWork: the graph runs whole instead when its bands would do more than this many times
  ///     the whole run's multiply-adds.
  ///   - level: the conditioning level, passed to each run (graphs with ``levels`` > 0).
  ///   - threads: worker threads for each run's kernels (results do not depend on it).
  ///   - path: the kernel implementation of each run.
  ///   - input: the graph's inputs' rows `rows` (every input, in order, full width).
  ///   - output: receives each band: its output rows, the slab run's outputs, and the row of
  ///     those outputs where the band starts. Bands arrive in order and cover every row once.
  func runInBands(
    height: Int, width: Int, bandBytes: Int, maxWork: Int = 2, level: Int = 0, threads: Int = 1,
    path: KernelPath = .automatic,
    input: (_ rows: Range<Int>) -> [ChannelsLastActivations],
    output: (_ rows: Range<Int>, _ outputs: [ChannelsLastActivations], _ offset: Int) -> Void
  ) {
    guard
      let layout = bandLayout(
        height: height, width: width, bandBytes: bandBytes, maxWork: maxWork)
    else {
      let outs = run(input(0..<height), level: level, threads: threads, path: path)
      output(0..<(outs.first?.height ?? 0), outs, 0)
      return
    }
    for plan in layout.plans {
      let outs = run(input(plan.inputRows), level: level, threads: threads, path: path)
      output(plan.outputRows, outs, plan.outputOffset)
    }
  }
}

extension Activations where Layout == ChannelsLastLayout {
  /// Rows `rows` of the tensor (a copy).
  func slice(rows: Range<Int>) -> ChannelsLastActivations {
    let rowValues = width * channelStride
    return ChannelsLastActivations(
      channels: channels, height: rows.count, width: width,
      values: Array(values[(rows.lowerBound * rowValues)..<(rows.upperBound * rowValues)]),
      exponent: exponent, lo: lo, hi: hi)
  }

  /// Copies `count` rows of `source` from row `from` into this tensor's row `to`.
  mutating func copyRows(from source: ChannelsLastActivations, _ from: Int, to: Int, count: Int) {
    precondition(source.width == width && source.channelStride == channelStride, "same layout")
    let rowValues = width * channelStride
    values.replaceSubrange(
      (to * rowValues)..<((to + count) * rowValues),
      with: source.values[(from * rowValues)..<((from + count) * rowValues)])
  }
}
