import WeightFormat

/// The integer codec of the CompressAI profiles `bmshj2018-hyperprior` and `mbt2018-mean`
/// (spec/bitstream.md §6), `gic-v1` (§7) and `bmshj2018-factorized` (§10).
///
/// Four stored graphs: analysis `g_a` (x → y), hyper-analysis `h_a` (y → z), hyper-synthesis
/// `h_s` (ẑ → scales[, means]) and synthesis `g_s` (ŷ → x̂). z is coded with the factorized table
/// `entropy_bottleneck` around integer medians, y with the Gaussian table `gaussian_conditional`
/// whose row each scale selects. `bmshj2018-factorized` has no hyperprior: two graphs (`g_a`,
/// `g_s`), and y is coded with the factorized table around its medians. `mbt2018` (§11) adds
/// the context model's graphs `context_prediction` and `entropy_parameters`: h_s gives params,
/// and each latent position's scales and means come from them and the latents before it.
///
/// Bit-exact: encoding and decoding are integer-only; the bytes and pixels do not depend on the
/// thread count or kernel path.
public struct HyperpriorCodec: Sendable {
  public let profile: Bitstream.Profile
  /// The first 8 bytes of the model digest, as bitstreams record it.
  public let digestPrefix: [UInt8]
  /// The model digest, lower-case hexadecimal.
  public let modelDigest: String
  /// Image sizes are padded to a multiple of this (the hyper-latent's stride).
  public let multiple: Int
  /// The latent y's stride.
  public let latentStride: Int
  public let analysis: IntegerGraph
  /// The hyper-analysis; nil for `bmshj2018-factorized`.
  public let hyperAnalysis: IntegerGraph?
  /// The hyper-synthesis; nil for `bmshj2018-factorized`.
  public let hyperSynthesis: IntegerGraph?
  public let synthesis: IntegerGraph
  /// The factorized model of z (of y for `bmshj2018-factorized`).
  let factorized: FactorizedModel
  /// Its integer medians, one per channel of z (of y for `bmshj2018-factorized`).
  let medians: [Int32]
  /// The Gaussian conditional table; nil for `bmshj2018-factorized`.
  let gaussianTable: EntropyTable?
  /// Row choice: one model (fixed-rate profiles), one per rate index (gic-v1), none
  /// (`bmshj2018-factorized`).
  let scaleModels: [GaussianConditionalModel]
  /// Rate control and the reverse process (gic-v1 only).
  public let rateVariable: RateVariable?
  /// The autoregressive context model (`mbt2018` only).
  let contextModel: ContextModel?
  /// The context model's stored graphs `context_prediction` and `entropy_parameters`
  /// (`mbt2018` only; the codec runs them position by position through ``contextModel``).
  public let contextGraphs: (contextPrediction: IntegerGraph, entropyParameters: IntegerGraph)?

  /// What one picture may cost (checked before each encode and decode); set by
  /// ``init(file:budget:)``.
  public internal(set) var budget = ResourceBudget.standard

  /// The largest coded (padded) picture, in pixels; bounds every allocation of a decode.
  public static let maxPaddedPixels = 1 << 26

