extension IntegerGraph {
  /// Runs the graph on its inputs, returning its outputs in the graph's output order.
  ///
  /// Intermediate values are released after their last use, so memory stays near the two
  /// largest live tensors.
  ///
  /// - Parameters:
  ///   - inputs: one tensor per graph input, in order, with the input's channel count and every
  ///     value within its clamp range.
  ///   - level: the conditioning level (graphs with ``levels`` > 0).
  ///   - threads: worker threads for the convolution and GDN kernels (results do not depend on it).
  ///   - path: the kernel implementation.
  /// - Returns: one tensor per graph output, in order.
  /// - Precondition: the inputs match the graph's input descriptions.
  public func run(
    _ inputs: [ChannelsLastActivations], level: Int = 0, threads: Int = 1,
    path: KernelPath = .automatic
  ) -> [ChannelsLastActivations] {
    precondition(inputs.count == inputCount, "one tensor per graph input")
    precondition(levels == 0 || (0..<levels).contains(level), "conditioning level in range")
    var live = [ChannelsLastActivations?](repeating: nil, count: values.count)
    for (i, x) in inputs.enumerated() {
      precondition(x.channels == values[i].channels, "input \(values[i].name) channels")
      precondition(x.lo >= values[i].lo && x.hi <= values[i].hi, "input within its clamp range")
      var t = x
      t.exponent = values[i].exponent
      live[i] = t
    }
    for step in steps {
      let args = step.inputs.map { i in
        guard let value = live[i] else { preconditionFailure("inputs are live until last use") }
        return value
      }
      let v = values[step.output]
      let context = OperatorContext(level: level, threads: threads, path: path)
      // A step that is the last reader of a tensor a step made (not a graph input, which the
      // caller still holds) gets it without another reference: it may write over it.
      if let first = step.inputs.first, first >= inputCount, step.releases.contains(first),
        step.inputs.dropFirst().allSatisfy({ $0 != first })
      {
        live[first] = nil
        live[step.output] = step.operation.runConsuming(consume args, output: v, context: context)
      } else {
        live[step.output] = step.operation.run(args, output: v, context: context)
      }
      for r in step.releases { live[r] = nil }
    }
    return outputIndices.map { i in
      guard let value = live[i] else { preconditionFailure("outputs are never released") }
      return value
    }
  }
}
