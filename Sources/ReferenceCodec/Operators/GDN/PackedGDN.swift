import CKernels
import WeightFormat

/// A `GDNLayer` with γ packed for the fast kernels (CKernels `gic_gdn_s16`).
///
/// Bit-exact: `run` returns exactly `GDNLayer.reference` (spec/integer-ops.md §5) for every input
/// whose clamp range keeps the layer's accumulator bound within 2^31 − 1, on every `KernelPath`
/// and for every thread count.
///
/// Implementation note: pixels are processed in bands of at most `bandPixels(channels:)`
/// consecutive pixels, so the scratch of a worker (u as int16 and n as int32, channels last)
/// stays within 384 KiB (cache-resident) and no int32 tensor of the whole input is allocated.
/// Within a band, the norms n = β + γ·u are the convolution kernel's: the band is a 1 × pixels
/// image and γ a 1×1 convolution with C inputs and outputs. Threads take contiguous runs of whole
/// bands, and every band is computed the same way whoever runs it, so results do not depend on
/// `threads`.
///
/// - Complexity: packing is O(C²), once; a call is O(C² · H · W).
public struct PackedGDN: Sendable, ChannelsLastKernel {
  public let layer: GDNLayer
  /// γ in the convolution kernel's packed layout (`gic_conv_pack_weights`).
  let weights: [Int16]
  /// Per row i: Σ_j |γ_ij|.
  let sumAbs: [Int64]
  let shifts: [Int32]

  /// Packs `layer`'s γ.
  public init(_ layer: GDNLayer) {
    let c = layer.channels
    self.layer = layer
    self.shifts = layer.requantization.shifts.map { Int32($0) }
    self.sumAbs = (0..<c).map { i in
      (0..<c).reduce(Int64(0)) { $0 + abs(Int64(layer.gamma[i * c + $1])) }
    }
    let count = gic_conv_packed_count(Int32(c), Int32((c + 1) / 2), 1, 1)
    self.weights = [Int16](unsafeUninitializedCapacity: count) { out, n in
      layer.gamma.withUnsafeBufferPointer { g in
        // γ as convolution weights (C_out = C, C_in = C, 1, 1): element (o, i) at o · C + i.
        gic_conv_pack_weights(g.baseAddress, c, 1, 0, 0, Int32(c), Int32(c), 1, 1, out.baseAddress)
      }
      n = count
    }
  }

  /// The accumulator bound of `GDNLayer.accumulatorBound` for inputs bounded by `x`: the kernel is
  /// exact when it is at most 2^31 − 1.
  ///
  /// - Complexity: O(C) (the row sums of |γ| are computed once, when packing).
  public func accumulatorBound(inputBound x: Int64) -> Int64 {
    AccumulatorBound.worst(
      biases: layer.beta, absoluteSums: sumAbs,
      inputBound: GDNLayer.squareBound(x, shift: layer.squareShift))
  }

  /// The number of pixels per band for `channels` channels: at most 2048, and at most 64 Ki
  /// values per band (256 KiB of int32 norms, 128 KiB of squares).
  ///
  /// Implementation note: at C = 128 on a 384 × 256 input (one thread, AVX2), bands of 256 to
  /// 1024 pixels ran equally fast and 2048 pixels (1 MiB of norms) 6 % slower.
  static func bandPixels(channels: Int) -> Int {
    max(1, min(2048, (64 * 1024) / max(1, ChannelsLastLayout.channelStride(channels))))
  }

  /// Runs the layer on a channels-last tensor, producing a channels-last tensor.
  ///
  /// Bit-exact: equals `GDNLayer.reference` (through `ChannelsLastActivations`), and the padding
  /// channel of an odd channel count is 0.
  ///
  /// - Parameters:
  ///   - input: the layer's input, |x| ≤ 32767; its clamp range bounds the norms.
  ///   - outputExponent: the exponent of the returned tensor.
  ///   - threads: the number of workers over bands (1: the calling thread only).
  ///   - path: the kernel implementation.
  /// - Returns: the output, channels last, clamped to the requantization's [lo, hi].
  /// - Precondition: the accumulator bound for `input.bound` is at most 2^31 − 1.
  public func run(
    _ input: ChannelsLastActivations, outputExponent: Int, threads: Int = 1,
    path: KernelPath = .automatic
  ) -> ChannelsLastActivations {
    // Zero-filled: the padding channel of an odd channel count stays 0.
    var values = [Int16](repeating: 0, count: input.values.count)
    input.values.withUnsafeBufferPointer { inBuffer in
      values.withUnsafeMutableBufferPointer { outBuffer in
        compute(
          channels: input.channels, pixels: input.height * input.width, bound: input.bound,
          inBuffer, outBuffer, threads: threads, path: path)
      }
    }
    return ChannelsLastActivations(
      channels: layer.channels, height: input.height, width: input.width, values: values,
      exponent: outputExponent, lo: layer.requantization.lo, hi: layer.requantization.hi)
  }

