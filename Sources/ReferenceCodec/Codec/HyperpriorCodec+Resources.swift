import WeightFormat

extension HyperpriorCodec {
  /// What a run does with a picture, for ``needs(width:height:for:)``.
  public enum Work: String, Sendable {
    case encoding, decoding
  }

  /// What encoding or decoding a `width` × `height` picture needs, from the graphs alone.
  ///
  /// The memory is the largest of the phases a run goes through, each counting what is live
  /// then: decoding holds z's symbols through h_s, then h_s's outputs, y's symbols and their
  /// rows (int32 each), then runs g_s (and gic-v1's reverse network) on ŷ, and writes the
  /// picture; encoding holds the picture and runs g_a, h_a and h_s, then quantizes y (int64
  /// symbols) and picks its rows. Each graph's own peak follows its release-after-last-use
  /// order. `bmshj2018-factorized` has no z, h_a, h_s or rows: decoding holds y's symbols
  /// through g_s, encoding the picture through g_a and then y with its int64 symbols. `mbt2018`
  /// adds ŷ (int16) beside the symbols, and its context model's work counted as whole runs of
  /// `context_prediction` (all 25 taps) and `entropy_parameters`, an upper bound. Figures
  /// saturate at `Int.max`.
  ///
  /// - Throws: ``ResourceError/sizeOutOfRange(graph:width:height:)`` if a graph cannot run on
  ///   this size.
  /// - Complexity: O(nodes).
  public func needs(width: Int, height: Int, for work: Work) throws(ResourceError)
    -> ResourceNeeds
  {
    let (pw, ph) = paddedSize(width: width, height: height)
    let (yh, yw) = (ph / latentStride, pw / latentStride)
    let (zh, zw) = (ph / multiple, pw / multiple)
    func cost(_ g: IntegerGraph, _ h: Int, _ w: Int) throws(ResourceError) -> (Int, Int) {
      guard let c = graphCost(g, height: h, width: w) else {
        throw .sizeOutOfRange(graph: g.name, width: pw, height: ph)
      }
      return (c.peakBytes, c.multiplyAccumulates)
    }
    let yValues = Saturating.product(analysis.outputs[0].channels, yh, yw)
    let picture = Saturating.product(pw, ph, 4)
    guard let hyperAnalysis, let hyperSynthesis else {
      switch work {
      case .decoding:
        let (gs, gsMACs) = try cost(synthesis, yh, yw)
        let ySymbols = Saturating.product(yValues, 4)
        return ResourceNeeds(
          width: pw, height: ph, memory: Saturating.sum(ySymbols, gs, picture),
          multiplyAccumulates: gsMACs)
      case .encoding:
        let (ga, gaMACs) = try cost(analysis, ph, pw)
        let y = analysis.activationBytes(analysis.outputIndices[0], height: yh, width: yw)
        return ResourceNeeds(
          width: pw, height: ph,
          memory: Saturating.add(
            picture, max(ga, Saturating.sum(y, Saturating.product(yValues, 12)))),
          multiplyAccumulates: gaMACs)
      }
    }
    let zValues = Saturating.product(hyperAnalysis.outputs[0].channels, zh, zw)
    let hyperOutputs = hyperSynthesis.outputIndices.reduce(0) {
      Saturating.add($0, hyperSynthesis.activationBytes($1, height: yh, width: yw))
    }
    let (hs, hsMACs) = try cost(hyperSynthesis, zh, zw)
    let (gs, gsMACs) = try cost(synthesis, yh, yw)
    // mbt2018: the context model's work (counted as whole-graph runs, an upper bound) and ŷ,
    // which its position-by-position loop writes beside the symbols.
    var contextMACs = 0
    var contextBytes = 0
    if let (cp, ep) = contextGraphs {
      contextMACs = Saturating.add(try cost(cp, yh, yw).1, try cost(ep, yh, yw).1)
      contextBytes = Saturating.product(yValues, 2)
    }
    var memory: Int
    var macs: Int
    switch work {
    case .decoding:
      var synthesisPhase = gs
      var reverseMACs = 0
      if let rate = rateVariable {
        let (reverse, m) = try cost(rate.reverse, yh, yw)
        // The sampler holds x and the estimate beside the reverse network's own peak.
        let latent = synthesis.activationBytes(0, height: yh, width: yw)
        synthesisPhase = max(gs, Saturating.sum(reverse, latent, latent))
        reverseMACs = Saturating.product(m, RateVariable.maxSteps)
      }
      let zSymbols = Saturating.product(zValues, 4)
      let ySymbols = Saturating.product(yValues, 4)
      memory = max(
        Saturating.add(zSymbols, hs),
        Saturating.sum(zSymbols, hyperOutputs, ySymbols, ySymbols, contextBytes),
        Saturating.sum(zSymbols, hyperOutputs, ySymbols, synthesisPhase, picture))
      macs = Saturating.sum(hsMACs, gsMACs, reverseMACs, contextMACs)
    case .encoding:
      let (ga, gaMACs) = try cost(analysis, ph, pw)
      let (ha, haMACs) = try cost(hyperAnalysis, yh, yw)
      let y = analysis.activationBytes(analysis.outputIndices[0], height: yh, width: yw)
      let zSymbols = Saturating.product(zValues, 8)
      memory = Saturating.add(
        picture,
        max(
          ga, Saturating.add(y, ha), Saturating.sum(y, zSymbols, hs),
          Saturating.sum(y, hyperOutputs, Saturating.product(yValues, 12), contextBytes)))
      macs = Saturating.sum(gaMACs, haMACs, hsMACs, contextMACs)
    }
    return ResourceNeeds(width: pw, height: ph, memory: memory, multiplyAccumulates: macs)
  }

  /// Refuses a picture that the budget does not allow, before anything is allocated for it.
  ///
  /// - Throws: ``ResourceError`` saying what the picture would need.
  public func checkBudget(width: Int, height: Int, for work: Work) throws(ResourceError) {
    let (pw, ph) = paddedSize(width: width, height: height)
    guard Saturating.product(pw, ph) <= budget.maxPixels else {
      throw .tooManyPixels(width: pw, height: ph, limit: budget.maxPixels)
    }
    let needs = try needs(width: width, height: height, for: work)
    guard needs.memory <= budget.maxMemory else {
      throw .memoryExceeded(work: work.rawValue, needs: needs, limit: budget.maxMemory)
    }
  }

  /// Loads a codec model with `budget` for its pictures, refusing it when even the smallest
  /// picture (one hyper-latent stride square) exceeds the budget.
  ///
  /// - Throws: ``ModelError``, ``ModelError/resources(_:)`` for a model over budget.
  public init(file: WeightFile, budget: ResourceBudget, threads: Int = 1) throws(ModelError) {
    try self.init(file: file, threads: threads)
    self.budget = budget
    do {
      for work in [Work.decoding, .encoding] {
        try checkBudget(width: multiple, height: multiple, for: work)
      }
    } catch { throw .resources(error) }
  }
}