  /// Loads a codec model, building its graphs on up to `threads` threads (the codec does not
  /// depend on it).
  ///
  /// - Throws: ``ModelError`` if the container is not a hyperprior codec model or any graph,
  ///   table or tensor breaks its rules.
  public init(file: WeightFile, threads: Int = 1) throws(ModelError) {
    guard case .string(let name) = file.metadata(CodecModelSchema.Key.profile) else {
      throw .notACodecModel(reason: "no gic.profile metadata")
    }
    guard let profile = ModelProfile(name: name), profile.isCodec else {
      let codecs = ModelProfile.codecProfiles.map(\.name).joined(separator: ", ")
      throw .notACodecModel(
        reason: "it was converted with profile '\(name)', which stores the export's arrays as-is "
          + "and no integer codec graphs; convert the export with a codec profile (\(codecs)): "
          + "'gic-convert inspect <export>.npz' says whether one reads it")
    }
    self.profile = profile
    digestPrefix = Array(file.modelDigest.prefix(8))
    modelDigest = file.modelDigestHex
    let hyperStride = try file.integerMetadata(CodecModelSchema.Key.hyperStride)
    let latentStride = try file.integerMetadata(CodecModelSchema.Key.latentStride)
    guard [16, 32, 64, 128].contains(hyperStride), [4, 8, 16, 32].contains(latentStride),
      hyperStride % latentStride == 0
    else {
      throw .missing(
        what: "valid strides",
        reason: "gic.codec.hyper_stride \(hyperStride), gic.codec.latent_stride \(latentStride)")
    }
    multiple = Int(hyperStride)
    self.latentStride = Int(latentStride)
    let graph = CodecModelSchema.Graph.self
    let graphs = try IntegerGraph.load(
      file: file,
      names: profile.hasHyperprior
        ? [graph.analysis, graph.synthesis, graph.hyperAnalysis, graph.hyperSynthesis]
          + (profile.hasContextModel ? [graph.contextPrediction, graph.entropyParameters] : [])
        : [graph.analysis, graph.synthesis],
      threads: threads)
    analysis = graphs[0]
    synthesis = graphs[1]
    guard profile.hasHyperprior else {
      hyperAnalysis = nil
      hyperSynthesis = nil
      gaussianTable = nil
      scaleModels = []
      rateVariable = nil
      contextModel = nil
      contextGraphs = nil
      (factorized, medians) = try Self.loadFactorizedLatent(
        file: file, analysis: analysis, synthesis: synthesis, multiple: multiple,
        latentStride: self.latentStride)
      return
    }
    let (hyperAnalysis, hyperSynthesis) = (graphs[2], graphs[3])
    self.hyperAnalysis = hyperAnalysis
    self.hyperSynthesis = hyperSynthesis
    let scaleBits: Int
    do {
      factorized = try FactorizedModel(file: file, name: CodecModelSchema.Table.factorized)
      if profile == .gicV1 {
        let gaussian = CodecModelSchema.Table.gaussian
        guard let cdf = file.cdfTable(named: gaussian) else {
          throw EntropyError.invalidTable(reason: "the model has no table \(gaussian)")
        }
        let table = try EntropyTable(cdf, name: gaussian)
        gaussianTable = table
        let rate = try RateVariable(file: file, rows: table.rowCount)
        scaleModels = rate.scaleModels
        rateVariable = rate
        scaleBits = rate.scaleExponent
      } else {
        let gaussian = try GaussianConditionalCoder(
          file: file, name: CodecModelSchema.Table.gaussian)
        gaussianTable = gaussian.table
        scaleModels = [gaussian.model]
        rateVariable = nil
        scaleBits = gaussian.scaleFractionBits
      }
    } catch let error as EntropyError {
      throw .missing(what: "entropy tables", reason: error.description)
    } catch let error as ModelError {
      throw error
    } catch {
      throw .missing(what: "entropy tables", reason: "\(error)")
    }
    try Self.checkInterfaces(
      analysis, hyperAnalysis, hyperSynthesis, synthesis, means: profile != .bmshj2018Hyperprior,
      context: profile.hasContextModel, scaleBits: scaleBits)
    if profile.hasContextModel {
      contextGraphs = (graphs[4], graphs[5])
      contextModel = try Self.loadContextModel(
        contextPrediction: graphs[4], entropyParameters: graphs[5],
        hyperSynthesis: hyperSynthesis, synthesis: synthesis, scaleBits: scaleBits)
    } else {
      contextGraphs = nil
      contextModel = nil
    }
    try Self.checkStrides(
      analysis, hyperAnalysis, hyperSynthesis, synthesis, reverse: rateVariable?.reverse,
      multiple: multiple, latentStride: self.latentStride)
    if let rate = rateVariable {
      try rate.check(latent: analysis.outputs[0], synthesisInput: synthesis.values[0])
    }
    let z = hyperAnalysis.outputs[0]
    guard factorized.channels == z.channels else {
      throw .missing(
        what: "entropy_bottleneck rows",
        reason: "\(factorized.channels) rows for \(z.channels) hyper-latent channels")
    }
    medians = try Self.loadMedians(file: file, channels: z.channels)
  }

