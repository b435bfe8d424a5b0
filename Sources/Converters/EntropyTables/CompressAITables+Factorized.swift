import Foundation
import WeightFormat

extension CompressAITables {
  /// The parameters of an `EntropyBottleneck`'s factorized density: per channel, K layers of
  /// `softplus(matrix)` (out × in), bias (out) and, except in the last layer, `tanh(factor)`
  /// (out), with widths 1 → filters… → 1.
  struct FactorizedDensity {
    /// Layer widths: `widths[0] = 1`, `widths[K] = 1`.
    var widths: [Int]
    /// Per layer, `channels × out × in` values of `softplus(matrix)`.
    var weights: [[Double]]
    /// Per layer, `channels × out` biases.
    var biases: [[Double]]
    /// Per layer except the last, `channels × out` values of `tanh(factor)`.
    var gates: [[Double]]

    /// The three spellings of parameter `kind` (`matrices`, `biases`, `factors`) of layer k.
    static func spellings(_ kind: String, layer k: Int) -> [String] {
      let singular = ["matrices": "matrix", "biases": "bias", "factors": "factor"][kind] ?? kind
      return ["\(kind).\(k)", "_\(singular)\(k)", "_\(kind).\(k)"]
    }

    /// The one spelling of parameter `kind` of layer k present under `prefix`, if any.
    static func find(_ kind: String, layer k: Int, prefix: String, in arrays: [String: NumPyArray])
      throws(EntropyTableError) -> String?
    {
      let present = spellings(kind, layer: k).map { "\(prefix).\($0)" }.filter { arrays[$0] != nil }
      guard present.count <= 1 else { throw .ambiguousParameter(names: present) }
      return present.first
    }

    init(prefix: String, channels: Int, arrays: [String: NumPyArray]) throws(EntropyTableError) {
      var matrixNames: [String] = []
      while let name = try Self.find(
        "matrices", layer: matrixNames.count, prefix: prefix, in: arrays)
      {
        matrixNames.append(name)
        guard matrixNames.count <= 64 else {
          throw .inconsistentDensity(name: name, reason: "more than 64 layers")
        }
      }
      guard !matrixNames.isEmpty else {
        throw .missingArray(name: "\(prefix).\(Self.spellings("matrices", layer: 0)[0])")
      }
      let layers = matrixNames.count
      widths = [1]
      weights = []
      biases = []
      gates = []
      for k in 0..<layers {
        let name = matrixNames[k]
        let (shape, matrix) = try CompressAITables.floats(name, in: arrays)
        let input = widths[k]
        guard shape.count == 3, shape[0] == channels, shape[1] >= 1, shape[1] <= 1024,
          shape[2] == input, k < layers - 1 || shape[1] == 1
        else {
          let out = k == layers - 1 ? "1" : "filters"
          throw .badShape(name: name, shape: shape, expected: "(\(channels), \(out), \(input))")
        }
        let output = shape[1]
        widths.append(output)
        weights.append(try Self.checked(matrix, name: name).map(Self.softplus))

        guard let biasName = try Self.find("biases", layer: k, prefix: prefix, in: arrays) else {
          throw .missingArray(name: "\(prefix).\(Self.spellings("biases", layer: k)[0])")
        }
        let (biasShape, bias) = try CompressAITables.floats(biasName, in: arrays)
        guard biasShape == [channels, output, 1] else {
          throw .badShape(name: biasName, shape: biasShape, expected: "(\(channels), \(output), 1)")
        }
        biases.append(try Self.checked(bias, name: biasName))

        if k < layers - 1 {
          guard let factorName = try Self.find("factors", layer: k, prefix: prefix, in: arrays)
          else {
            throw .missingArray(name: "\(prefix).\(Self.spellings("factors", layer: k)[0])")
          }
          let (factorShape, factor) = try CompressAITables.floats(factorName, in: arrays)
          guard factorShape == [channels, output, 1] else {
            throw .badShape(
              name: factorName, shape: factorShape, expected: "(\(channels), \(output), 1)")
          }
          gates.append(try Self.checked(factor, name: factorName).map { tanh($0) })
        }
      }
    }

    static func checked(_ values: [Double], name: String) throws(EntropyTableError) -> [Double] {
      if let i = values.firstIndex(where: { !$0.isFinite }) {
        throw .invalidParameter(name: name, index: i, reason: "\(values[i]) is not finite")
      }
      return values
    }

    /// torch's `F.softplus` (β = 1, threshold 20): x above 20, else log(1 + eˣ).
    static func softplus(_ x: Double) -> Double { x > 20 ? x : log1p(exp(x)) }

    func evaluator() -> Evaluator {
      let width = widths.max() ?? 1
      return Evaluator(
        density: self, current: .init(repeating: 0, count: width),
        next: .init(repeating: 0, count: width))
    }

    /// Evaluates the cumulative logits with reusable buffers.
    struct Evaluator {
      let density: FactorizedDensity
      var current: [Double]
      var next: [Double]

      /// The cumulative logit ℓ(x) of channel c: `l = x`; per layer k,
      /// `l = softplus(M_k)·l + b_k`, then, except in the last layer, `l += tanh(f_k)·tanh(l)`.
      mutating func logits(channel c: Int, at x: Double) -> Double {
        current[0] = x
        let layers = density.weights.count
        for k in 0..<layers {
          let input = density.widths[k]
          let output = density.widths[k + 1]
          let w = density.weights[k]
          let b = density.biases[k]
          for o in 0..<output {
            var sum = 0.0
            let row = (c * output + o) * input
            for i in 0..<input { sum += w[row + i] * current[i] }
            var value = sum + b[c * output + o]
            if k < layers - 1 { value += density.gates[k][c * output + o] * tanh(value) }
            next[o] = value
          }
          swap(&current, &next)
        }
        return current[0]
      }
    }
  }
}
