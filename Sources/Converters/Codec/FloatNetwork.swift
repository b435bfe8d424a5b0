/// A network in floating point, as the converter reads it from a state dict: the source of the
/// integer graph and the model the calibration runs.
struct FloatNetwork: Sendable {
  /// One layer: its operator, parameters and the value it produces.
  struct Layer: Sendable {
    enum Kind: Sendable {
      /// Convolution (weights (C_out, C_in, k, k)) or transposed convolution (weights
      /// (C_in, C_out, k, k), PyTorch's layout).
      case convolution(
        weight: [Float], bias: [Float], inChannels: Int, outChannels: Int, kernel: Int,
        stride: Int, padding: Int, transposed: Bool, outputPadding: Int)
      /// GDN or inverse GDN with effective (un-reparametrised) β (C) and γ (C, C).
      case gdn(beta: [Double], gamma: [Double], inverse: Bool)
      case leakyReLU(slope: Double)
      case abs
      /// out[c, y·r + i, x·r + j] = in[c·r² + i·r + j, y, x].
      case pixelShuffle(factor: Int)
      /// The sum of the layer's input and `other`.
      case add(other: String)
      /// The channel concatenation of the layer's input and `others`, in that order.
      case concat(others: [String])
      /// `torch.sigmoid` (stored as a `lookup` table, spec/integer-ops.md §6.1.1).
      case sigmoid
      /// The element-wise product of the layer's input and `other` (equal shapes).
      case mul(other: String)
      /// Per-level channel affine: out = in · scale[level][c] + bias[level][c] (FiLM with the
      /// conditioning folded per level by the converter).
      case film(scale: [[Double]], bias: [[Double]])
    }

    var kind: Kind
    /// A ReLU follows (folded into the integer node's clamp).
    var relu: Bool = false
    var input: String
    /// The value produced.
    var output: String
    /// The prefix of the layer's parameter tensors (CompressAI's module path).
    var prefix: String
  }

  var name: String
  var input: String
  var inputChannels: Int
  var layers: [Layer]
  var outputs: [String]
  /// Further graph inputs after `input` (name, channels), in order.
  var extraInputs: [(name: String, channels: Int)] = []

  /// Runs the network, returning every value it computes (input included) by name.
  ///
  /// - Parameters:
  ///   - x: the input.
  ///   - extras: the ``extraInputs`` by name.
  ///   - level: the conditioning level of `film` layers.
  ///   - threads: worker threads.
  /// - Returns: every value by name.
  func run(
    _ x: FloatTensor, extras: [String: FloatTensor] = [:], level: Int = 0, threads: Int
  ) -> [String: FloatTensor] {
    var values = extras
    values[input] = x
    for layer in layers {
      guard let v = values[layer.input] else { preconditionFailure("layers in order") }
      var out: FloatTensor
      switch layer.kind {
      case .convolution(
        let w, let b, _, let cout, let k, let stride, let padding, let transposed, let op):
        out =
          transposed
          ? FloatKernels.convTranspose2d(
            v, weight: w, bias: b, outChannels: cout, kernel: k, stride: stride,
            padding: padding, outputPadding: op, threads: threads)
          : FloatKernels.conv2d(
            v, weight: w, bias: b, outChannels: cout, kernel: k, stride: stride,
            padding: padding, threads: threads)
      case .gdn(let beta, let gamma, let inverse):
        out = FloatKernels.gdn(
          v, beta: beta.map { Float($0) }, gamma: gamma.map { Float($0) }, inverse: inverse,
          threads: threads)
      case .leakyReLU(let slope):
        out = FloatKernels.leakyRelu(v, slope: Float(slope))
      case .abs:
        out = FloatKernels.abs(v)
      case .pixelShuffle(let r):
        let c = v.channels / (r * r)
        var o = FloatTensor(channels: c, height: v.height * r, width: v.width * r, repeating: 0)
        for ch in 0..<c {
          for y in 0..<v.height {
            for x in 0..<v.width {
              for i in 0..<r {
                for j in 0..<r {
                  o.values[(ch * o.height + y * r + i) * o.width + x * r + j] =
                    v.values[((ch * r * r + i * r + j) * v.height + y) * v.width + x]
                }
              }
            }
          }
        }
        out = o
      case .add(let other):
        guard let w = values[other] else { preconditionFailure("layers in order") }
        out = v
        for i in out.values.indices { out.values[i] += w.values[i] }
      case .concat(let others):
        // (C, H, W): concatenating channels appends planes.
        var all = v.values
        var channels = v.channels
        for name in others {
          guard let w = values[name] else { preconditionFailure("layers in order") }
          all += w.values
          channels += w.channels
        }
        out = FloatTensor(channels: channels, height: v.height, width: v.width, values: all)
      case .sigmoid:
        out = FloatKernels.sigmoid(v)
      case .mul(let other):
        guard let w = values[other] else { preconditionFailure("layers in order") }
        out = FloatKernels.multiply(v, w)
      case .film(let scale, let bias):
        out = v
        let plane = v.height * v.width
        for c in 0..<v.channels {
          let (a, b) = (Float(scale[level][c]), Float(bias[level][c]))
          for p in 0..<plane { out.values[c * plane + p] = v.values[c * plane + p] * a + b }
        }
      }
      if layer.relu { out = FloatKernels.relu(out) }
      values[layer.output] = out
    }
    return values
  }
}
