import WeightFormat

/// The fast path of `leaky_relu`: one flat loop over the channels-last storage (padding
/// included: 0 maps to 0) through unsafe pointers in 32-bit lanes, bands over the context's
/// threads, and the input's storage reused when the runner hands it over.
///
/// Bit-exact: every element equals ``LeakyReLUOperator/reference(_:output:)``'s (see
/// ``LeakyReLUOperator/slopes(_:_:count:)``); each element is read and written by one worker
/// only, at its own index.
extension LeakyReLUOperator {
  func run(
    _ inputs: [ChannelsLastActivations], output v: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    // An output range beyond int16 (no converted graph has one): the reference, which traps
    // on a value that does not fit.
    guard v.lo >= Int32(Int16.min) else { return reference(inputs, output: v) }
    let x = inputs[0]
    return .written(like: x, format: v) { out in
      x.values.withUnsafeBufferPointer { compute($0, out, output: v, threads: context.threads) }
    }
  }

  /// Writes the output over the input's storage when the runner holds its only reference.
  ///
  /// One tensor fewer to allocate and fault in. Element i is read before it is written, by the
  /// worker that writes it, so the result is ``run(_:output:context:)``'s; were the storage
  /// shared after all, the write would copy it first (copy on write) and stay exact.
  func runConsuming(
    _ inputs: consuming [ChannelsLastActivations], output v: IntegerGraph.Value,
    context: OperatorContext
  ) -> ChannelsLastActivations {
    guard v.lo >= Int32(Int16.min) else { return reference(inputs, output: v) }
    var x = inputs[0]
    inputs = []  // `x` is now the only reference the operator holds
    var values = x.values
    x.values = []  // `values` is now the storage's one owner: no copy on write below
    values.withUnsafeMutableBufferPointer { out in
      compute(UnsafeBufferPointer(out), out, output: v, threads: context.threads)
    }
    return ChannelsLastActivations(
      channels: x.channels, height: x.height, width: x.width, values: values,
      exponent: v.exponent, lo: v.lo, hi: v.hi)
  }

  /// Writes leaky_relu(x[i]) to every `out[i]` (`out` may be `x`'s memory).
  private func compute(
    _ x: UnsafeBufferPointer<Int16>, _ out: UnsafeMutableBufferPointer<Int16>,
    output v: IntegerGraph.Value, threads: Int
  ) {
    // The output range rshift(x.lo · a, s) … x.hi (the builder's) is within int16, so is every
    // output: truncating below never drops a bit the reference's conversion would keep.
    let n = out.count
    precondition(x.count == n, "one output per input")
    guard n > 0 else { return }
    let parts = n >= parallelGrain ? max(threads, 1) : 1
    let (source, target) = (SharedReads(buffer: x), DisjointWrites(buffer: out))
    let (a, s) = (slope, shift)
    DisjointWork.forEachBand(n, threads: parts) { r in
      let k = r.lowerBound
      Self.slopes(source.base + k, target.base + k, count: r.count, slope: a, shift: s)
    }
  }

  /// x for x ≥ 0, rshift(x·a, s) below, in 32-bit lanes, eight at a time.
  ///
  /// Bit-exact: |x| ≤ 2^15 and 0 ≤ a ≤ 32767 give |x·a| ≤ 2^30, and the rounding term
  /// 2^(s−1) ≤ 2^29 (0 for s = 0, where rshift is the identity), so x·a + 2^(s−1) lies in
  /// (−2^31, 2^31): the wrapping operators never wrap, and `&>>` by s ≤ 30 is rshift's floor
  /// division. The result of a negative x lies between its output range's lo and 0.
  private static func slopes(
    _ x: UnsafePointer<Int16>, _ out: UnsafeMutablePointer<Int16>, count: Int, slope: Int32,
    shift: Int
  ) {
    let a = Int32(Int16(slope))  // 0 … 32767: an int16 product the compiler can widen cheaply
    let (s, round) = (Int32(shift), shift == 0 ? 0 : Int32(1) << Int32(shift - 1))
    var i = 0
    while i + 8 <= count {
      let q = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Int16>.self)
      let product = (SIMD8<Int32>(truncatingIfNeeded: q) &* a &+ round) &>> s
      let negative = SIMD8<Int16>(truncatingIfNeeded: product)
      let sign = q &>> 15  // all ones in the lanes of negative values, else 0
      let result = (negative & sign) | (q & ~sign)
      UnsafeMutableRawPointer(out + i).storeBytes(of: result, as: SIMD8<Int16>.self)
      i += 8
    }
    while i < count {
      let q = x[i]
      let negative = Int16(truncatingIfNeeded: (Int32(q) &* a &+ round) &>> s)
      out[i] = q >= 0 ? q : negative
      i += 1
    }
  }
}
