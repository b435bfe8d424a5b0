import WeightFormat

/// The autoregressive context model of profile `mbt2018` (spec/bitstream.md §11), evaluated one
/// latent position at a time.
///
/// It holds the integers of two stored graphs: `context_prediction` (one 5×5 `conv2d`, stride 1,
/// padding 2, ŷ → ctx, whose 13 non-causal taps are zero) and `entropy_parameters` (a network of
/// 1×1 `conv2d`, `leaky_relu` and `concat` nodes, (params, ctx) → (scales, means)). At a
/// position p only the 12 causal taps of the context convolution are read, so ctx at p depends
/// on ŷ at the positions before p in raster order alone; the decoder computes p's scales and
/// means before it decodes p's symbols.
///
/// Bit-exact: ``parameters(at:yHat:params:into:)`` equals running both stored graphs on the
/// final ŷ (spec/integer-ops.md §4, §6: the same int16 weights, exact accumulation within the
/// proved accumulator bound, the same requantization), at every position.
struct ContextModel: Sendable {
  /// One position-local operation of `entropy_parameters`, reading and writing value slots.
  enum Operation: Sendable {
    /// A 1×1 convolution: weights (C_out, C_in), int32 biases, per-channel requantization.
    case convolution(weights: [Int16], biases: [Int32], requantization: Requantization)
    case leakyReLU(slope: Int64, shift: Int)
    /// Channel concatenation, input k requantized with (multipliers[k], shifts[k]).
    case concat(multipliers: [Int32], shifts: [Int], lo: Int32, hi: Int32)
  }

  struct Step: Sendable {
    var operation: Operation
    var inputs: [Int]
    var output: Int
  }

  /// The latent's channel count M.
  let channels: Int
  /// The context convolution's output channels (ctx's channel count).
  let contextChannels: Int
  /// The causal taps (row offset, column offset) in kernel order: rows −2 and −1 at columns
  /// −2 … 2, then row 0 at columns −2 and −1.
  static let causalTaps: [(dy: Int, dx: Int)] =
    (0..<2).flatMap { u in (0..<5).map { v in (u - 2, v - 2) } } + [(0, -2), (0, -1)]
  /// Context weights packed (tap, C_out, C_in) over ``causalTaps``.
  let contextWeights: [Int16]
  let contextBiases: [Int32]
  let contextRequantization: Requantization
  /// The channel count of every value of `entropy_parameters` (inputs params and ctx first).
  let slotChannels: [Int]
  let steps: [Step]
  /// The slots of the scales and means outputs.
  let scalesSlot: Int
  let meansSlot: Int

  /// Reads the context model from the two loaded graphs.
  ///
  /// - Throws: ``ModelError`` if `context_prediction` is not one 5×5 stride-1 padding-2
  ///   convolution with zero weights at every non-causal tap (it would not be causal), or
  ///   `entropy_parameters` has a node that is not position-local (1×1 `conv2d`, `leaky_relu`,
  ///   `concat`) or not two inputs (params, ctx) and two outputs (scales, means).
  init(contextPrediction cp: IntegerGraph, entropyParameters ep: IntegerGraph) throws(ModelError) {
    let cpName = cp.name
    guard cp.inputCount == 1, cp.outputs.count == 1, cp.steps.count == 1,
      let conv = cp.steps[0].operation as? PackedConvolution, case .convolution = conv.layer.kind,
      conv.layer.kernel == 5, conv.layer.stride == 1, conv.layer.padding == 2
    else {
      throw .missing(
        what: "a causal context model",
        reason: "graph \(cpName) must be one conv2d node, kernel 5, stride 1, padding 2")
    }
    let layer = conv.layer
    let (m, c2) = (layer.inputChannels, layer.outputChannels)
    for o in 0..<c2 {
      for i in 0..<m {
        for u in 2..<5 {
          for v in (u == 2 ? 2 : 0)..<5 where layer.weight(o: o, i: i, u: u, v: v) != 0 {
            throw .invalidNode(
              graph: cpName, node: 0, output: cp.values[cp.outputIndices[0]].name,
              reason:
                "weight (\(o), \(i), \(u), \(v)) at a non-causal tap is not zero: the context "
                + "model would read latents not yet decoded (spec/bitstream.md §11.1)")
          }
        }
      }
    }
    channels = m
    contextChannels = c2
    var packed = [Int16](repeating: 0, count: Self.causalTaps.count * c2 * m)
    for (t, tap) in Self.causalTaps.enumerated() {
      for o in 0..<c2 {
        for i in 0..<m {
          packed[(t * c2 + o) * m + i] = Int16(
            layer.weight(o: o, i: i, u: tap.dy + 2, v: tap.dx + 2))
        }
      }
    }
    contextWeights = packed
    contextBiases = layer.biases
    contextRequantization = layer.requantization

    let epName = ep.name
    func fail(_ reason: String) -> ModelError {
      .missing(what: "a position-local graph \(epName)", reason: reason)
    }
    guard ep.inputCount == 2, ep.outputs.count == 2 else {
      throw fail("it must take (params, ctx) and give (scales, means)")
    }
    var steps: [Step] = []
    for step in ep.steps {
      let operation: Operation
      switch step.operation {
      case let c as PackedConvolution:
        let l = c.layer
        guard case .convolution = l.kind, l.kernel == 1, l.stride == 1, l.padding == 0 else {
          throw fail("node \(ep.values[step.output].name) is a convolution but not 1×1")
        }
        operation = .convolution(
          weights: l.weights, biases: l.biases, requantization: l.requantization)
      case let r as LeakyReLUOperator:
        operation = .leakyReLU(slope: Int64(r.slope), shift: r.shift)
      case let c as ConcatOperator:
        let v = ep.values[step.output]
        operation = .concat(multipliers: c.multipliers, shifts: c.shifts, lo: v.lo, hi: v.hi)
      default:
        throw fail(
          "node \(ep.values[step.output].name) is not conv2d 1×1, leaky_relu or concat")
      }
      steps.append(Step(operation: operation, inputs: step.inputs, output: step.output))
    }
    slotChannels = ep.values.map(\.channels)
    self.steps = steps
    scalesSlot = ep.outputIndices[0]
    meansSlot = ep.outputIndices[1]
  }

