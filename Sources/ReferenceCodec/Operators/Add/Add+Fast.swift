import WeightFormat

/// The fast path of `add`: flat loops over the channels-last storage through unsafe pointers,
/// in 32-bit lanes where the shifts allow, bands over the context's threads, and the first
/// input's storage reused when the runner hands it over.
///
/// Bit-exact: every element equals ``AddOperator/reference(_:output:)``'s (see ``SplitTerm``
/// and ``AddOperator/sumWide(_:_:_:count:_:_:lo:hi:)`` for why the arithmetic is exact); each
/// element is read and written by one worker only, at its own index.
extension AddOperator {
  func run(
    _ inputs: [ChannelsLastActivations], output v: IntegerGraph.Value, context: OperatorContext
  ) -> ChannelsLastActivations {
    let (a, b) = (inputs[0], inputs[1])
    precondition(a.height == b.height && a.width == b.width, "add needs equal sizes")
    return .written(like: a, format: v) { out in
      a.values.withUnsafeBufferPointer { x in
        b.values.withUnsafeBufferPointer { y in
          compute(x, y, out, channels: a.channels, lo: v.lo, hi: v.hi, threads: context.threads)
        }
      }
    }
  }

  /// Writes the sums over the first input's storage when the runner holds its only reference.
  ///
  /// One tensor fewer to allocate and fault in. Element i is read before it is written, by
  /// the worker that writes it, so the result is ``run(_:output:context:)``'s; were the storage
  /// shared after all, the write would copy it first (copy on write) and stay exact.
  func runConsuming(
    _ inputs: consuming [ChannelsLastActivations], output v: IntegerGraph.Value,
    context: OperatorContext
  ) -> ChannelsLastActivations {
    var a = inputs[0]
    let b = inputs[1]
    inputs = []  // `a` and `b` are now the only references the operator holds
    precondition(a.height == b.height && a.width == b.width, "add needs equal sizes")
    var values = a.values
    a.values = []  // `values` is now the storage's one owner: no copy on write below
    values.withUnsafeMutableBufferPointer { out in
      b.values.withUnsafeBufferPointer { y in
        compute(
          UnsafeBufferPointer(out), y, out, channels: a.channels, lo: v.lo, hi: v.hi,
          threads: context.threads)
      }
    }
    return ChannelsLastActivations(
      channels: a.channels, height: a.height, width: a.width, values: values,
      exponent: v.exponent, lo: v.lo, hi: v.hi)
  }

  /// Writes clamp(term₀(x[i]) + term₁(y[i]), lo, hi) to every `out[i]` (`out` may be `x`'s
  /// memory), then restores the padding channel of an odd channel count to 0.
  private func compute(
    _ x: UnsafeBufferPointer<Int16>, _ y: UnsafeBufferPointer<Int16>,
    _ out: UnsafeMutableBufferPointer<Int16>, channels: Int, lo: Int32, hi: Int32, threads: Int
  ) {
    let n = out.count
    precondition(x.count == n && y.count == n, "add needs equal sizes")
    guard n > 0 else { return }
    let parts = n >= parallelGrain ? max(threads, 1) : 1
    let (first, second) = (SharedReads(buffer: x), SharedReads(buffer: y))
    let sums = DisjointWrites(buffer: out)
    if let t0 = SplitTerm(multipliers[0], shifts[0]), let t1 = SplitTerm(multipliers[1], shifts[1])
    {
      DisjointWork.forEachBand(n, threads: parts) { r in
        let k = r.lowerBound
        Self.sumNarrow(
          first.base + k, second.base + k, sums.base + k, count: r.count, t0, t1,
          lo: lo, hi: hi)
      }
    } else {
      let (m0, m1) = (multipliers[0], multipliers[1])
      let (s0, s1) = (shifts[0], shifts[1])
      DisjointWork.forEachBand(n, threads: parts) { r in
        let k = r.lowerBound
        Self.sumWide(
          first.base + k, second.base + k, sums.base + k, count: r.count, (m0, s0),
          (m1, s1), lo: lo, hi: hi)
      }
    }
    // Zero inputs sum to clamp(0, lo, hi): the padding channel is 0 again unless 0 is clamped.
    let stride = ChannelsLastLayout.channelStride(channels)
    if stride != channels && (lo > 0 || hi < 0) {
      for p in 0..<(n / stride) { out[p * stride + channels] = 0 }
    }
  }