  /// Runs the layer over `input`'s own storage.
  ///
  /// The result is ``run(_:outputExponent:threads:path:)``'s, without allocating (and faulting
  /// in) an output tensor. The graph runner uses it when the node is the input's last reader.
  ///
  /// Bit-exact: every step of `gic_gdn_s16` after the squares reads x only at the index it
  /// writes (GDN's output step, inverse GDN's product), and the squares and norms live in the
  /// worker's scratch, so writing over x gives the values written elsewhere; the padding
  /// channel of an odd channel count is 0 in x (every tensor's invariant) and never written.
  public func runInPlace(
    _ input: consuming ChannelsLastActivations, outputExponent: Int, threads: Int = 1,
    path: KernelPath = .automatic
  ) -> ChannelsLastActivations {
    let (channels, height, width, bound) = (input.channels, input.height, input.width, input.bound)
    var values = input.values
    input.values = []  // `values` is now the storage's one owner: no copy on write below
    values.withUnsafeMutableBufferPointer { buffer in
      compute(
        channels: channels, pixels: height * width, bound: bound, UnsafeBufferPointer(buffer),
        buffer, threads: threads, path: path)
    }
    return ChannelsLastActivations(
      channels: layer.channels, height: height, width: width, values: values,
      exponent: outputExponent, lo: layer.requantization.lo, hi: layer.requantization.hi)
  }

  /// The kernel calls over bands of `pixels` pixels, reading `inBuffer` and writing `outBuffer`
  /// (which may be the same memory; see ``runInPlace(_:outputExponent:threads:path:)``), for an
  /// input of `channels` channels whose values are bounded by `bound`.
  private func compute(
    channels: Int, pixels: Int, bound: Int64, _ inBuffer: UnsafeBufferPointer<Int16>,
    _ outBuffer: UnsafeMutableBufferPointer<Int16>, threads: Int, path: KernelPath
  ) {
    let c = layer.channels
    precondition(channels == c, "input channels")
    precondition(
      accumulatorBound(inputBound: bound) <= Int64(Int32.max),
      "accumulator bound (spec §3) exceeds 2^31 − 1 for this input range")
    let q = layer.requantization
    let stride = ChannelsLastLayout.channelStride(c)
    precondition(inBuffer.count == pixels * stride && outBuffer.count == pixels * stride)
    let band = Self.bandPixels(channels: c)
    let bands = (pixels + band - 1) / band
    if bands > 0 && c > 0 {
      let groups = DisjointWork.bands(bands, parts: threads)
      let pathCode = path.code
      let inverse: Int32 = layer.inverse ? 1 : 0
      let squareShift = Int32(layer.squareShift)
      weights.withUnsafeBufferPointer { w in
        layer.beta.withUnsafeBufferPointer { b in
          q.multipliers.withUnsafeBufferPointer { m in
            shifts.withUnsafeBufferPointer { s in
              let source = SharedReads(buffer: inBuffer)
              let output = DisjointWrites(buffer: outBuffer)
              let (weights, beta) = (SharedReads(buffer: w), SharedReads(buffer: b))
              let (mul, shift) = (SharedReads(buffer: m), SharedReads(buffer: s))
              DisjointWork.forEach(groups.count, threads: threads) { k in
                var params = gic_gdn_params(
                  input: source.pointer(), output: output.pointer(at: 0),
                  channels: Int32(c), square_shift: squareShift, weights: weights.pointer(),
                  beta: beta.pointer(), m: mul.pointer(), s: shift.pointer(), lo: q.lo,
                  hi: q.hi, inverse: inverse)
                // One scratch per worker, reused for each of its bands.
                let scratch = min(band, pixels) * stride
                let u = UnsafeMutablePointer<Int16>.allocate(capacity: scratch)
                let acc = UnsafeMutablePointer<Int32>.allocate(capacity: scratch)
                defer {
                  u.deallocate()
                  acc.deallocate()
                }
                for index in groups[k] {
                  let begin = index * band
                  gic_gdn_s16(&params, begin, min(begin + band, pixels), u, acc, pathCode)
                }
              }
            }
          }
        }
      }
    }
  }

  /// Integer square roots r = isqrt(max(n, 0)) of int32 values, by the GDN kernel's routine.
  ///
  /// Bit-exact: equals `IntegerMath.isqrt(max(Int64(n), 0))` for every int32 n, on every path.
  ///
  /// - Complexity: O(values.count).
  public static func squareRoots(_ values: [Int32], path: KernelPath = .automatic) -> [Int32] {
    var roots = values
    formSquareRoots(&roots, path: path)
    return roots
  }

  /// Replaces every value n by isqrt(max(n, 0)), in place (as `squareRoots`).
  ///
  /// - Complexity: O(values.count).
  public static func formSquareRoots(_ values: inout [Int32], path: KernelPath = .automatic) {
    let count = values.count
    values.withUnsafeMutableBufferPointer { v in
      if let base = v.baseAddress { gic_isqrt_s32(base, base, count, path.code) }
    }
  }
}