  /// Scratch storage for one picture's per-position evaluation.
  struct Scratch {
    var slots: [[Int16]]
    var accumulators: [Int32]
  }

  func makeScratch() -> Scratch {
    Scratch(
      slots: slotChannels.map { [Int16](repeating: 0, count: $0) },
      accumulators: [Int32](repeating: 0, count: max(contextChannels, slotChannels.max() ?? 0)))
  }

  /// Computes the scales and means at latent position (`y`, `x`) into the scratch's
  /// ``scalesSlot`` and ``meansSlot``, from ŷ (only its positions before (y, x) in raster order
  /// are read) and h_s's params.
  ///
  /// Bit-exact: equals position (y, x) of `entropy_parameters(params, context_prediction(ŷ))`.
  func parameters(
    y: Int, x: Int, yHat: ChannelsLastActivations, params: ChannelsLastActivations,
    into scratch: inout Scratch
  ) {
    let (m, c2) = (channels, contextChannels)
    let (h, w) = (yHat.height, yHat.width)
    // Context: bias plus the causal taps inside the picture (taps outside are padding, zero).
    for o in 0..<c2 { scratch.accumulators[o] = contextBiases[o] }
    let ys = yHat.channelStride
    contextWeights.withUnsafeBufferPointer { wt in
      yHat.values.withUnsafeBufferPointer { yv in
        scratch.accumulators.withUnsafeMutableBufferPointer { acc in
          for (t, tap) in Self.causalTaps.enumerated() {
            let (iy, ix) = (y + tap.dy, x + tap.dx)
            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
            let input = UnsafeBufferPointer(rebasing: yv[((iy * w + ix) * ys)...])
            for o in 0..<c2 {
              let row = UnsafeBufferPointer(rebasing: wt[((t * c2 + o) * m)...])
              acc[o] &+= Self.dot(row, input, count: m)
            }
          }
        }
      }
    }
    let q = contextRequantization
    let ctxSlot = 1
    for o in 0..<c2 {
      let a = Int64(scratch.accumulators[o])
      scratch.slots[ctxSlot][o] = Int16(
        IntegerMath.requant(a, q.multipliers[o], q.shifts[o], q.lo, q.hi))
    }
    let pBase = (y * params.width + x) * params.channelStride
    for c in 0..<params.channels { scratch.slots[0][c] = params.values[pBase + c] }
    for step in steps { run(step, &scratch) }
  }

  /// Σ w[i]·x[i] over i < `count`, wrapping in 32 bits: exact wherever the accumulator bound
  /// (spec/integer-ops.md §3) holds, as the sums the codec forms are parts of bounded ones and
  /// wrapping addition is associative.
  ///
  /// Implementation note: plain wrapping arithmetic over unchecked indices, so that the loop
  /// vectorizes (`pmaddwd`); trapping index arithmetic kept it scalar.
  @inline(__always)
  static func dot(_ w: UnsafeBufferPointer<Int16>, _ x: UnsafeBufferPointer<Int16>, count: Int)
    -> Int32
  {
    precondition(w.count >= count && x.count >= count, "dot product within both buffers")
    guard let wp = w.baseAddress, let xp = x.baseAddress else { return 0 }
    var a: Int32 = 0
    for i in 0..<count { a &+= Int32(wp[i]) &* Int32(xp[i]) }
    return a
  }

  /// Runs one entropy-parameter step at the current position.
  private func run(_ step: Step, _ scratch: inout Scratch) {
    // Taken out of its slot so that writing it does not copy it (inputs are other slots).
    var out: [Int16] = []
    swap(&out, &scratch.slots[step.output])
    switch step.operation {
    case .convolution(let weights, let biases, let q):
      let input = scratch.slots[step.inputs[0]]
      let cin = input.count
      weights.withUnsafeBufferPointer { wt in
        input.withUnsafeBufferPointer { xv in
          for o in 0..<out.count {
            let row = UnsafeBufferPointer(rebasing: wt[(o * cin)...])
            let a = biases[o] &+ Self.dot(row, xv, count: cin)
            out[o] = Int16(
              IntegerMath.requant(Int64(a), q.multipliers[o], q.shifts[o], q.lo, q.hi))
          }
        }
      }
    case .leakyReLU(let a, let s):
      let input = scratch.slots[step.inputs[0]]
      for c in 0..<out.count {
        let v = input[c]
        out[c] = v >= 0 ? v : Int16(IntegerMath.rshift(Int64(v) * a, s))
      }
    case .concat(let multipliers, let shifts, let lo, let hi):
      var base = 0
      for (k, slot) in step.inputs.enumerated() {
        for v in scratch.slots[slot] {
          out[base] = Int16(IntegerMath.requant(Int64(v), multipliers[k], shifts[k], lo, hi))
          base += 1
        }
      }
    }
    scratch.slots[step.output] = out
  }
}
