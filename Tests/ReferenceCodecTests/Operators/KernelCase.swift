import ReferenceCodec
import Testing

/// A random convolution layer and input for checkasm-style comparisons.
struct KernelCase: Sendable, CustomTestStringConvertible {
  var transposed: Bool
  var inputChannels: Int
  var outputChannels: Int
  var kernel: Int
  var stride: Int
  var padding: Int
  var outputPadding = 0
  var height: Int
  var width: Int

  var testDescription: String {
    "\(transposed ? "deconv" : "conv") \(inputChannels)→\(outputChannels) k\(kernel) s\(stride) "
      + "p\(padding)\(transposed ? " op\(outputPadding)" : "") \(height)×\(width)"
  }

  static func conv(_ cin: Int, _ cout: Int, k: Int, s: Int, p: Int, _ h: Int, _ w: Int)
    -> KernelCase
  {
    KernelCase(
      transposed: false, inputChannels: cin, outputChannels: cout, kernel: k, stride: s,
      padding: p, height: h, width: w)
  }

  static func deconv(
    _ cin: Int, _ cout: Int, k: Int = 5, s: Int = 2, p: Int = 2, op: Int = 1, _ h: Int, _ w: Int
  ) -> KernelCase {
    KernelCase(
      transposed: true, inputChannels: cin, outputChannels: cout, kernel: k, stride: s,
      padding: p, outputPadding: op, height: h, width: w)
  }

  /// A layer and an input whose accumulator bound (§3) is at most 2^31 − 1 but not far below
  /// it: the weight range is the widest the input range allows, up to the full int16 range.
  func make(seed: UInt64) -> (ConvolutionLayer, ActivationTensor) {
    var rng = SplitMix64(seed: seed)
    let bounds: [Int64] = [32767, 4095, 255, 1]
    let x = bounds[Int.random(in: 0..<bounds.count, using: &rng)]
    let taps = Int64(inputChannels * kernel * kernel)
    let biasBound: Int64 = 1 << 20
    let wmax = Int16(min(32767, (Int64(Int32.max) - biasBound) / (taps * x)))
    // The full int16 range, −32768 included, where the bound allows it.
    let wmin = wmax == 32767 && taps * 32768 * x + biasBound <= Int64(Int32.max) ? -32768 : -wmax
    let weights = (0..<(inputChannels * outputChannels * kernel * kernel)).map { _ in
      Int16.random(in: wmin...wmax, using: &rng)
    }
    let biases = (0..<outputChannels).map { _ in
      Int32.random(in: -Int32(biasBound)...Int32(biasBound), using: &rng)
    }
    // Requantization that keeps outputs in range for typical accumulators, plus random extremes.
    let multipliers = (0..<outputChannels).map { _ in
      Int32.random(in: (1 << 30)...Int32.max, using: &rng)
    }
    let shifts = (0..<outputChannels).map { _ in
      Bool.random(using: &rng)
        ? Int.random(in: 0...62, using: &rng) : Int.random(in: 36...48, using: &rng)
    }
    let lo = Int32.random(in: -32767...0, using: &rng)
    let layer = ConvolutionLayer(
      kind: transposed ? .transposed(outputPadding: outputPadding) : .convolution,
      inputChannels: inputChannels, outputChannels: outputChannels, kernel: kernel, stride: stride,
      padding: padding, weights: weights, biases: biases,
      requantization: Requantization(
        multipliers: multipliers, shifts: shifts, lo: lo,
        hi: Int32.random(in: 0...32767, using: &rng)))
    let values = (0..<(inputChannels * height * width)).map { _ -> Int16 in
      switch Int.random(in: 0..<8, using: &rng) {
      case 0: 0
      case 1: Int16(x)
      case 2: Int16(-x)
      default: Int16.random(in: Int16(-x)...Int16(x), using: &rng)
      }
    }
    let input = ActivationTensor(
      channels: inputChannels, height: height, width: width, values: values, exponent: 8,
      lo: Int32(-x), hi: Int32(x))
    return (layer, input)
  }
}
