import CKernels
import WeightFormat

extension Requantization {
  /// Requantizes channels-last accumulators (§2.2) into channels-last int16 values with pixel
  /// stride `stride`, leaving the values between `channels` and `stride` as they are.
  ///
  /// Bit-exact: equals `IntegerMath.requant` for every int32 accumulator, multiplier in
  /// 1 … 2^31 − 1 and shift in 0 … 62.
  public static func requantize(
    _ acc: [Int32], channels: Int, into out: inout [Int16], stride: Int, multipliers: [Int32],
    shifts: [Int32], lo: Int32, hi: Int32, threads: Int = 1, path: KernelPath = .automatic
  ) {
    precondition(multipliers.count == channels && shifts.count == channels, "one per channel")
    precondition(channels > 0 && acc.count % channels == 0, "whole pixels")
    let pixels = acc.count / channels
    precondition(stride >= channels && out.count >= pixels * stride, "output size")
    precondition(-32767 <= lo && lo <= hi && hi <= 32767, "clamp range within ±32767")
    precondition(multipliers.allSatisfy { $0 >= 1 }, "multipliers 1 … 2^31 − 1")
    precondition(shifts.allSatisfy { (0...62).contains($0) }, "shifts 0 … 62")
    let bands = DisjointWork.bands(pixels, parts: threads)
    let pathCode = path.code
    acc.withUnsafeBufferPointer { a in
      multipliers.withUnsafeBufferPointer { m in
        shifts.withUnsafeBufferPointer { s in
          out.withUnsafeMutableBufferPointer { o in
            let output = DisjointWrites(buffer: o)
            let (source, mul, shift) = (
              SharedReads(buffer: a), SharedReads(buffer: m), SharedReads(buffer: s)
            )
            DisjointWork.forEach(bands.count, threads: threads) { k in
              let band = bands[k]
              gic_requant_s32_s16(
                source.pointer(at: band.lowerBound * channels), channels,
                output.pointer(at: band.lowerBound * stride), stride, band.count, Int32(channels),
                mul.pointer(), shift.pointer(), lo, hi, pathCode)
            }
          }
        }
      }
    }
  }
}

/// Requantization (spec/integer-ops.md §2.2) is the last step of every operator with a
/// requantized output; its row in the table checks the stand-alone kernel `requantize`
/// (CKernels `gic_requant_s32_s16`, Requantization/requant.c) against ``IntegerMath/requant``
/// over the whole int32 accumulator range. The convolution kernels fuse the same arithmetic.
extension Requantization {
  /// The parameter tensors 2 and 3 of every node with a per-channel requantized output.
  static let parameterTensors = ["multiplier int32 (1 … 2^31 − 1)", "shift int32 (0 … 62)"]

  static let definition = OperatorDefinition(
    names: [], specSection: "spec/integer-ops.md §2.2", attributes: [],
    parameters: parameterTensors,
    reference: "IntegerMath.requant",
    fastPaths: ["Requantization.requantize: gic_requant_s32_s16 (portable C, AVX2)"],
    build: nil, randomCase: randomCase)

  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase {
    let channels = [1, 2, 7, 8, 9, 16, 17, 64, 67].randomElement(using: &rng) ?? 8
    let pixels = Int.random(in: 1...40, using: &rng)
    var accumulators = (0..<(pixels * channels)).map { _ -> Int32 in
      switch Int.random(in: 0..<6, using: &rng) {
      case 0: Int32.random(in: -70_000...70_000, using: &rng)
      case 1: [Int32.min, Int32.max, 0, -1, 1].randomElement(using: &rng) ?? 0
      default: Int32.random(in: Int32.min...Int32.max, using: &rng)
      }
    }
    accumulators[0] = Int32.min
    let acc = accumulators
    let (m, s) = rng.requantization(channels)
    let shifts = s.map { Int32($0) }
    let lo = Int32.random(in: -32767...0, using: &rng)
    let hi = Int32.random(in: lo...32767, using: &rng)
    let stride = channels + Int.random(in: 0...2, using: &rng)
    return OperatorCase(
      "requant \(channels) channels, \(pixels) pixels, stride \(stride)",
      reference: {
        var expected = [Int16](repeating: 0x5A5A, count: pixels * stride)
        for p in 0..<pixels {
          for c in 0..<channels {
            expected[p * stride + c] = Int16(
              IntegerMath.requant(Int64(acc[p * channels + c]), m[c], s[c], lo, hi))
          }
        }
        return expected
      },
      run: { path, threads in
        var out = [Int16](repeating: 0x5A5A, count: pixels * stride)
        requantize(
          acc, channels: channels, into: &out, stride: stride, multipliers: m, shifts: shifts,
          lo: lo, hi: hi, threads: threads, path: path)
        return out
      })
  }
}
