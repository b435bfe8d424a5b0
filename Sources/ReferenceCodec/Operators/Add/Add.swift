import WeightFormat

/// `add` (spec/integer-ops.md §6): clamp(rshift(x1·m1, s1) + rshift(x2·m2, s2), lo, hi).
///
/// ``reference(_:output:)`` is the plain definition of the spec; ``run(_:output:context:)`` and
/// ``runConsuming(_:output:context:)`` are the fast path (`Add+Fast.swift`).
///
/// Bit-exact: the fast path returns the reference's values for every input within int16, on
/// every thread count and kernel path, in place or not.
struct AddOperator: IntegerOperator {
  let multipliers: [Int32]
  let shifts: [Int]
  /// Elements from which a run splits its work over the context's threads (the random cases
  /// lower it to test the split on small tensors; results do not depend on it).
  var parallelGrain = 1 << 15

  static let definition = OperatorDefinition(
    names: [.add], specSection: "spec/integer-ops.md §6",
    attributes: ["multiplier_0", "shift_0", "multiplier_1", "shift_1", "exponent", "lo", "hi"],
    parameters: [], reference: "AddOperator.reference",
    fastPaths: ["AddOperator.run: unsafe pointers, 32-bit split product, threads, in place"],
    build: build, randomCase: randomCase)

  /// The plain definition of spec/integer-ops.md §6, element by element in 64-bit arithmetic.
  func reference(
    _ inputs: [ChannelsLastActivations], output v: IntegerGraph.Value
  ) -> ChannelsLastActivations {
    let (a, b) = (inputs[0], inputs[1])
    precondition(a.height == b.height && a.width == b.width, "add needs equal sizes")
    let (m, s) = (multipliers, shifts)
    let (lo, hi) = (Int64(v.lo), Int64(v.hi))
    let stride = a.channelStride
    var out = a.reformatted(v)
    for p in 0..<(a.height * a.width) {
      for ch in 0..<a.channels {
        let i = p * stride + ch
        let sum =
          IntegerMath.rshift(Int64(a.values[i]) * Int64(m[0]), s[0])
          + IntegerMath.rshift(Int64(b.values[i]) * Int64(m[1]), s[1])
        out.values[i] = Int16(min(max(sum, lo), hi))
      }
    }
    return out
  }

  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built {
    try b.expectInputs(2)
    try b.expectParameters(0)
    guard b.inputs[0].channels == b.inputs[1].channels else {
      throw b.fail("add needs inputs with equal channel counts")
    }
    let (m, s) = try b.scalePairs(2)
    return (AddOperator(multipliers: m, shifts: s), try b.format(channels: b.inputs[0].channels))
  }

  /// A random case: the fast path (split over threads from one element on, in place on odd
  /// thread counts) against ``reference(_:output:)``.
  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let c = Int.random(in: 1...9, using: &rng)
    let (h, w) = (Int.random(in: 1...5, using: &rng), Int.random(in: 1...7, using: &rng))
    let x1 = rng.activations(channels: c, height: h, width: w, lo: -32767, hi: 32767)
    let x2 = rng.activations(channels: c, height: h, width: w, lo: -32767, hi: 32767)
    let (m, s) = rng.requantization(2)
    let v = rng.format(channels: c)
    let op = AddOperator(multipliers: m, shifts: s, parallelGrain: 1)
    return OperatorCase(
      "add C\(c) \(h)×\(w) m\(m) s\(s)",
      reference: { op.reference([x1, x2], output: v).values },
      run: { path, threads in
        let context = OperatorContext(threads: threads, path: path)
        guard threads % 2 == 1 else { return op.run([x1, x2], output: v, context: context).values }
        // A private copy of x1's storage, so that the consuming run really writes over it.
        return op.runConsuming([x1.ownCopy(), x2], output: v, context: context).values
      })
  }
}
