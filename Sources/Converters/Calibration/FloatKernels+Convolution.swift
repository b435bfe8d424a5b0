import WeightFormat

extension FloatKernels {
  /// PyTorch `Conv2d` (cross-correlation) with zero padding, batch 1, square kernel.
  ///
  /// out[o, Y, X] = bias[o] + Σ_{u, v, i} w[o, i, u, v]·x[i, s·Y − p + u, s·X − p + v], with x = 0
  /// outside the input, summed over u, then v, then i, in increasing order. H_out =
  /// (H + 2·padding − kernel) / stride + 1, likewise W_out.
  ///
  /// - Parameters:
  ///   - x: the input, C_in channels.
  ///   - weight: (C_out, C_in, k, k) row-major, PyTorch's layout.
  ///   - bias: C_out values.
  ///   - outChannels: C_out.
  ///   - kernel: k, the kernel's height and width.
  ///   - stride: s, in both directions.
  ///   - padding: p, zero rows and columns on each side.
  ///   - threads: the number of row bands computed concurrently; the result does not depend on it.
  /// - Returns: the output, (C_out, H_out, W_out).
  /// - Precondition: kernel, stride ≥ 1; padding ≥ 0; the padded input is at least k × k.
  /// - Complexity: O(C_out · C_in · k² · H_out · W_out).
  public static func conv2d(
    _ x: FloatTensor, weight: [Float], bias: [Float], outChannels: Int, kernel: Int, stride: Int,
    padding: Int, threads: Int = 1
  ) -> FloatTensor {
    let cin = x.channels
    let k = kernel
    let s = stride
    let p = padding
    precondition(k >= 1 && s >= 1 && p >= 0 && outChannels >= 0, "kernel, stride ≥ 1, padding ≥ 0")
    precondition(weight.count == outChannels * cin * k * k, "weight is (C_out, C_in, k, k)")
    precondition(bias.count == outChannels, "bias has C_out values")
    precondition(x.height + 2 * p >= k && x.width + 2 * p >= k, "padded input at least k × k")
    let hOut = (x.height + 2 * p - k) / s + 1
    let wOut = (x.width + 2 * p - k) / s + 1
    let packed = PackedWeights(
      weight, bias: bias, inChannels: cin, outChannels: outChannels, kernel: k, transposed: false)
    let paddedWidth = x.width + 2 * p
    let input = channelsLast(x, top: p, bottom: p, left: p, right: p)
    var output = [Float](repeating: 0, count: hOut * wOut * packed.paddedOut)
    let cop = packed.paddedOut
    withPointers(input, packed, &output) { xs, ws, bs, os in
      DisjointWork.forEachBand(hOut, threads: threads) { rows in
        // Tap (u, v): input offset from the tile's first pixel, weight offset.
        var taps: [Int] = []
        for u in 0..<k {
          for v in 0..<k { taps += [(u * paddedWidth + v) * cin, (u * k + v) * cin * lanes] }
        }
        for y in rows {
          convolveRow(
            taps: taps, x: xs.base + y * s * paddedWidth * cin, xStride: s * cin,
            pixels: wOut, w: ws.base, blockStride: k * k * cin * lanes, bias: bs.base,
            inChannels: cin, paddedOut: cop, out: os.base + y * wOut * cop, outStride: cop)
        }
      }
    }
    return planar(output, height: hOut, width: wOut, paddedOut: cop, channels: outChannels)
  }

