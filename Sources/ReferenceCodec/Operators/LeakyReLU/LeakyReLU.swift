import WeightFormat

/// `leaky_relu` (spec/integer-ops.md §6): x for x ≥ 0, rshift(x · a, s) below.
///
/// ``reference(_:output:)`` is the plain definition of the spec; ``run(_:output:context:)`` and
/// ``runConsuming(_:output:context:)`` are the fast path (`LeakyReLU+Fast.swift`).
///
/// Bit-exact: the fast path returns the reference's values for every input within int16 whose
/// output fits int16 (every loaded graph's: its output range is checked), on every thread
/// count and kernel path, in place or not.
struct LeakyReLUOperator: IntegerOperator {
  let slope: Int32
  let shift: Int
  /// Elements from which a run splits its work over the context's threads (the random cases
  /// lower it to test the split on small tensors; results do not depend on it).
  var parallelGrain = 1 << 15

  static let definition = OperatorDefinition(
    names: [.leakyReLU], specSection: "spec/integer-ops.md §6",
    attributes: ["slope", "slope_shift"], parameters: [], reference: "LeakyReLUOperator.reference",
    fastPaths: ["LeakyReLUOperator.run: unsafe pointers, 32-bit lanes, threads, in place"],
    build: build, randomCase: randomCase)

  /// The plain definition of spec/integer-ops.md §6, element by element in 64-bit arithmetic.
  func reference(
    _ inputs: [ChannelsLastActivations], output: IntegerGraph.Value
  ) -> ChannelsLastActivations {
    let (a, s) = (Int64(slope), shift)
    return inputs[0].map(format: output) { _, q in
      q >= 0 ? q : Int16(IntegerMath.rshift(Int64(q) * a, s))
    }
  }

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    let x = try b.unaryInput(parameters: 0)
    let a = try b.attribute("slope", 0...32767)
    let sa = try b.attribute("slope_shift", 0...30)
    let lo = x.lo < 0 ? IntegerMath.rshift(Int64(x.lo) * Int64(a), sa) : Int64(x.lo)
    return (
      LeakyReLUOperator(slope: Int32(a), shift: sa),
      b.value(channels: x.channels, exponent: x.exponent, lo: Int32(lo), hi: x.hi)
    )
  }

  /// A random case: the fast path (split over threads from one element on, in place on odd
  /// thread counts) against ``reference(_:output:)``.
  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let c = Int.random(in: 1...9, using: &rng)
    let (h, w) = (Int.random(in: 1...5, using: &rng), Int.random(in: 1...7, using: &rng))
    let shift = Int.random(in: 0...30, using: &rng)
    let slope = Int32.random(in: 0...Int32(min(32767, 1 << shift)), using: &rng)
    let x = rng.activations(channels: c, height: h, width: w, lo: -32767, hi: 32767)
    let v = IntegerGraph.Value(name: "out", channels: c, exponent: 8, lo: -32767, hi: 32767)
    let op = LeakyReLUOperator(slope: slope, shift: shift, parallelGrain: 1)
    return OperatorCase(
      "leaky_relu C\(c) \(h)×\(w) a\(slope) s\(shift)",
      reference: { op.reference([x], output: v).values },
      run: { path, threads in
        let context = OperatorContext(threads: threads, path: path)
        guard threads % 2 == 1 else { return op.run([x], output: v, context: context).values }
        // A private copy of x's storage, so that the consuming run really writes over it.
        return op.runConsuming([x.ownCopy()], output: v, context: context).values
      })
  }
}

extension ChannelsLastActivations {
  /// The same tensor over storage of its own (not shared with `self`): what a random case hands
  /// a consuming run, so that it writes over memory nothing else reads.
  func ownCopy() -> ChannelsLastActivations {
    var copy = self
    copy.values = values.map { $0 }
    return copy
  }
}