  /// The integer medians of the factorized model, one per channel, each within ±2^20.
  static func loadMedians(file: WeightFile, channels: Int) throws(ModelError) -> [Int32] {
    let medians = try file.integers(
      CodecModelSchema.Tensor.medians, as: Int32.self, shape: [channels])
    guard medians.allSatisfy({ abs(Int64($0)) <= 1 << 20 }) else {
      throw .missing(what: "entropy_bottleneck.medians", reason: "values beyond ±2^20")
    }
    return medians
  }

  /// Checks a `bmshj2018-factorized` model's two graphs and loads the factorized model of y
  /// with its medians (spec/bitstream.md §10.1).
  static func loadFactorizedLatent(
    file: WeightFile, analysis ga: IntegerGraph, synthesis gs: IntegerGraph, multiple: Int,
    latentStride: Int
  ) throws(ModelError) -> (FactorizedModel, [Int32]) {
    func fail(_ reason: String) -> ModelError {
      .missing(what: "consistent graphs", reason: reason)
    }
    guard ga.inputCount == 1, ga.outputs.count == 1, gs.inputCount == 1, gs.outputs.count == 1
    else { throw fail("g_a and g_s take one input and give one output") }
    let x = ga.values[0]
    guard x.channels == 3, x.exponent == 0, x.lo == 0, x.hi == 255 else {
      throw fail("g_a's input must be 3 channels of 0…255 at exponent 0")
    }
    let y = ga.outputs[0]
    guard (0...14).contains(y.exponent) else {
      throw fail("the latent y's exponent \(y.exponent) is outside 0…14")
    }
    let yHat = gs.values[0]
    guard yHat.channels == y.channels, yHat.exponent == y.exponent else {
      throw fail("g_s's input does not match y")
    }
    let out = gs.outputs[0]
    guard out.channels == 3, out.lo == 0, out.hi == 255 else {
      throw fail("g_s's output must be 3 channels of 0…255")
    }
    for (ph, pw) in [(multiple, multiple), (2 * multiple, multiple), (multiple, 3 * multiple)] {
      let latent = ga.sizes(height: ph, width: pw)[ga.outputIndices[0]]
      let picture = gs.sizes(height: ph / latentStride, width: pw / latentStride)[
        gs.outputIndices[0]]
      guard latent.height == ph / latentStride, latent.width == pw / latentStride,
        picture.height == ph, picture.width == pw
      else {
        throw .missing(
          what: "consistent strides",
          reason:
            "the graphs' sizes do not match gic.codec.hyper_stride \(multiple) and gic.codec.latent_stride \(latentStride) for a \(pw)×\(ph) picture"
        )
      }
    }
    let factorized: FactorizedModel
    do {
      factorized = try FactorizedModel(file: file, name: CodecModelSchema.Table.factorized)
    } catch {
      throw .missing(what: "entropy tables", reason: error.description)
    }
    guard factorized.channels == y.channels else {
      throw .missing(
        what: "entropy_bottleneck rows",
        reason: "\(factorized.channels) rows for \(y.channels) latent channels")
    }
    return (factorized, try loadMedians(file: file, channels: y.channels))
  }