  /// PyTorch `ConvTranspose2d`, batch 1, square kernel.
  ///
  /// out[o, Y, X] = bias[o] + Σ w[i, o, u, v]·x[i, y, x] over the taps with Y = s·y − p + u and
  /// X = s·x − p + v (summed over u, then v, then i, in increasing order). H_out =
  /// (H − 1)·stride − 2·padding + kernel + outputPadding, likewise W_out.
  ///
  /// Implementation note: output pixels with the same (Y mod s, X mod s) share one set of taps,
  /// so the kernel runs one gather convolution per phase and skips the zeros that the
  /// zero-insertion formulation would multiply.
  ///
  /// - Parameters:
  ///   - x: the input, C_in channels.
  ///   - weight: (C_in, C_out, k, k) row-major, PyTorch's layout.
  ///   - bias: C_out values.
  ///   - outChannels: C_out.
  ///   - kernel: k, the kernel's height and width.
  ///   - stride: s, in both directions.
  ///   - padding: p, the rows and columns cropped from each side of the full output.
  ///   - outputPadding: the rows and columns added at the bottom and right.
  ///   - threads: the number of row bands computed concurrently; the result does not depend on it.
  /// - Returns: the output, (C_out, H_out, W_out).
  /// - Precondition: kernel, stride ≥ 1; padding, outputPadding ≥ 0; H_out, W_out ≥ 1.
  /// - Complexity: O(C_out · C_in · k² · H · W).
  public static func convTranspose2d(
    _ x: FloatTensor, weight: [Float], bias: [Float], outChannels: Int, kernel: Int, stride: Int,
    padding: Int, outputPadding: Int, threads: Int = 1
  ) -> FloatTensor {
    let cin = x.channels
    let k = kernel
    let s = stride
    let p = padding
    precondition(
      k >= 1 && s >= 1 && p >= 0 && outputPadding >= 0 && outChannels >= 0,
      "kernel, stride ≥ 1, padding, outputPadding ≥ 0")
    precondition(weight.count == cin * outChannels * k * k, "weight is (C_in, C_out, k, k)")
    precondition(bias.count == outChannels, "bias has C_out values")
    let h = x.height
    let w = x.width
    precondition(h >= 1 && w >= 1, "non-empty input")
    let hOut = (h - 1) * s - 2 * p + k + outputPadding
    let wOut = (w - 1) * s - 2 * p + k + outputPadding
    precondition(hOut >= 1 && wOut >= 1, "non-empty output")
    let packed = PackedWeights(
      weight, bias: bias, inChannels: cin, outChannels: outChannels, kernel: k, transposed: true)
    let cop = packed.paddedOut

    // Output column X = s·j + r takes input column j + (r + p − v) / s through tap v when
    // v ≡ r + p (mod s). Pad the columns so every tile reads inside the buffer.
    var low = 0
    var high = w - 1
    for r in 0..<min(s, wOut) {
      let last = (wOut - 1 - r) / s
      for v in 0..<k where (r + p - v) % s == 0 {
        low = min(low, (r + p - v) / s)
        high = max(high, (r + p - v) / s + last)
      }
    }
    let left = -low
    let paddedWidth = w + left + (high - (w - 1))
    let input = channelsLast(x, top: 0, bottom: 0, left: left, right: high - (w - 1))
    var output = [Float](repeating: 0, count: hOut * wOut * cop)
    withPointers(input, packed, &output) { xs, ws, bs, os in
      DisjointWork.forEachBand(hOut, threads: threads) { rows in
        var taps: [Int] = []
        for yOut in rows {
          let outRow = os.base + yOut * wOut * cop
          for r in 0..<min(s, wOut) {
            taps.removeAll(keepingCapacity: true)
            for u in 0..<k where (yOut + p - u) % s == 0 {
              let y = (yOut + p - u) / s
              guard y >= 0 && y < h else { continue }
              for v in 0..<k where (r + p - v) % s == 0 {
                let column = (r + p - v) / s + left
                taps += [(y * paddedWidth + column) * cin, (u * k + v) * cin * lanes]
              }
            }
            convolveRow(
              taps: taps, x: xs.base, xStride: cin, pixels: (wOut - 1 - r) / s + 1, w: ws.base,
              blockStride: k * k * cin * lanes, bias: bs.base, inChannels: cin, paddedOut: cop,
              out: outRow + r * cop, outStride: s * cop)
          }
        }
      }
    }
    return planar(output, height: hOut, width: wOut, paddedOut: cop, channels: outChannels)
  }
}

// MARK: - Implementation

/// Output channels per vector in the convolution tiles.
private let lanes = 8
private typealias Lanes = SIMD8<Float>

/// Convolution weights as (C_out′ / lanes, k, k, C_in, lanes) with C_out′ = C_out rounded up to
/// `lanes` (zero weights and bias in the extra channels), so that a tile streams its weights
/// contiguously.
private struct PackedWeights {
  var weights: [Float]
  var bias: [Float]
  let paddedOut: Int

  init(
    _ weight: [Float], bias: [Float], inChannels cin: Int, outChannels cout: Int, kernel k: Int,
    transposed: Bool
  ) {
    let cop = (cout + lanes - 1) / lanes * lanes
    paddedOut = cop
    var packed = [Float](repeating: 0, count: k * k * cin * cop)
    for o in 0..<cout {
      for i in 0..<cin {
        // PyTorch: Conv2d (C_out, C_in, k, k), ConvTranspose2d (C_in, C_out, k, k).
        let source = transposed ? (i * cout + o) * k * k : (o * cin + i) * k * k
        let block = o / lanes * k * k * cin * lanes + o % lanes
        for t in 0..<(k * k) { packed[block + (t * cin + i) * lanes] = weight[source + t] }
      }
    }
    weights = packed
    self.bias = bias + [Float](repeating: 0, count: cop - cout)
  }
}

/// Copies `x` to channels-last order (H + top + bottom, W + left + right, C) inside zero borders.
private func channelsLast(_ x: FloatTensor, top: Int, bottom: Int, left: Int, right: Int)
  -> [Float]
{
  let c = x.channels
  let h = x.height
  let w = x.width
  let pw = w + left + right
  var out = [Float](repeating: 0, count: (h + top + bottom) * pw * c)
  x.values.withUnsafeBufferPointer { src in
    out.withUnsafeMutableBufferPointer { dst in
      for y in 0..<h {
        for xx in 0..<w {
          let d = ((y + top) * pw + xx + left) * c
          for ch in 0..<c { dst[d + ch] = src[(ch * h + y) * w + xx] }
        }
      }
    }
  }
  return out
}

