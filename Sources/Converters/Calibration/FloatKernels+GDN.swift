import WeightFormat

extension FloatKernels {
  /// CompressAI's GDN (`inverse` false) or inverse GDN (`inverse` true).
  ///
  /// For each pixel, norm_i = β_i + Σ_j γ[i, j]·x_j² (summed over j in increasing order); GDN
  /// gives x_i / sqrt(norm_i) and inverse GDN x_i · sqrt(norm_i).
  ///
  /// - Parameters:
  ///   - x: the input, C channels.
  ///   - beta: β, C values, the effective (not reparametrised) parameter, normally positive.
  ///   - gamma: γ, (C, C) row-major, effective and normally non-negative: `gamma[i·C + j]`
  ///     weighs x_j² in norm_i.
  ///   - inverse: whether to multiply by sqrt(norm_i) (inverse GDN) instead of dividing.
  ///   - threads: the number of row bands computed concurrently; the result does not depend on it.
  /// - Returns: the output, the shape of `x`.
  /// - Complexity: O(C²·H·W).
  public static func gdn(
    _ x: FloatTensor, beta: [Float], gamma: [Float], inverse: Bool, threads: Int = 1
  ) -> FloatTensor {
    let c = x.channels
    precondition(beta.count == c, "beta has C values")
    precondition(gamma.count == c * c, "gamma is C × C")
    let plane = x.planeSize
    var out = [Float](repeating: 0, count: x.values.count)
    guard c > 0 && plane > 0 else { return x }
    // Implementation note: planar order keeps the innermost loop over contiguous pixels, which
    // vectorizes; pixels go in chunks so the squares of a chunk stay in cache.
    let chunk = 256
    x.values.withUnsafeBufferPointer { xb in
      beta.withUnsafeBufferPointer { bb in
        gamma.withUnsafeBufferPointer { gb in
          out.withUnsafeMutableBufferPointer { ob in
            guard xb.baseAddress != nil, bb.baseAddress != nil, gb.baseAddress != nil,
              ob.baseAddress != nil
            else { return }
            let src = SharedReads(buffer: xb)
            let b = SharedReads(buffer: bb)
            let g = SharedReads(buffer: gb)
            let dst = DisjointWrites(buffer: ob)
            let width = x.width
            DisjointWork.forEachBand(x.height, threads: threads) { rows in
              let squares = UnsafeMutablePointer<Float>.allocate(capacity: c * chunk)
              let norm = UnsafeMutablePointer<Float>.allocate(capacity: chunk)
              defer {
                squares.deallocate()
                norm.deallocate()
              }
              var start = rows.lowerBound * width
              let end = rows.upperBound * width
              while start < end {
                let n = min(chunk, end - start)
                for j in 0..<c {
                  let xj = src.base + j * plane + start
                  let sj = squares + j * chunk
                  for p in 0..<n { sj[p] = xj[p] * xj[p] }
                }
                for i in 0..<c {
                  let beta = b.base[i]
                  for p in 0..<n { norm[p] = beta }
                  let gi = g.base + i * c
                  for j in 0..<c {
                    let gij = gi[j]
                    let sj = squares + j * chunk
                    for p in 0..<n { norm[p] += gij * sj[p] }
                  }
                  let xi = src.base + i * plane + start
                  let oi = dst.base + i * plane + start
                  if inverse {
                    for p in 0..<n { oi[p] = xi[p] * norm[p].squareRoot() }
                  } else {
                    for p in 0..<n { oi[p] = xi[p] / norm[p].squareRoot() }
                  }
                }
                start += n
              }
            }
          }
        }
      }
    }
    return FloatTensor(channels: c, height: x.height, width: x.width, values: out)
  }
}
