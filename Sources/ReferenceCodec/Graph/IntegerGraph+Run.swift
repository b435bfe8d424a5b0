extension IntegerGraph {
  /// Runs the graph on its inputs, returning its outputs in the graph's output order.
  ///
  /// Intermediate values are released after their last use, so memory stays near the two
  /// largest live tensors.
  ///
  /// - Parameters:
  ///   - inputs: one tensor per graph input, in order, with the input's channel count and every
  ///     value within its clamp range.
  ///   - threads: worker threads for the convolution and GDN kernels (results do not depend on it).
  ///   - path: the kernel implementation.
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
      live[step.output] = Self.apply(
        step.operation, args, value: v, level: level, threads: threads, path: path)
      for r in step.releases { live[r] = nil }
    }
    return outputIndices.map { i in
      guard let value = live[i] else { preconditionFailure("outputs are never released") }
      return value
    }
  }

  /// One operator on channels-last tensors (spec/integer-ops.md §4–§6).
  static func apply(
    _ operation: Operation, _ x: [ChannelsLastActivations], value v: Value, level: Int,
    threads: Int, path: KernelPath
  ) -> ChannelsLastActivations {
    switch operation {
    case .convolution(let packed):
      return packed.run(x[0], outputExponent: v.exponent, threads: threads, path: path)
    case .gdn(let packed):
      return packed.run(x[0], outputExponent: v.exponent, threads: threads, path: path)
    case .relu:
      return map(x[0], value: v) { max($0, 0) }
    case .leakyReLU(let a, let s):
      return map(x[0], value: v) { q in
        q >= 0 ? q : Int16(IntegerMath.rshift(Int64(q) * Int64(a), s))
      }
    case .abs:
      return map(x[0], value: v) { q in q < 0 ? 0 &- q : q }
    case .clamp:
      return map(x[0], value: v) { q in Int16(min(max(Int32(q), v.lo), v.hi)) }
    case .add(let m, let s):
      return add(x[0], x[1], multipliers: m, shifts: s, value: v)
    case .concat(let m, let s):
      return concat(x, multipliers: m, shifts: s, value: v)
    case .pixelShuffle(let r):
      return pixelShuffle(x[0], factor: r, value: v)
    case .affine(let a, let b, let m, let s):
      return affine(x[0], scale: a, bias: b, multipliers: m, shifts: s, value: v)
    case .conditionedAffine(_, let a, let b, let m, let s):
      let c = x[0].channels
      return affine(
        x[0], scale: Array(a[(level * c)..<((level + 1) * c)]),
        bias: Array(b[(level * c)..<((level + 1) * c)]), multipliers: m, shifts: s, value: v)
    }
  }

  /// An elementwise function of one tensor; the padding channel stays 0.
  static func map(
    _ x: ChannelsLastActivations, value v: Value, _ f: (Int16) -> Int16
  ) -> ChannelsLastActivations {
    var out = x
    out.exponent = v.exponent
    out.lo = v.lo
    out.hi = v.hi
    let c = x.channels
    let stride = x.channelStride
    out.values.withUnsafeMutableBufferPointer { o in
      for p in 0..<(x.height * x.width) {
        for ch in 0..<c { o[p * stride + ch] = f(o[p * stride + ch]) }
      }
    }
    return out
  }

  /// `clamp(rshift(x1·m1, s1) + rshift(x2·m2, s2), lo, hi)` (§6).
  static func add(
    _ a: ChannelsLastActivations, _ b: ChannelsLastActivations, multipliers m: [Int32],
    shifts s: [Int], value v: Value
  ) -> ChannelsLastActivations {
    precondition(a.height == b.height && a.width == b.width, "add needs equal sizes")
    var out = a
    out.exponent = v.exponent
    out.lo = v.lo
    out.hi = v.hi
    let (lo, hi) = (Int64(v.lo), Int64(v.hi))
    let stride = a.channelStride
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

  /// Channel concatenation, each input requantized to the output format first (§6).
  static func concat(
    _ inputs: [ChannelsLastActivations], multipliers m: [Int32], shifts s: [Int], value v: Value
  ) -> ChannelsLastActivations {
    let (h, w) = (inputs[0].height, inputs[0].width)
    precondition(inputs.allSatisfy { $0.height == h && $0.width == w }, "concat needs equal sizes")
    let stride = (v.channels + 1) & ~1
    var values = [Int16](repeating: 0, count: h * w * stride)
    var base = 0
    for (k, x) in inputs.enumerated() {
      for p in 0..<(h * w) {
        for ch in 0..<x.channels {
          let q = IntegerMath.requant(
            Int64(x.values[p * x.channelStride + ch]), m[k], s[k], v.lo, v.hi)
          values[p * stride + base + ch] = Int16(q)
        }
      }
      base += x.channels
    }
    return ChannelsLastActivations(
      channels: v.channels, height: h, width: w, values: values, exponent: v.exponent, lo: v.lo,
      hi: v.hi)
  }

  /// `out[c, y·r + i, x·r + j] = x[c·r² + i·r + j, y, x]` (§6).
  static func pixelShuffle(_ x: ChannelsLastActivations, factor r: Int, value v: Value)
    -> ChannelsLastActivations
  {
    let (h, w) = (x.height * r, x.width * r)
    let c = v.channels
    let stride = (c + 1) & ~1
    var values = [Int16](repeating: 0, count: h * w * stride)
    for y in 0..<x.height {
      for xx in 0..<x.width {
        let src = (y * x.width + xx) * x.channelStride
        for ch in 0..<c {
          for i in 0..<r {
            for j in 0..<r {
              let dst = ((y * r + i) * w + xx * r + j) * stride + ch
              values[dst] = x.values[src + ch * r * r + i * r + j]
            }
          }
        }
      }
    }
    return ChannelsLastActivations(
      channels: c, height: h, width: w, values: values, exponent: v.exponent, lo: v.lo, hi: v.hi)
  }

  /// `requant(x[c]·a[c] + b[c], m[c], s[c], lo, hi)` (§6), exact in 64 bits.
  static func affine(
    _ x: ChannelsLastActivations, scale a: [Int16], bias b: [Int32], multipliers m: [Int32],
    shifts s: [Int], value v: Value
  ) -> ChannelsLastActivations {
    var out = x
    out.exponent = v.exponent
    out.lo = v.lo
    out.hi = v.hi
    let stride = x.channelStride
    for p in 0..<(x.height * x.width) {
      for ch in 0..<x.channels {
        let i = p * stride + ch
        let acc = Int64(x.values[i]) * Int64(a[ch]) + Int64(b[ch])
        out.values[i] = Int16(IntegerMath.requant(acc, m[ch], s[ch], v.lo, v.hi))
      }
    }
    return out
  }
}