/// The first `channels` channels of a channels-last (H, W, C′) buffer, as a (C, H, W) tensor.
private func planar(_ v: [Float], height: Int, width: Int, paddedOut: Int, channels: Int)
  -> FloatTensor
{
  var out = [Float](repeating: 0, count: channels * height * width)
  v.withUnsafeBufferPointer { src in
    out.withUnsafeMutableBufferPointer { dst in
      for pixel in 0..<(height * width) {
        for ch in 0..<channels { dst[ch * height * width + pixel] = src[pixel * paddedOut + ch] }
      }
    }
  }
  return FloatTensor(channels: channels, height: height, width: width, values: out)
}

/// Runs `body` with sendable pointers to the input, the weights, the bias and the output.
private func withPointers(
  _ input: [Float], _ packed: PackedWeights, _ output: inout [Float],
  _ body: (SharedReads<Float>, SharedReads<Float>, SharedReads<Float>, DisjointWrites<Float>) ->
    Void
) {
  // Implementation note: a one-element stand-in keeps every pointer non-nil for empty tensors
  // (C_in = 0); no tile then reads it.
  let empty: [Float] = [0]
  let input = input.isEmpty ? empty : input
  let weights = packed.weights.isEmpty ? empty : packed.weights
  input.withUnsafeBufferPointer { xb in
    weights.withUnsafeBufferPointer { wb in
      packed.bias.withUnsafeBufferPointer { bb in
        output.withUnsafeMutableBufferPointer { ob in
          guard xb.baseAddress != nil, wb.baseAddress != nil, bb.baseAddress != nil,
            ob.baseAddress != nil
          else { return }
          body(
            SharedReads(buffer: xb), SharedReads(buffer: wb), SharedReads(buffer: bb),
            DisjointWrites(buffer: ob))
        }
      }
    }
  }
}

/// Computes `pixels` output pixels of one row (or one phase of a row), all output channels.
///
/// Pixel j reads input at `x + j·xStride + tap offset` and writes `out + j·outStride`; `taps`
/// holds (input offset, weight offset) pairs in summation order, the weight offset within the
/// block of `lanes` output channels; blocks are `blockStride` apart in `w`.
private func convolveRow(
  taps: [Int], x: UnsafePointer<Float>, xStride: Int, pixels: Int, w: UnsafePointer<Float>,
  blockStride: Int, bias: UnsafePointer<Float>, inChannels: Int, paddedOut: Int,
  out: UnsafeMutablePointer<Float>, outStride: Int
) {
  taps.withUnsafeBufferPointer { t in
    for co in stride(from: 0, to: paddedOut, by: lanes) {
      let b = load(bias + co)
      let w = w + co / lanes * blockStride
      var j = 0
      while j + 4 <= pixels {
        tile4(
          taps: t, x: x + j * xStride, xStride: xStride, w: w, inChannels: inChannels, bias: b,
          out: out + j * outStride + co, outStride: outStride)
        j += 4
      }
      while j < pixels {
        tile1(
          taps: t, x: x + j * xStride, w: w, inChannels: inChannels, bias: b,
          out: out + j * outStride + co)
        j += 1
      }
    }
  }
}

/// Four output pixels × `lanes` output channels, accumulated in registers.
@inline(__always)
private func tile4(
  taps: UnsafeBufferPointer<Int>, x: UnsafePointer<Float>, xStride: Int, w: UnsafePointer<Float>,
  inChannels: Int, bias: Lanes, out: UnsafeMutablePointer<Float>, outStride: Int
) {
  var a0 = bias
  var a1 = bias
  var a2 = bias
  var a3 = bias
  var t = 0
  while t < taps.count {
    var xp = x + taps[t]
    var wp = w + taps[t + 1]
    for _ in 0..<inChannels {
      let wv = load(wp)
      a0 += wv * Lanes(repeating: xp[0])
      a1 += wv * Lanes(repeating: xp[xStride])
      a2 += wv * Lanes(repeating: xp[2 * xStride])
      a3 += wv * Lanes(repeating: xp[3 * xStride])
      xp += 1
      wp += lanes
    }
    t += 2
  }
  store(a0, out)
  store(a1, out + outStride)
  store(a2, out + 2 * outStride)
  store(a3, out + 3 * outStride)
}

/// One output pixel × `lanes` output channels, summed in the same order as `tile4`.
@inline(__always)
private func tile1(
  taps: UnsafeBufferPointer<Int>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
  inChannels: Int, bias: Lanes, out: UnsafeMutablePointer<Float>
) {
  var a0 = bias
  var t = 0
  while t < taps.count {
    var xp = x + taps[t]
    var wp = w + taps[t + 1]
    for _ in 0..<inChannels {
      a0 += load(wp) * Lanes(repeating: xp[0])
      xp += 1
      wp += lanes
    }
    t += 2
  }
  store(a0, out)
}

@inline(__always)
private func load(_ p: UnsafePointer<Float>) -> Lanes {
  UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
}

@inline(__always)
private func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
}
