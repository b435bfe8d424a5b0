import WeightFormat

/// A 2-D convolution or transposed convolution with int16 weights and int32 biases
/// (spec/integer-ops.md §4, §4.1).
public struct ConvolutionLayer: Sendable {
  public enum Kind: Sendable {
    /// Weights (C_out, C_in, k_h, k_w).
    case convolution
    /// Weights (C_in, C_out, k_h, k_w), PyTorch's ConvTranspose2d layout.
    case transposed(outputPadding: Int)
  }

  public let kind: Kind
  public let inputChannels: Int
  public let outputChannels: Int
  public let kernel: Int
  public let stride: Int
  public let padding: Int
  public let weights: [Int16]
  public let biases: [Int32]
  public let requantization: Requantization

  public init(
    kind: Kind, inputChannels: Int, outputChannels: Int, kernel: Int, stride: Int, padding: Int,
    weights: [Int16], biases: [Int32], requantization: Requantization
  ) {
    precondition(weights.count == inputChannels * outputChannels * kernel * kernel, "weights")
    precondition(biases.count == outputChannels, "one bias per output channel")
    precondition(requantization.multipliers.count == outputChannels, "one multiplier per channel")
    self.kind = kind
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    self.kernel = kernel
    self.stride = stride
    self.padding = padding
    self.weights = weights
    self.biases = biases
    self.requantization = requantization
  }

  /// The weight of output channel o, input channel i, kernel position (u, v).
  @inlinable
  func weight(o: Int, i: Int, u: Int, v: Int) -> Int64 {
    switch kind {
    case .convolution:
      Int64(weights[((o * inputChannels + i) * kernel + u) * kernel + v])
    case .transposed:
      Int64(weights[((i * outputChannels + o) * kernel + u) * kernel + v])
    }
  }

  /// The largest accumulator bound B_o over output channels (§3) for inputs bounded by `x`.
  public func accumulatorBound(inputBound x: Int64) -> Int64 {
    let sums = (0..<outputChannels).map { o in
      var sum: Int64 = 0
      for i in 0..<inputChannels {
        for u in 0..<kernel {
          for v in 0..<kernel { sum += abs(weight(o: o, i: i, u: u, v: v)) }
        }
      }
      return sum
    }
    return AccumulatorBound.worst(biases: biases, absoluteSums: sums, inputBound: x)
  }

  /// The output size for an input of `height` × `width`.
  public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
    switch kind {
    case .convolution:
      ((height + 2 * padding - kernel) / stride + 1, (width + 2 * padding - kernel) / stride + 1)
    case .transposed(let op):
      (
        (height - 1) * stride - 2 * padding + kernel + op,
        (width - 1) * stride - 2 * padding + kernel + op
      )
    }
  }

  /// The input rows that output rows `rows` read (§4, §4.1).
  ///
  /// Output row y reads rows y·stride − padding + u of a convolution, and a transposed
  /// convolution's input row i writes rows i·stride − padding + u, for u in 0 ..< kernel. Rows
  /// outside the input are padding.
  public func inputRows(_ rows: Range<Int>) -> Range<Int> {
    guard !rows.isEmpty else { return rows.lowerBound..<rows.lowerBound }
    switch kind {
    case .convolution:
      return
        (rows.lowerBound * stride - padding)..<((rows.upperBound - 1) * stride - padding
        + kernel)
    case .transposed:
      // i·s − p + u ∈ rows for some u: ⌈(first − k + 1 + p) / s⌉ ≤ i ≤ ⌊(last + p) / s⌋.
      let first = Self.floorDivide(rows.lowerBound - kernel + 1 + padding + stride - 1, stride)
      let last = Self.floorDivide(rows.upperBound - 1 + padding, stride)
      return first..<max(first, last + 1)
    }
  }

  /// ⌊a / b⌋ for b > 0.
  static func floorDivide(_ a: Int, _ b: Int) -> Int {
    a >= 0 ? a / b : -((-a + b - 1) / b)
  }

  /// The accumulators a[o, y, x] before requantization, by the definition of §4 / §4.1
  /// (the plain reference: one output position at a time).
  public func referenceAccumulators(_ input: ActivationTensor) -> [Int64] {
    precondition(input.channels == inputChannels, "input channels")
    let (h, w) = outputSize(height: input.height, width: input.width)
    var acc = [Int64](repeating: 0, count: outputChannels * h * w)
    switch kind {
    case .convolution:
      for o in 0..<outputChannels {
        for y in 0..<h {
          for x in 0..<w {
            var a = Int64(biases[o])
            for i in 0..<inputChannels {
              for u in 0..<kernel {
                let iy = y * stride - padding + u
                guard iy >= 0 && iy < input.height else { continue }
                for v in 0..<kernel {
                  let ix = x * stride - padding + v
                  guard ix >= 0 && ix < input.width else { continue }
                  a += weight(o: o, i: i, u: u, v: v) * Int64(input[i, iy, ix])
                }
              }
            }
            acc[(o * h + y) * w + x] = a
          }
        }
      }
    case .transposed:
      for o in 0..<outputChannels {
        for p in 0..<(h * w) { acc[o * h * w + p] = Int64(biases[o]) }
      }
      for i in 0..<inputChannels {
        for y in 0..<input.height {
          for x in 0..<input.width {
            let value = Int64(input[i, y, x])
            if value == 0 { continue }
            for u in 0..<kernel {
              let oy = y * stride - padding + u
              guard oy >= 0 && oy < h else { continue }
              for v in 0..<kernel {
                let ox = x * stride - padding + v
                guard ox >= 0 && ox < w else { continue }
                for o in 0..<outputChannels {
                  acc[(o * h + oy) * w + ox] += weight(o: o, i: i, u: u, v: v) * value
                }
              }
            }
          }
        }
      }
    }
    return acc
  }

  /// Runs the layer with the reference kernel: accumulate (§4), then requantize (§2.2).
  public func reference(_ input: ActivationTensor, outputExponent: Int) -> ActivationTensor {
    let (h, w) = outputSize(height: input.height, width: input.width)
    let acc = referenceAccumulators(input)
    let q = requantization
    var out = [Int16](repeating: 0, count: acc.count)
    for o in 0..<outputChannels {
      for p in 0..<(h * w) {
        out[o * h * w + p] = Int16(
          IntegerMath.requant(acc[o * h * w + p], q.multipliers[o], q.shifts[o], q.lo, q.hi))
      }
    }
    return ActivationTensor(
      channels: outputChannels, height: h, width: w, values: out, exponent: outputExponent,
      lo: q.lo, hi: q.hi)
  }
}
