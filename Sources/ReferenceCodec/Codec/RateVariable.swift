import WeightFormat

/// Rate control and the reverse process of the generative profile `gic-v1`
/// (spec/bitstream.md §7).
///
/// A rate index r (0 … levels − 1) selects the quantization step q(r); the latent symbols are
/// rdiv((y − μ)·2^8, q(r)) and their Gaussian rows come from the thresholds of r. The decoder
/// then runs the reverse network `reverse` for `steps` steps at the levels r + d[n][i], mixing
/// states with the integer ratios ρ[n][i] and, when the stream has a seed, noise from the
/// counter-based generator ``SamplerNoise``. Everything is integer; the tables are the
/// converter's.
public struct RateVariable: Sendable {
  /// The most reverse-process steps a stream may ask for.
  public static let maxSteps = 4
  /// Fraction bits of the mixing ratios and noise strengths.
  static let ratioBits = 15

  /// Rate indices 0 ..< `rateLevels` (r = rateLevels − 1 codes the most bits).
  public let rateLevels: Int
  /// Levels beyond the last rate index that the reverse process reaches.
  public let extraLevels: Int
  /// q(ℓ) for ℓ in 0 ..< rateLevels + extraLevels, in units of 2^−(e_y + 8).
  let q: [Int64]
  /// Per rate index, the Gaussian row model in units of the scales (2^−e_σ).
  let scaleModels: [GaussianConditionalModel]
  /// The scales' exponent e_σ.
  let scaleExponent: Int
  /// Row n − 1: level offsets d[n][i], mixing ratios ρ[n][i] (Q15), noise strengths α[n][i] (Q15).
  let offsets: [[Int]]
  let ratios: [[Int64]]
  let alphas: [[Int64]]
  /// The reverse network (input x: the current latent; output: the clean-latent estimate).
  public let reverse: IntegerGraph
  /// The fraction bits of `q`.
  let qFractionBits: Int

  /// Loads the rate tables, sampler tables and the `reverse` graph.
  ///
  /// - Throws: ``ModelError`` naming the table at fault.
  init(file: WeightFile, rows: Int) throws(ModelError) {
    let levels = try file.integerMetadata(CodecModelSchema.Key.rateLevels)
    let extra = try file.integerMetadata(CodecModelSchema.Key.rateExtraLevels)
    guard (2...65536).contains(levels), (0...4096).contains(extra) else {
      throw .missing(what: "rate levels", reason: "gic.rate.levels \(levels), extra \(extra)")
    }
    rateLevels = Int(levels)
    extraLevels = Int(extra)
    let total = rateLevels + extraLevels
    guard let qRecord = file.tensor(named: CodecModelSchema.Tensor.rateQ),
      case .perTensor(let qq) = qRecord.quantization, qq.multiplier == 1,
      (8...30).contains(qq.shift)
    else {
      throw .missing(what: "rate.q", reason: "an int32 vector quantized per tensor with shift 8…30")
    }
    qFractionBits = Int(qq.shift)
    q = try file.integers(CodecModelSchema.Tensor.rateQ, as: Int32.self, shape: [total]).map(
      Int64.init)
    guard q.allSatisfy({ $0 >= 1 }), zip(q, q.dropFirst()).allSatisfy({ $0 >= $1 }) else {
      throw .missing(what: "rate.q", reason: "steps must be positive and non-increasing")
    }
    let name = CodecModelSchema.Tensor.scaleThresholdsByRate
    guard let tRecord = file.tensor(named: name),
      case .perTensor(let tq) = tRecord.quantization, tq.multiplier == 1,
      (0...24).contains(tq.shift)
    else {
      throw .missing(what: name, reason: "an int32 table quantized per tensor with shift 0…24")
    }
    scaleExponent = Int(tq.shift)
    let thresholds = try file.integers(name, as: Int32.self, shape: [rateLevels, rows - 1])
    var models: [GaussianConditionalModel] = []
    for r in 0..<rateLevels {
      do {
        models.append(
          try GaussianConditionalModel(
            thresholds: thresholds[(r * (rows - 1))..<((r + 1) * (rows - 1))].map(Int64.init)))
      } catch {
        throw .missing(what: name, reason: "rate index \(r): \(error)")
      }
    }
    scaleModels = models
    let n = Self.maxSteps
    let d = try file.integers(
      CodecModelSchema.Tensor.samplerLevelOffsets, as: Int32.self, shape: [n, n])
    let rho = try file.integers(
      CodecModelSchema.Tensor.samplerRatio, as: Int32.self, shape: [n, n])
    let alpha = try file.integers(
      CodecModelSchema.Tensor.samplerAlpha, as: Int32.self, shape: [n, n])
    let offsets = (0..<n).map { row in (0..<n).map { Int(d[row * n + $0]) } }
    let ratios = (0..<n).map { row in (0..<n).map { Int64(rho[row * n + $0]) } }
    let alphas = (0..<n).map { row in (0..<n).map { Int64(alpha[row * n + $0]) } }
    self.offsets = offsets
    self.ratios = ratios
    self.alphas = alphas
    let one = Int64(1) << Self.ratioBits
    let extraLevels = self.extraLevels
    for steps in 1...n {
      let o = offsets[steps - 1]
      guard o[0] == 0, (1..<steps).allSatisfy({ o[$0] > o[$0 - 1] }), o[steps - 1] <= extraLevels,
        (0..<steps).allSatisfy({ (0...one).contains(ratios[steps - 1][$0]) }),
        (0..<steps).allSatisfy({ (0...one).contains(alphas[steps - 1][$0]) })
      else {
        throw .missing(
          what: "sampler tables",
          reason:
            "row \(steps - 1): offsets must start at 0, increase and stay within the extra levels; ratios and strengths in 0…2^15"
        )
      }
    }
    reverse = try IntegerGraph(file: file, name: CodecModelSchema.Graph.reverse)
  }

  /// Checks the tables and the reverse graph against the latent's format.
  func check(latent y: IntegerGraph.Value, synthesisInput: IntegerGraph.Value) throws(ModelError) {
    func fail(_ reason: String) -> ModelError {
      .missing(what: "consistent rate tables", reason: reason)
    }
    guard qFractionBits == y.exponent + 8 else {
      throw fail(
        "rate.q has \(qFractionBits) fraction bits; the latent's exponent is \(y.exponent)")
    }
    guard reverse.inputCount == 1, reverse.outputs.count == 1,
      reverse.values[0].channels == y.channels, reverse.values[0].exponent == y.exponent,
      reverse.outputs[0].channels == y.channels, reverse.outputs[0].exponent == y.exponent,
      reverse.values[0].lo <= synthesisInput.lo, reverse.values[0].hi >= synthesisInput.hi,
      reverse.outputs[0].lo >= synthesisInput.lo, reverse.outputs[0].hi <= synthesisInput.hi
    else {
      throw fail(
        "the reverse graph must map g_s's input format (channels, exponent, clamp range) into itself"
      )
    }
    guard reverse.levels == rateLevels + extraLevels else {
      throw fail("the reverse graph's conditioning tables have \(reverse.levels) levels")
    }
  }
}
