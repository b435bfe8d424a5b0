/// One prepared node of an ``IntegerGraph``: an operator of spec/integer-ops.md §4–§6 with its
/// parameters loaded, checked and (for the fast kernels) packed.
///
/// Every operator lives in its own folder under `Operators/` with its reference semantics, its
/// fast paths and its row of ``OperatorTable`` (ARCHITECTURE.md, "Operators").
///
/// Bit-exact: `run` returns the same values for every thread count and kernel path.
protocol IntegerOperator: Sendable {
  /// Runs the operator on channels-last inputs.
  ///
  /// - Parameters:
  ///   - inputs: the node's inputs, in order, within their values' clamp ranges.
  ///   - output: the output value's static description (channels, exponent, clamp range).
  ///   - context: conditioning level, threads and kernel path.
  /// - Returns: the output, in the format of `output`.
  func run(
    _ inputs: [ChannelsLastActivations], output: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations

  /// Runs the operator when the runner holds the only reference to the first input and will
  /// not read it again: an operator may then write its output over that input's storage.
  /// The result must equal ``run(_:output:context:)``'s; the default calls it.
  func runConsuming(
    _ inputs: consuming [ChannelsLastActivations], output: IntegerGraph.Value,
    context: OperatorContext
  ) -> ChannelsLastActivations

  /// The output's spatial size for a first input of `height` × `width`.
  func outputSize(height: Int, width: Int) -> (height: Int, width: Int)

  /// Multiply-accumulate operations for a first input of `input` and an output of `output`
  /// (for reports; 0 for operators without products worth counting).
  func multiplyAccumulates(input: (height: Int, width: Int), output: (height: Int, width: Int))
    -> Int

  /// The number of conditioning levels the operator takes, nil when it takes none.
  var levels: Int? { get }

  /// The rows of every input that output rows `rows` read: where the output's rows depend on
  /// (rows outside the input are the operator's zero padding). Every operator of §4–§6 is
  /// position-local, which is what lets ``IntegerGraph`` run a graph in bands.
  func inputRows(_ rows: Range<Int>) -> Range<Int>

  /// How the output's rows lie over the input's: output row `r · up / down` starts at input row
  /// `r` when `down` divides `r` (a convolution's stride is `down`, a transposed convolution's
  /// or a pixel shuffle's factor is `up`).
  var rowScale: (up: Int, down: Int) { get }
}

extension IntegerOperator {
  func runConsuming(
    _ inputs: consuming [ChannelsLastActivations], output: IntegerGraph.Value,
    context: OperatorContext
  ) -> ChannelsLastActivations {
    run(inputs, output: output, context: context)
  }

  func outputSize(height: Int, width: Int) -> (height: Int, width: Int) { (height, width) }

  func multiplyAccumulates(input: (height: Int, width: Int), output: (height: Int, width: Int))
    -> Int
  { 0 }

  var levels: Int? { nil }

  /// Pointwise operators read the rows they write.
  func inputRows(_ rows: Range<Int>) -> Range<Int> { rows }

  var rowScale: (up: Int, down: Int) { (1, 1) }
}

/// What a run passes to every operator.
struct OperatorContext: Sendable {
  /// The conditioning level (operators with ``IntegerOperator/levels`` only).
  var level: Int = 0
  /// Worker threads (results do not depend on it).
  var threads: Int = 1
  /// The kernel implementation (results do not depend on it).
  var path: KernelPath = .automatic
}

extension ChannelsLastActivations {
  /// A zero-filled tensor in the format of `v` (the padding channel stays 0).
  init(format v: IntegerGraph.Value, height: Int, width: Int) {
    self.init(
      channels: v.channels, height: height, width: width,
      values: [Int16](
        repeating: 0, count: height * width * ChannelsLastLayout.channelStride(v.channels)),
      exponent: v.exponent, lo: v.lo, hi: v.hi)
  }

  /// The same values labelled with the exponent and clamp range of `v`.
  func reformatted(_ v: IntegerGraph.Value) -> ChannelsLastActivations {
    var out = self
    out.exponent = v.exponent
    out.lo = v.lo
    out.hi = v.hi
    return out
  }

  /// An elementwise function of the tensor, in the format of `v`; the padding channel stays 0.
  func map(format v: IntegerGraph.Value, _ f: (Int, Int16) -> Int16) -> ChannelsLastActivations {
    var out = reformatted(v)
    let c = channels
    let stride = channelStride
    out.values.withUnsafeMutableBufferPointer { o in
      for p in 0..<(height * width) {
        for ch in 0..<c { o[p * stride + ch] = f(ch, o[p * stride + ch]) }
      }
    }
    return out
  }
}
