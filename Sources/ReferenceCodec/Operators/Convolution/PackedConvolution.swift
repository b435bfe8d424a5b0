import CKernels
import Foundation
import WeightFormat

/// A `ConvolutionLayer` with its weights packed for the fast int16 kernels (CKernels).
///
/// Bit-exact: `accumulators` returns exactly `ConvolutionLayer.referenceAccumulators` and `run`
/// exactly `ConvolutionLayer.reference` (spec/integer-ops.md §4, §4.1, §2.2) for every input
/// whose clamp range keeps the layer's accumulator bound (§3) within 2^31 − 1, on every
/// `KernelPath` and for every thread count.
///
/// A convolution is one pass of the kernel `gic_conv2d_s16`. A transposed convolution with stride
/// s is s² ordinary stride-1 convolutions, one per output phase (Y mod s, X mod s): output row
/// Y = s·Y′ + r receives exactly the taps u ≡ r + p (mod s), from input rows y = Y′ + d − j for
/// u = u₀ + s·j (from Y = y·s − p + u, §4.1). For CompressAI's deconv (k 5, s 2, p 2) the phases
/// use 3×3, 3×2, 2×3 and 2×2 subsets of the kernel, 25 taps per input pixel in all.
///
/// - Complexity: packing is O(weights), once; a call is O(H_out · W_out · C_out · C_in · k²/s²
///   for transposed, k² for ordinary convolutions), split over row bands.
public struct PackedConvolution: Sendable, ChannelsLastKernel {
  /// One stride-`stride` convolution writing output pixels (offsetY + step·y′, offsetX + step·x′).
  struct Phase: Sendable {
    var weights: [Int16]
    var kernelH: Int
    var kernelW: Int
    var stride: Int
    var originY: Int
    var originX: Int
    var offsetY: Int
    var offsetX: Int
    var step: Int

    /// Rows or columns of this phase in an output of `n` rows or columns.
    func count(_ n: Int, offset: Int) -> Int { n > offset ? (n - offset + step - 1) / step : 0 }
  }

  public let layer: ConvolutionLayer
  /// The packed phases, made on the first call that runs the layer: opening a model for
  /// encoding never packs its synthesis transform, nor for decoding its analysis transform.
  let packed: PackedPhases
  let pairs: Int
  /// Per output channel: Σ|w| over its weights (the §3 bound is |b_o| + sumAbs_o · X).
  let sumAbs: [Int64]
  let shifts: [Int32]

  /// Prepares `layer`: the weight sums of the accumulator bound now, the packed weights when
  /// the layer first runs.
  ///
  /// - Precondition: the layer's requantization has multipliers in 1 … 2^31 − 1 and shifts in
  ///   0 … 62; stride ≥ 1.
  public init(_ layer: ConvolutionLayer) {
    let q = layer.requantization
    precondition(q.multipliers.allSatisfy { $0 >= 1 }, "multipliers 1 … 2^31 − 1")
    precondition(q.shifts.allSatisfy { (0...62).contains($0) }, "shifts 0 … 62")
    precondition(layer.stride >= 1 && layer.kernel >= 1, "stride and kernel ≥ 1")
    self.layer = layer
    self.pairs = (layer.inputChannels + 1) / 2
    self.shifts = q.shifts.map { Int32($0) }
    let cin = layer.inputChannels
    let cout = layer.outputChannels
    let k = layer.kernel
    // Σ|w| per output channel over the k × k blocks of each (o, i) pair, in storage order:
    // (C_out, C_in, k, k) for a convolution, (C_in, C_out, k, k) for a transposed one.
    // Implementation note: one pass over the contiguous int16 weights, not 4-index lookups
    // (those took a quarter of opening a model).
    var sums = [Int64](repeating: 0, count: cout)
    let area = k * k
    let isConvolution: Bool
    if case .convolution = layer.kind { isConvolution = true } else { isConvolution = false }
    // A block's |w| are summed in UInt32 (each ≤ 2^15, so exact for up to 2^17 − 1 of them, and
    // the loop vectorises); larger kernels take the Int64 loop.
    layer.weights.withUnsafeBufferPointer { w in
      sums.withUnsafeMutableBufferPointer { sum in
        for block in 0..<(cin * cout) {
          let o = isConvolution ? block / cin : block % cout
          let start = block * area
          if area < 1 << 17 {
            var total: UInt32 = 0
            for t in start..<(start + area) { total &+= UInt32(w[t].magnitude) }
            sum[o] += Int64(total)
          } else {
            var total: Int64 = 0
            for t in start..<(start + area) { total &+= Int64(w[t].magnitude) }
            sum[o] += total
          }
        }
      }
    }
    self.sumAbs = sums
    self.packed = PackedPhases { Self.phases(of: layer) }
  }

