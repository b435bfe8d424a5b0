import WeightFormat

/// The reverse-process sampler of gic-v1 (spec/bitstream.md §7.3–§7.4): from the dequantized
/// latent, `steps` runs of the `reverse` network mixed with the previous state and, when the
/// stream has a seed, counter-based noise.
extension RateVariable {
  /// Runs the reverse process from ŷ (spec/bitstream.md §7.3).
  ///
  /// - Parameters:
  ///   - yHat: the dequantized latent (the state at q(r)).
  ///   - r: the rate index.
  ///   - n: the number of steps, 0 … ``maxSteps`` (0 returns `yHat`).
  ///   - seed: the noise seed; nil for no noise.
  ///   - threads: worker threads of the reverse network.
  ///   - path: the kernel implementation.
  /// - Returns: the final state.
  func sample(
    _ yHat: ChannelsLastActivations, rateIndex r: Int, steps n: Int, seed: UInt64?,
    threads: Int, path: KernelPath
  ) -> ChannelsLastActivations {
    guard n > 0 else { return yHat }
    var x = yHat
    let (lo, hi) = (Int64(x.lo), Int64(x.hi))
    for i in 0..<n {
      let level = r + offsets[n - 1][i]
      let estimate = reverse.run([x], level: level, threads: threads, path: path)[0]
      if i == n - 1 {
        x = estimate
        break
      }
      let rho = ratios[n - 1][i]
      let alpha = alphas[n - 1][i]
      let qNext = q[r + offsets[n - 1][i + 1]]
      let shift = Self.ratioBits + 16 + 8
      let stride = x.channelStride
      for row in 0..<x.height {
        for column in 0..<x.width {
          let p = (row * x.width + column) * stride
          for c in 0..<x.channels {
            let e = Int64(estimate.values[p + c])
            var v = e + IntegerMath.rshift(rho * (Int64(x.values[p + c]) - e), Self.ratioBits)
            if let seed {
              let u = Int64(
                SamplerNoise.value(seed: seed, step: i, channel: c, row: row, column: column))
              v += IntegerMath.rshift(alpha * qNext * u, shift)
            }
            x.values[p + c] = Int16(min(max(v, lo), hi))
          }
        }
      }
    }
    return x
  }
}

/// The sampler's counter-based noise (spec/bitstream.md §7.4): a pure function of the seed and
/// the position, so it does not depend on the order or thread that asks.
public enum SamplerNoise {
  /// v in −32768 … 32767, standing for u = v / 65536 ∈ [−½, ½).
  ///
  /// key = ((step·2^16 + channel)·2^16 + row)·2^16 + column (mod 2^64),
  /// z = seed + key·0x9E3779B97F4A7C15, then SplitMix64's finalizer; v = the top 16 bits of z
  /// as a two's-complement int16.
  @inlinable
  public static func value(seed: UInt64, step: Int, channel: Int, row: Int, column: Int) -> Int16 {
    let key =
      ((UInt64(step) &<< 48) | (UInt64(channel & 0xFFFF) &<< 32) | (UInt64(row & 0xFFFF) &<< 16)
        | UInt64(column & 0xFFFF))
    let z = SplitMix64.mix(seed &+ key &* SplitMix64.increment)
    return Int16(bitPattern: UInt16(truncatingIfNeeded: z &>> 48))
  }
}
