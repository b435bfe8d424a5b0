import ArgumentParser
import CLISupport
import Foundation
import ReferenceCodec
import WeightFormat

/// `gic-ref model`: load a model container as the decoder does and describe it.
struct Model: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Load and fully validate a .gicw model; print its profile, digest and structure.",
    discussion: """
      With --json, one object with every field: "model", "profile", "container_version", \
      "bytes", "tensors", "cdf_tables", "model_digest", "is_codec", "n", "m", "w", \
      "hyper_stride", "latent_stride", "rate_levels", "extra_levels", "max_steps", "graphs" \
      ([{"name", "input_channels", "output_channels", "macs"}]), "macs_encode", "macs_decode", \
      "macs_reverse_step", "provenance" ({"converter_version", "input_sha256", \
      "calibration_sha256"}) and "metadata" (the entries other than the graphs). A field the \
      model does not have (rate levels of a fixed-rate model, the codec fields of a weight \
      container, provenance of a model converted with --no-provenance) is null, never 0. MACs \
      are multiply-accumulates of convolutions and GDN for one 768×512 picture (the reverse \
      process: per step).
      """)

  @Argument(help: "The .gicw model container.")
  var model: String

  @OptionGroup var options: ReportOptions

  /// The picture size MACs are given for.
  static let picture = (width: 768, height: 512)

  /// A stored graph.
  struct GraphSummary: Encodable {
    var name: String
    var inputChannels: [Int]
    var outputChannels: [Int]
    var macs: Int
  }

  /// Where the model came from, as gic-convert records it (null when not recorded).
  struct Provenance: Encodable {
    var converterVersion: String?
    var inputSha256: String?
    var calibrationSha256: [String]?

    enum CodingKeys: String, CodingKey {
      case converterVersion, inputSha256, calibrationSha256
    }

    /// Every field, null when absent (the synthesized encoding would leave it out).
    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(converterVersion, forKey: .converterVersion)
      try c.encode(inputSha256, forKey: .inputSha256)
      try c.encode(calibrationSha256, forKey: .calibrationSha256)
    }
  }

  struct Report: Encodable {
    var model: String
    var profile: String?
    var containerVersion: String
    var bytes: Int
    var tensors: Int
    var cdfTables: Int
    var modelDigest: String
    var isCodec: Bool
    var n: Int?
    var m: Int?
    var w: Int?
    var hyperStride: Int?
    var latentStride: Int?
    var rateLevels: Int?
    var extraLevels: Int?
    var maxSteps: Int?
    var graphs: [GraphSummary]?
    var macsEncode: Int?
    var macsDecode: Int?
    var macsReverseStep: Int?
    var provenance: Provenance
    var metadata: [String: MetadataJSON]

    enum CodingKeys: String, CodingKey {
      case model, profile, containerVersion, bytes, tensors, cdfTables, modelDigest, isCodec
      case n, m, w, hyperStride, latentStride, rateLevels, extraLevels, maxSteps, graphs
      case macsEncode, macsDecode, macsReverseStep, provenance, metadata
    }

    /// Every field, null when the profile does not have it (never 0).
    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(model, forKey: .model)
      try c.encode(profile, forKey: .profile)
      try c.encode(containerVersion, forKey: .containerVersion)
      try c.encode(bytes, forKey: .bytes)
      try c.encode(tensors, forKey: .tensors)
      try c.encode(cdfTables, forKey: .cdfTables)
      try c.encode(modelDigest, forKey: .modelDigest)
      try c.encode(isCodec, forKey: .isCodec)
      try c.encode(n, forKey: .n)
      try c.encode(m, forKey: .m)
      try c.encode(w, forKey: .w)
      try c.encode(hyperStride, forKey: .hyperStride)
      try c.encode(latentStride, forKey: .latentStride)
      try c.encode(rateLevels, forKey: .rateLevels)
      try c.encode(extraLevels, forKey: .extraLevels)
      try c.encode(maxSteps, forKey: .maxSteps)
      try c.encode(graphs, forKey: .graphs)
      try c.encode(macsEncode, forKey: .macsEncode)
      try c.encode(macsDecode, forKey: .macsDecode)
      try c.encode(macsReverseStep, forKey: .macsReverseStep)
      try c.encode(provenance, forKey: .provenance)
      try c.encode(metadata, forKey: .metadata)
    }
  }

  func run() throws {
    let (file, codec) = try ReferenceCodec.openModel(path: model)
    let report = Self.report(model, file: file, codec: codec)
    options.print(report) { Self.text(report) }
  }

  static func report(_ path: String, file: WeightFile, codec: HyperpriorCodec?) -> Report {
    var profile: String?
    if case .string(let p) = file.metadata(CodecModelSchema.Key.profile) { profile = p }
    var channels: [Int] = []
    if case .list(let items) = file.metadata(CodecModelSchema.Key.sourceChannels) {
      channels = items.compactMap { if case .integer(let i) = $0 { Int(i) } else { nil } }
    }
    func text(_ key: String) -> String? {
      if case .string(let s) = file.metadata(key) { s } else { nil }
    }
    var calibration: [String]?
    if case .list(let items) = file.metadata(CodecModelSchema.Key.calibrationSHA256) {
      calibration = items.compactMap { if case .string(let s) = $0 { s } else { nil } }
    }
    var report = Report(
      model: path, profile: profile, containerVersion: "\(file.major).\(file.minor)",
      bytes: file.fileLength, tensors: file.tensors.count, cdfTables: file.cdfTables.count,
      modelDigest: file.modelDigestHex, isCodec: codec != nil,
      n: channels.count > 0 ? channels[0] : nil, m: channels.count > 1 ? channels[1] : nil,
      w: channels.count > 2 ? channels[2] : nil,
      provenance: Provenance(
        converterVersion: text(CodecModelSchema.Key.converterVersion),
        inputSha256: text(CodecModelSchema.Key.inputSHA256), calibrationSha256: calibration),
      metadata: Dictionary(
        file.metadata.filter { !$0.key.hasPrefix(GraphDescription.metadataKey("")) }.map {
          ($0.key, MetadataJSON($0.value))
        }, uniquingKeysWith: { a, _ in a }))
    guard let codec else { return report }
    let (h, w) = (picture.height, picture.width)
    let (lh, lw) = (h / codec.latentStride, w / codec.latentStride)
    let (zh, zw) = (h / codec.multiple, w / codec.multiple)
    // Encoding runs g_a, h_a and h_s, decoding h_s and g_s (bmshj2018-factorized: g_a; g_s).
    var graphs = [(codec.analysis, h, w)]
    if let ha = codec.hyperAnalysis, let hs = codec.hyperSynthesis {
      graphs += [(ha, lh, lw), (hs, zh, zw)]
    }
    let hyperCount = graphs.count - 1
    graphs.append((codec.synthesis, lh, lw))
    if let rate = codec.rateVariable { graphs.append((rate.reverse, lh, lw)) }
    let summaries = graphs.map { graph, gh, gw in
      GraphSummary(
        name: graph.name, inputChannels: graph.inputs.map(\.channels),
        outputChannels: graph.outputs.map(\.channels),
        macs: graph.multiplyAccumulates(height: gh, width: gw))
    }
    report.hyperStride = codec.multiple
    report.latentStride = codec.latentStride
    report.graphs = summaries
    report.macsEncode = summaries[0...hyperCount].reduce(0) { $0 + $1.macs }
    // h_s (when there is one) and g_s.
    report.macsDecode = summaries[max(hyperCount, 1)...(hyperCount + 1)].reduce(0) {
      $0 + $1.macs
    }
    if let rate = codec.rateVariable {
      report.rateLevels = rate.rateLevels
      report.extraLevels = rate.extraLevels
      report.maxSteps = RateVariable.maxSteps
      report.macsReverseStep = summaries[hyperCount + 2].macs
    }
    return report
  }

  static func text(_ r: Report) -> String {
    func gmac(_ macs: Int?) -> String {
      macs.map { String(format: "%.2f GMAC", Double($0) / 1e9) } ?? "none"
    }
    var line =
      "\(r.model): profile \(r.profile ?? "none"), \(r.tensors) tensors, model digest \(r.modelDigest)"
    if r.isCodec {
      line +=
        ", codec model (g_s: \(gmac(r.graphs?.first { $0.name == "g_s" }?.macs)) per \(picture.width)×\(picture.height) picture)"
    }
    var lines = [line]
    if r.isCodec {
      let nm = [("N", r.n), ("M", r.m), ("W", r.w)].compactMap { k, v in v.map { "\(k)=\($0)" } }
      lines.append("  channels    \(nm.isEmpty ? "not recorded" : nm.joined(separator: " "))")
      lines.append(
        "  rates       "
          + (r.rateLevels.map { "\($0) rate indices, up to \(RateVariable.maxSteps) steps" }
            ?? "none (fixed rate)"))
      lines.append(
        "  per picture encode \(gmac(r.macsEncode)), decode \(gmac(r.macsDecode))"
          + (r.macsReverseStep.map { ", reverse process \(gmac($0)) per step" } ?? ""))
    }
    let p = r.provenance
    if let version = p.converterVersion {
      lines.append(
        "  provenance  gic-convert \(version), input sha256 \(p.inputSha256 ?? "none"), "
          + "\(p.calibrationSha256?.count ?? 0) calibration images")
    }
    return lines.joined(separator: "\n")
  }
}