  /// The sums in 32-bit lanes, eight at a time.
  ///
  /// Bit-exact: each term is ``SplitTerm/callAsFunction(_:)``, exactly rshift(x·m, s), and
  /// |term| < 2^30 (its numerator K satisfies −2^30 ≤ K < 1.51·2^30 and is shifted right by at
  /// least 1), so the wrapping sum of two terms never wraps and equals the 64-bit sum; clamped to
  /// lo … hi ⊂ int16, truncating to int16 keeps it.
  private static func sumNarrow(
    _ x: UnsafePointer<Int16>, _ y: UnsafePointer<Int16>, _ out: UnsafeMutablePointer<Int16>,
    count: Int, _ t0: SplitTerm, _ t1: SplitTerm, lo: Int32, hi: Int32
  ) {
    let (low, high) = (SIMD8<Int32>(repeating: lo), SIMD8<Int32>(repeating: hi))
    var i = 0
    while i + 8 <= count {
      let a = SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(x + i).loadUnaligned(as: V.self))
      let b = SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(y + i).loadUnaligned(as: V.self))
      let sum = pointwiseMin(pointwiseMax(t0(a) &+ t1(b), low), high)
      UnsafeMutableRawPointer(out + i).storeBytes(of: V(truncatingIfNeeded: sum), as: V.self)
      i += 8
    }
    while i < count {
      let sum = t0(Int32(x[i])) &+ t1(Int32(y[i]))
      out[i] = Int16(truncatingIfNeeded: min(max(sum, lo), hi))
      i += 1
    }
  }

  /// Eight int16 lanes (one SSE register).
  private typealias V = SIMD8<Int16>

  /// The sums in 64-bit arithmetic, for any shifts 0 … 62.
  ///
  /// Bit-exact: |x| ≤ 2^15 and 1 ≤ m < 2^31 give |x·m| < 2^46, and the rounding term
  /// 2^(s−1) ≤ 2^61, so x·m + 2^(s−1) < 2^62 never wraps and `&>>` by s ≤ 62 is the floor
  /// division of rshift; each term is below 2^46 + 1, their sum far from 2^63, and the clamped
  /// sum lies in lo … hi ⊂ int16.
  private static func sumWide(
    _ x: UnsafePointer<Int16>, _ y: UnsafePointer<Int16>, _ out: UnsafeMutablePointer<Int16>,
    count: Int, _ p0: (Int32, Int), _ p1: (Int32, Int), lo: Int32, hi: Int32
  ) {
    let (m0, s0, r0) = (Int64(p0.0), Int64(p0.1), p0.1 == 0 ? 0 : Int64(1) << (p0.1 - 1))
    let (m1, s1, r1) = (Int64(p1.0), Int64(p1.1), p1.1 == 0 ? 0 : Int64(1) << (p1.1 - 1))
    let (l, h) = (Int64(lo), Int64(hi))
    for i in 0..<count {
      let sum = ((Int64(x[i]) &* m0 &+ r0) &>> s0) &+ ((Int64(y[i]) &* m1 &+ r1) &>> s1)
      out[i] = Int16(truncatingIfNeeded: min(max(sum, l), h))
    }
  }
}

/// rshift(x·m, s) of an int16 x in 32-bit arithmetic, for 1 ≤ m < 2^31 and s ≥ 17.
///
/// With m = mh·2^16 + ml (0 ≤ mh < 2^15, 0 ≤ ml < 2^16), A = x·mh and B = x·ml are exact int32
/// products (|A| < 2^30, −2^31 < B < 2^31), and for 17 ≤ s ≤ 46
///
///     x·m + 2^(s−1) = (A + 2^(s−17) + ⌊B / 2^16⌋)·2^16 + (B mod 2^16),
///
/// so rshift(x·m, s) = ⌊K / 2^(s−16)⌋ with K = A + 2^(s−17) + ⌊B / 2^16⌋, and
/// −2^30 ≤ K < 2^30 + 2^29 + 2^15 < 2^31: every step is exact in int32, the wrapping
/// operators never wrap. For s ≥ 47, |x·m| < 2^46 ≤ 2^(s−1) puts x·m + 2^(s−1) in (0, 2^s), so
/// the term is 0 (mh = ml = 0, no rounding, no shift). Shifts below 17 have no such split
/// (the term can exceed int32): the initializer returns nil and the 64-bit loop runs.
struct SplitTerm: Sendable {
  let high: Int32
  let low: Int32
  let round: Int32
  let shift: Int32

  init?(_ m: Int32, _ s: Int) {
    if s >= 47 {
      (high, low, round, shift) = (0, 0, 0, 0)
    } else if s >= 17 {
      (high, low, round, shift) = (m >> 16, m & 0xFFFF, 1 << Int32(s - 17), Int32(s - 16))
    } else {
      return nil
    }
  }

  /// rshift(x·m, s) for an int16 x (sign-extended).
  @inline(__always)
  func callAsFunction(_ x: Int32) -> Int32 {
    (x &* high &+ round &+ ((x &* low) &>> 16)) &>> shift
  }

  /// rshift(x·m, s) for eight int16 lanes (sign-extended).
  @inline(__always)
  func callAsFunction(_ x: SIMD8<Int32>) -> SIMD8<Int32> {
    (x &* high &+ round &+ ((x &* low) &>> 16)) &>> shift
  }
}