  /// Checks that the graphs' spatial sizes agree with the strides of the metadata, for padded
  /// pictures of one and two multiples in each direction: g_a divides by the latent stride, h_a
  /// by hyper / latent, h_s multiplies back, g_s restores the picture and `reverse` keeps sizes.
  static func checkStrides(
    _ ga: IntegerGraph, _ ha: IntegerGraph, _ hs: IntegerGraph, _ gs: IntegerGraph,
    reverse: IntegerGraph?, multiple: Int, latentStride: Int
  ) throws(ModelError) {
    for (ph, pw) in [(multiple, multiple), (2 * multiple, multiple), (multiple, 3 * multiple)] {
      let latent = (height: ph / latentStride, width: pw / latentStride)
      let hyper = (height: ph / multiple, width: pw / multiple)
      func same(_ a: (height: Int, width: Int), _ b: (height: Int, width: Int)) -> Bool {
        a.height == b.height && a.width == b.width
      }
      func out(_ g: IntegerGraph, _ s: (height: Int, width: Int)) -> [(height: Int, width: Int)] {
        let sizes = g.sizes(height: s.height, width: s.width)
        return g.outputIndices.map { sizes[$0] }
      }
      guard out(ga, (ph, pw)).allSatisfy({ same($0, latent) }),
        out(ha, latent).allSatisfy({ same($0, hyper) }),
        out(hs, hyper).allSatisfy({ same($0, latent) }),
        out(gs, latent).allSatisfy({ same($0, (ph, pw)) }),
        reverse.map({ out($0, latent).allSatisfy { same($0, latent) } }) ?? true
      else {
        throw .missing(
          what: "consistent strides",
          reason:
            "the graphs' sizes do not match gic.codec.hyper_stride \(multiple) and gic.codec.latent_stride \(latentStride) for a \(pw)×\(ph) picture"
        )
      }
    }
  }

  /// Checks that the four graphs connect: formats of x, y, z, ẑ, ŷ, scales and means (with a
  /// context model, h_s gives one output, params, checked by ``loadContextModel``).
  static func checkInterfaces(
    _ ga: IntegerGraph, _ ha: IntegerGraph, _ hs: IntegerGraph, _ gs: IntegerGraph, means: Bool,
    context: Bool = false, scaleBits: Int
  ) throws(ModelError) {
    func fail(_ reason: String) -> ModelError {
      .missing(what: "consistent graphs", reason: reason)
    }
    guard ga.inputCount == 1, ga.outputs.count == 1, ha.inputCount == 1, ha.outputs.count == 1,
      hs.inputCount == 1, hs.outputs.count == (means && !context ? 2 : 1), gs.inputCount == 1,
      gs.outputs.count == 1
    else {
      throw fail(
        "g_a, h_a, g_s take one input and give one output; h_s gives "
          + (context ? "params (mbt2018, cheng2020-anchor, cheng2020-attn)" : "scales[, means]"))
    }
    let x = ga.values[0]
    guard x.channels == 3, x.exponent == 0, x.lo == 0, x.hi == 255 else {
      throw fail("g_a's input must be 3 channels of 0…255 at exponent 0")
    }
    let y = ga.outputs[0]
    guard (0...14).contains(y.exponent) else {
      throw fail("the latent y's exponent \(y.exponent) is outside 0…14")
    }
    guard ha.values[0].channels == y.channels, ha.values[0].exponent == y.exponent,
      ha.values[0].lo <= y.lo, ha.values[0].hi >= y.hi
    else { throw fail("h_a's input does not take g_a's output") }
    let z = ha.outputs[0]
    guard (0...14).contains(z.exponent) else {
      throw fail("the hyper-latent z's exponent \(z.exponent) is outside 0…14")
    }
    let zHat = hs.values[0]
    guard zHat.channels == z.channels, zHat.exponent == z.exponent else {
      throw fail("h_s's input does not match h_a's output")
    }
    let scales = hs.outputs[0]
    guard context || (scales.channels == y.channels && scales.exponent == scaleBits) else {
      throw fail(
        "h_s's scales (\(scales.channels) channels, exponent \(scales.exponent)) do not match y and the scale thresholds (\(scaleBits) fraction bits)"
      )
    }
    if means && !context {
      let mu = hs.outputs[1]
      guard mu.channels == y.channels, mu.exponent == y.exponent else {
        throw fail("h_s's means must have y's channels and exponent")
      }
    }
    let yHat = gs.values[0]
    guard yHat.channels == y.channels, yHat.exponent == y.exponent else {
      throw fail("g_s's input does not match y")
    }
    let out = gs.outputs[0]
    guard out.channels == 3, out.lo == 0, out.hi == 255 else {
      throw fail("g_s's output must be 3 channels of 0…255")
    }
  }
}