  /// `layer`'s weights in the kernel's packed layout, one phase per output phase.
  static func phases(of layer: ConvolutionLayer) -> [Phase] {
    let cin = layer.inputChannels
    let cout = layer.outputChannels
    let k = layer.kernel
    let s = layer.stride
    let p = layer.padding

    func pack(
      offset: Int, strideO: Int, strideI: Int, strideU: Int, strideV: Int, kh: Int, kw: Int
    ) -> [Int16] {
      let count = gic_conv_packed_count(Int32(cout), Int32((cin + 1) / 2), Int32(kh), Int32(kw))
      guard kh > 0 && kw > 0 else { return [] }
      return [Int16](unsafeUninitializedCapacity: count) { out, n in
        layer.weights.withUnsafeBufferPointer { w in
          gic_conv_pack_weights(
            w.baseAddress.map { $0 + offset }, strideO, strideI, strideU, strideV, Int32(cout),
            Int32(cin), Int32(kh), Int32(kw), out.baseAddress)
        }
        n = count
      }
    }

    switch layer.kind {
    case .convolution:
      // Weights (C_out, C_in, k, k).
      return [
        Phase(
          weights: pack(
            offset: 0, strideO: cin * k * k, strideI: k * k, strideU: k, strideV: 1, kh: k, kw: k),
          kernelH: k, kernelW: k, stride: s, originY: -p, originX: -p, offsetY: 0, offsetX: 0,
          step: 1)
      ]
    case .transposed:
      // Weights (C_in, C_out, k, k). Phase r uses taps u = u₀ + s·j, j < n, reading input row
      // Y′ + d − j; as a correlation over t = n − 1 − j: origin d − n + 1, tap t ↦ u₀ + s·(n−1−t).
      func taps(_ r: Int) -> (first: Int, count: Int, origin: Int) {
        let first = (r + p) % s
        let count = first < k ? (k - first + s - 1) / s : 0
        let d = (r + p - first) / s
        return (first, count, d - count + 1)
      }
      var list: [Phase] = []
      for ry in 0..<s {
        for rx in 0..<s {
          let ty = taps(ry)
          let tx = taps(rx)
          let offset =
            ty.count > 0 && tx.count > 0
            ? (ty.first + s * (ty.count - 1)) * k + tx.first + s * (tx.count - 1) : 0
          list.append(
            Phase(
              weights: pack(
                offset: offset, strideO: k * k, strideI: cout * k * k, strideU: -s * k,
                strideV: -s, kh: ty.count, kw: tx.count),
              kernelH: ty.count, kernelW: tx.count, stride: 1, originY: ty.origin,
              originX: tx.origin, offsetY: ry, offsetX: rx, step: s))
        }
      }
      return list
    }
  }

  /// A layer's packed phases, made once by the first caller (others wait for it), then shared.
  ///
  /// Implementation note: `@unchecked Sendable` is sound because `value` is read and written
  /// only under `lock`, and the phases are immutable once made.
  final class PackedPhases: @unchecked Sendable {
    private let lock = NSLock()
    private var value: [Phase]?
    private let make: @Sendable () -> [Phase]

    init(_ make: @escaping @Sendable () -> [Phase]) { self.make = make }

