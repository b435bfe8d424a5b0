import Foundation
import Testing
import WeightFormat

@testable import ReferenceCodec

/// Transforms run in bands (issue #17): every band plan of every shipped graph is exact, and a
/// banded run equals the whole run bit for bit, on odd sizes, with band boundaries at every
/// residue, and on the smallest pictures.
@Suite("Banded runs")
struct BandedRunTests {
  /// The shipped models (conformance/models, models/, the bmshj2018-factorized set's) and the
  /// small test fixtures.
  static let models: [String] = [
    "conformance/models/bmshj2018-hyperprior-N64-M96.gicw",
    "conformance/models/mbt2018-mean-N64-M96.gicw",
    "conformance/models/gic-v1.gicw",
    "models/gic-v1.gicw",
    "models/gic-v2.gicw",
    "conformance/bmshj2018-factorized/models/bmshj2018-factorized-N64-M96.gicw",
    "Tests/ReferenceCodecTests/Fixtures/codec/bmshj2018-hyperprior-N16-M24.gicw",
    "Tests/ReferenceCodecTests/Fixtures/codec/mbt2018-mean-N16-M24.gicw",
    "Tests/ReferenceCodecTests/Fixtures/codec/gic-v1-N16-M24-W16-random.gicw",
  ]

  static let small = Array(models.suffix(3))

  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func codec(
    _ model: String, bandBytes: Int = ResourceBudget.defaultBandBytes, maxBandWork: Int = 2
  ) throws -> HyperpriorCodec {
    try HyperpriorCodec(
      file: try WeightFile.open(path: root.appendingPathComponent(model).path),
      budget: ResourceBudget(bandBytes: bandBytes, maxBandWork: maxBandWork))
  }

  /// Random inputs of `graph` within its inputs' clamp ranges.
  static func inputs(_ graph: IntegerGraph, height: Int, width: Int, seed: UInt64)
    -> [ChannelsLastActivations]
  {
    var rng = SplitMix64(seed: seed)
    return graph.inputs.map {
      rng.activations(
        channels: $0.channels, height: height, width: width, lo: $0.lo, hi: $0.hi,
        exponent: $0.exponent)
    }
  }