    /// The phases, packed now if no call has packed them yet.
    var phases: [Phase] {
      lock.withLock {
        if let value { return value }
        let made = make()
        value = made
        return made
      }
    }
  }

  /// The largest accumulator bound B_o (§3) for inputs bounded by `x`: the kernels are exact
  /// when it is at most 2^31 − 1.
  ///
  /// - Complexity: O(C_out) (the weight sums are computed once, when packing).
  public func accumulatorBound(inputBound x: Int64) -> Int64 {
    AccumulatorBound.worst(biases: layer.biases, absoluteSums: sumAbs, inputBound: x)
  }

  /// The accumulators a[o, y, x] of §4 / §4.1 in (C_out, H_out, W_out) order.
  ///
  /// - Parameters:
  ///   - input: the layer's input; its clamp range bounds the accumulators (§3).
  ///   - threads: the number of row bands computed concurrently (1: the calling thread only).
  ///   - path: the kernel implementation.
  /// - Returns: exactly `ConvolutionLayer.referenceAccumulators(input)`, as Int32.
  /// - Precondition: the accumulator bound for `input.bound` is at most 2^31 − 1.
  public func accumulators(
    _ input: ActivationTensor, threads: Int = 1, path: KernelPath = .automatic
  ) -> [Int32] {
    let (h, w) = layer.outputSize(height: input.height, width: input.width)
    let hwc = channelsLastAccumulators(
      ChannelsLastActivations(input), threads: threads, path: path)
    let c = layer.outputChannels
    let plane = h * w
    return [Int32](unsafeUninitializedCapacity: c * plane) { out, n in
      hwc.withUnsafeBufferPointer { src in
        for o in 0..<c {
          for p in 0..<plane { out[o * plane + p] = src[p * c + o] }
        }
      }
      n = c * plane
    }
  }

  /// The accumulators in (H_out, W_out, C_out) order: a[o, y, x] at (y · W_out + x) · C_out + o.
  ///
  /// - Parameters:
  ///   - input: the layer's input; its clamp range bounds the accumulators (§3).
  ///   - threads: the number of row bands computed concurrently (1: the calling thread only).
  ///   - path: the kernel implementation.
  /// - Returns: `ConvolutionLayer.referenceAccumulators`' values, as Int32, channels last.
  /// - Precondition: the accumulator bound for `input.bound` is at most 2^31 − 1.
  public func channelsLastAccumulators(
    _ input: ChannelsLastActivations, threads: Int = 1, path: KernelPath = .automatic
  ) -> [Int32] {
    let (h, w) = layer.outputSize(height: input.height, width: input.width)
    let count = h * w * layer.outputChannels
    return [Int32](unsafeUninitializedCapacity: count) { out, n in
      convolve(
        input, into: .accumulators(DisjointWrites(buffer: out)), pixelStride: layer.outputChannels,
        threads: threads, path: path)
      n = count
    }
  }

  /// Runs the layer on a channels-last tensor, producing a channels-last tensor.
  ///
  /// Implementation note: the requantization is fused into the convolution kernel (each block
  /// of accumulators is requantized in registers), so no int32 tensor is materialized; the
  /// arithmetic is that of `requantize`.
  ///
  /// - Precondition: the accumulator bound for `input.bound` is at most 2^31 − 1.
  public func run(
    _ input: ChannelsLastActivations, outputExponent: Int, threads: Int = 1,
    path: KernelPath = .automatic
  ) -> ChannelsLastActivations {
    let (h, w) = layer.outputSize(height: input.height, width: input.width)
    let cout = layer.outputChannels
    let q = layer.requantization
    let stride = ChannelsLastLayout.channelStride(cout)
    // Zero-filled: the padding channel of an odd channel count stays 0.
    var values = [Int16](repeating: 0, count: h * w * stride)
    values.withUnsafeMutableBufferPointer { out in
      q.multipliers.withUnsafeBufferPointer { m in
        shifts.withUnsafeBufferPointer { s in
          convolve(
            input,
            into: .requantized(
              DisjointWrites(buffer: out), multipliers: SharedReads(buffer: m),
              shifts: SharedReads(buffer: s), lo: q.lo, hi: q.hi),
            pixelStride: stride, threads: threads, path: path)
        }
      }
    }
    return ChannelsLastActivations(
      channels: cout, height: h, width: w, values: values, exponent: outputExponent, lo: q.lo,
      hi: q.hi)
  }