  /// The graph run band by band with bands of `band` output rows, assembled.
  static func banded(
    _ graph: IntegerGraph, _ inputs: [ChannelsLastActivations], band: Int
  ) throws -> [ChannelsLastActivations] {
    let (h, w) = (inputs[0].height, inputs[0].width)
    let geometry = try #require(graph.rowGeometry())
    let sizes = graph.sizes(height: h, width: w)
    let heights = sizes.map(\.height)
    let outputHeight = heights[graph.outputIndices[0]]
    var whole = graph.outputIndices.map { i in
      ChannelsLastActivations(
        format: graph.values[i], height: sizes[i].height, width: sizes[i].width)
    }
    var start = 0
    while start < outputHeight {
      let rows = start..<min(outputHeight, start + band)
      let plan = try #require(
        graph.bandPlan(rows, inputHeight: h, geometry: geometry, heights: heights),
        "\(graph.name) \(h)×\(w) rows \(rows)")
      let outs = graph.run(inputs.map { $0.slice(rows: plan.inputRows) })
      for k in whole.indices {
        whole[k].copyRows(from: outs[k], plan.outputOffset, to: rows.lowerBound, count: rows.count)
      }
      start = rows.upperBound
    }
    return whole
  }

  /// Every graph of every shipped model: bands of 1 to 5 output rows (and one of a third of
  /// the output) put every band boundary at every residue of the strides; the values equal
  /// the whole run's.
  @Test(arguments: models)
  func everyGraphBandedEqualsWhole(model: String) throws {
    let codec = try Self.codec(model)
    // gic-v1's graphs add branches of different strides, so they take the codec's sizes
    // (multiples of the hyper stride); the CompressAI profiles' graphs take any size.
    let odd = codec.rateVariable == nil
    var graphs: [(IntegerGraph, Int, Int)] = [
      (codec.analysis, 192, odd ? 80 : 64), (codec.synthesis, 12, 4),
    ]
    if odd { graphs.append((codec.synthesis, 7, 3)) }
    if let ha = codec.hyperAnalysis { graphs.append((ha, 12, odd ? 5 : 8)) }
    if let hs = codec.hyperSynthesis { graphs.append((hs, odd ? 5 : 3, odd ? 3 : 2)) }
    if let reverse = codec.rateVariable?.reverse { graphs.append((reverse, 12, 8)) }
    for (n, (graph, h, w)) in graphs.enumerated() {
      let inputs = Self.inputs(graph, height: h, width: w, seed: UInt64(17 + n))
      let whole = graph.run(inputs)
      let outputHeight = whole[0].height
      for band in [1, 2, 3, 4, 5, max(1, outputHeight / 3)] {
        let banded = try Self.banded(graph, inputs, band: band)
        #expect(banded == whole, "\(model) \(graph.name) \(h)×\(w) bands of \(band)")
      }
    }
  }

  /// Whole pictures through the codec with the smallest bands (each band 1 output row):
  /// the same bitstream and the same decoded pixels as the whole run, on tiny and odd sizes.
  @Test(arguments: small)
  func codecBandedEqualsWhole(model: String) throws {
    let whole = try Self.codec(model, bandBytes: .max)
    let banded = try Self.codec(model, bandBytes: 1, maxBandWork: .max)
    var rng = SplitMix64(seed: 1717)
    for (w, h) in [(1, 1), (1, 70), (70, 1), (77, 45), (130, 65)] {
      let pixels = (0..<(w * h * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) }
      let image = try RGBImage(width: w, height: h, pixels: pixels)
      let rate: Int? = whole.rateVariable == nil ? nil : 200
      let a = try whole.encode(image, rateIndex: rate)
      let b = try banded.encode(image, rateIndex: rate, threads: 2)
      #expect(a.serialized() == b.serialized(), "\(model) \(w)×\(h) encoding")
      let steps = whole.rateVariable == nil ? 0 : 2
      let stream = try whole.encode(image, rateIndex: rate, steps: steps)
      let x = try whole.decode(stream)
      let y = try banded.decode(stream, threads: 2)
      #expect(x == y, "\(model) \(w)×\(h) decoding")
    }
    // With 1-byte bands the transforms do run in bands at these sizes.
    #expect(banded.synthesis.bandLayout(height: 9, width: 9, bandBytes: 1, maxWork: .max) != nil)
    #expect(
      banded.analysis.bandLayout(height: 128, width: 64, bandBytes: 1, maxWork: .max) != nil)
    // Bands of one row do far more than twice the work: by default such graphs run whole.
    #expect(banded.synthesis.bandLayout(height: 9, width: 9, bandBytes: 1) == nil)
  }

  /// At 8192 × 8192 every shipped model's transforms run in bands of the default size, each
  /// band's peak within it, and the memory a picture needs stays under 1 GiB (it grows with
  /// the width, not the area).
  @Test(arguments: Array(models.prefix(6)))
  func largePicturesRunInBands(model: String) throws {
    let codec = try Self.codec(model)
    let budget = ResourceBudget.defaultBandBytes
    let gs = try #require(codec.synthesis.bandLayout(height: 512, width: 512, bandBytes: budget))
    #expect(gs.peakBytes <= budget && gs.plans.count > 1)
    let whole = try #require(codec.synthesis.cost(height: 512, width: 512))
    #expect(gs.multiplyAccumulates <= 2 * whole.multiplyAccumulates)
    let ga = try #require(codec.analysis.bandLayout(height: 8192, width: 8192, bandBytes: budget))
    #expect(ga.peakBytes <= budget && ga.plans.count > 1)
    // Small pictures run whole, as before.
    #expect(codec.synthesis.bandLayout(height: 32, width: 48, bandBytes: budget) == nil)
    #expect(codec.analysis.bandLayout(height: 512, width: 768, bandBytes: budget) == nil)
    // A band's peak depends on the width alone: twice the rows, the same peak.
    let half = try #require(
      codec.synthesis.bandLayout(height: 256, width: 512, bandBytes: budget))
    #expect(half.rows == gs.rows && half.peakBytes == gs.peakBytes)
    #expect(half.plans.count < gs.plans.count)
    for work in [HyperpriorCodec.Work.decoding, .encoding] {
      let needs = try codec.needs(width: 8192, height: 8192, for: work)
      #expect(needs.memory < 1 << 30, "\(model) \(work) \(needs)")
    }
  }

  /// The row dependencies of the operators against their definitions: a convolution's output
  /// row reads rows y·s − p … y·s − p + k − 1, a transposed convolution's input row i writes
  /// rows i·s − p … i·s − p + k − 1, a pixel shuffle's output row y reads row ⌊y / r⌋.
  @Test func rowDependencies() {
    for k in 1...5 {
      for s in 1...3 {
        for p in 0..<k {
          let conv = ConvolutionLayer(
            kind: .convolution, inputChannels: 1, outputChannels: 1, kernel: k, stride: s,
            padding: p, weights: [Int16](repeating: 1, count: k * k), biases: [0],
            requantization: Requantization(multipliers: [1], shifts: [0], lo: -9, hi: 9))
          let t = ConvolutionLayer(
            kind: .transposed(outputPadding: 0), inputChannels: 1, outputChannels: 1, kernel: k,
            stride: s, padding: p, weights: [Int16](repeating: 1, count: k * k), biases: [0],
            requantization: Requantization(multipliers: [1], shifts: [0], lo: -9, hi: 9))
          for y in -3...6 {
            #expect(conv.inputRows(y..<(y + 1)) == (y * s - p)..<(y * s - p + k))
            let reads = (-10...10).filter { i in (0..<k).contains(y - (i * s - p)) }
            let expected = reads.isEmpty ? nil : reads.first!..<(reads.last! + 1)
            let got = t.inputRows(y..<(y + 1))
            #expect((got.isEmpty ? nil : got) == expected, "k\(k) s\(s) p\(p) y\(y)")
          }
        }
      }
    }
    let shuffle = PixelShuffleOperator(factor: 3)
    #expect(shuffle.inputRows(0..<1) == 0..<1)
    #expect(shuffle.inputRows(2..<4) == 0..<2)
    #expect(shuffle.inputRows(-1..<0) == -1..<0)
  }
}