  /// Where `convolve` writes: int32 accumulators, or requantized int16 values.
  private enum Sink: Sendable {
    case accumulators(DisjointWrites<Int32>)
    case requantized(
      DisjointWrites<Int16>, multipliers: SharedReads<Int32>, shifts: SharedReads<Int32>,
      lo: Int32, hi: Int32)
  }

  /// Runs the kernel over every (phase, row band), writing output pixel (y, x) channel o at
  /// (y · W_out + x) · pixelStride + o of the sink's buffer.
  private func convolve(
    _ input: ChannelsLastActivations, into sink: Sink, pixelStride: Int, threads: Int,
    path: KernelPath
  ) {
    precondition(input.channels == layer.inputChannels, "input channels")
    precondition(
      accumulatorBound(inputBound: input.bound) <= Int64(Int32.max),
      "accumulator bound (spec §3) exceeds 2^31 − 1 for this input range")
    let (h, w) = layer.outputSize(height: input.height, width: input.width)
    let cout = layer.outputChannels
    guard h > 0 && w > 0 && cout > 0 else { return }
    // Work items: (phase, row band), each writing the disjoint set of its rows' pixels. Phases
    // without output pixels (offsets past a small output) have none.
    let phases = packed.phases
    let items = phases.indices.flatMap { index in
      let phase = phases[index]
      let rows = phase.count(h, offset: phase.offsetY)
      guard rows > 0 && phase.count(w, offset: phase.offsetX) > 0 else {
        return [(phase: Int, rows: Range<Int>)]()
      }
      return DisjointWork.bands(rows, parts: threads).map { (phase: index, rows: $0) }
    }
    let pathCode = path.code
    let pairs = Int32(pairs)
    input.values.withUnsafeBufferPointer { inBuffer in
      layer.biases.withUnsafeBufferPointer { biasBuffer in
        let (source, bias) = (SharedReads(buffer: inBuffer), SharedReads(buffer: biasBuffer))
        DisjointWork.forEach(items.count, threads: threads) { k in
          let (index, rows) = items[k]
          let phase = phases[index]
          let origin = (phase.offsetY * w + phase.offsetX) * pixelStride
          phase.weights.withUnsafeBufferPointer { weights in
            var params = gic_conv2d_params(
              input: source.pointer(), in_height: Int32(input.height),
              in_width: Int32(input.width), pairs: pairs, weights: weights.baseAddress,
              bias: bias.pointer(), out_channels: Int32(cout),
              kernel_h: Int32(phase.kernelH), kernel_w: Int32(phase.kernelW),
              stride: Int32(phase.stride), origin_y: Int32(phase.originY),
              origin_x: Int32(phase.originX),
              out_height: Int32(phase.count(h, offset: phase.offsetY)),
              out_width: Int32(phase.count(w, offset: phase.offsetX)), output: nil,
              out_row_stride: phase.step * w * pixelStride,
              out_pixel_stride: phase.step * pixelStride, requant_m: nil, requant_s: nil, lo: 0,
              hi: 0, output16: nil)
            switch sink {
            case .accumulators(let out):
              params.output = out.pointer(at: origin)
            case .requantized(let out, let m, let s, let lo, let hi):
              params.output16 = out.pointer(at: origin)
              params.requant_m = m.pointer()
              params.requant_s = s.pointer()
              params.lo = lo
              params.hi = hi
            }
            gic_conv2d_s16(&params, Int32(rows.lowerBound), Int32(rows.upperBound), pathCode)
          }
        }
      }
    }
  }
}
