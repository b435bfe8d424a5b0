import Foundation
import WeightFormat

/// Generates a conformance vector set (spec/conformance.md).
///
/// Every source picture is coded with every model (gic-v1 models: three coding-parameter sets per picture, rotating through
/// ``gicV1Parameters``), each stream decoded, and the manifest recording the SHA-256 and MD5 of
/// the decoded samples. Deterministic: the same models and pictures give the same files.
public enum ConformanceVectorGenerator {
  /// A codec model of the set: its file name, bytes and loaded codec.
  public struct Model: Sendable {
    public var name: String
    public var data: Data
    public var codec: HyperpriorCodec

    public init(name: String, data: Data, codec: HyperpriorCodec) {
      self.name = name
      self.data = data
      self.codec = codec
    }
  }

  /// gic-v1 coding parameters: (rate in tenths, steps, seed).
  ///
  /// Rate R = tenths / 10 codes at index round((L − 1)·R), computed in integers as
  /// ((L − 1)·tenths + 5) / 10.
  public static let gicV1Parameters: [(tenths: Int, steps: Int, seed: UInt64?)] = [
    (1, 0, nil), (5, 1, nil), (9, 2, nil), (5, 2, 1), (3, 2, 12_345_678_901_234_567_890),
    (10, 4, 7), (0, 3, 2), (7, 2, nil), (6, 2, 18_446_744_073_709_551_615),
  ]

  /// The detail-substream vectors (spec/bitstream.md §7.5): source picture, rate index, steps
  /// and seed.
  ///
  /// A set made with `detail` adds them for every gic-v1 model, after its other vectors: low
  /// rates, where the fill has detail to restore; with and without a seed (S = 0), partial
  /// blocks, a grayscale source and uniform noise (the largest codes).
  public static let detailParameters:
    [(source: String, rateIndex: Int, steps: Int, seed: UInt64?)] = [
      ("photo-96x64.png", 26, 2, 7), ("rgb-65x67.png", 0, 2, nil), ("gray-40x24.png", 51, 1, 3),
      ("noise-48x40.png", 13, 2, nil),
    ]

  /// The gic-v1 vectors with band gains and the detail fill (spec/bitstream.md §7.6): the same
  /// pictures and parameters as ``detailParameters``, ids ending in `-gains`.
  public static let gainsParameters = detailParameters

  /// The gic-v1 vectors with every detail stage, the low-pass residual first (spec/bitstream.md
  /// §7.7): the same pictures and parameters, ids ending in `-residual`.
  public static let residualParameters = detailParameters

  /// The set's models, streams and manifest by path within the set (`models/…`, `streams/…`,
  /// `manifest.json`; the caller adds `images/…`), and the number of vectors.
  ///
  /// With a `shard`, only the sources whose name falls in it are coded (each with the
  /// parameters it has in the whole set); the manifest lists every model and the shard's
  /// vectors (``ConformanceManifest/merged(_:)`` joins the shards).
  ///
  /// With `detail`, every gic-v1 model also codes ``detailParameters`` with the fill alone (ids
  /// ending in `-detail`), ``gainsParameters`` with gains and fill (`-gains`) and
  /// ``residualParameters`` with residual, gains and fill (`-residual`), and the manifest's
  /// bitstream version is 1.3; without it the set is exactly as before bitstream version 1.1.
  ///
  /// - Throws: ``BitstreamError`` or ``EntropyError`` if a picture cannot be coded.
  public static func generate(
    models: [Model], sources: [(name: String, decoded: PNGDecoded)], threads: Int,
    shard: Shard = .all, detail: Bool = false
  ) throws -> (files: [String: Data], vectors: Int) {
    var files: [String: Data] = [:]
    var manifestModels: [ConformanceManifest.Model] = []
    var vectors: [ConformanceManifest.Vector] = []
    for model in models {
      let (name, data, codec) = (model.name, model.data, model.codec)
      let stored = "models/" + name
      files[stored] = data
      manifestModels.append(.init(file: stored, data: data, codec: codec))
      let stem = (name as NSString).deletingPathExtension
      func add(_ stream: Bitstream, source: String) throws {
        let bytes = Data(stream.serialized())
        let picture = try codec.decode(stream, threads: threads)
        let pixels = Data(picture.pixels)
        var id = stem + "-" + (source as NSString).deletingPathExtension
        if codec.rateVariable != nil {
          id +=
            "-r\(stream.rateIndex)-s\(stream.steps)" + (stream.seed.map { "-seed\($0)" } ?? "")
            + (stream.residualSubstream != nil
              ? "-residual"
              : stream.gainsSubstream != nil
                ? "-gains" : stream.detailSubstream != nil ? "-detail" : "")
        }
        let file = "streams/\(id).gic"
        files[file] = bytes
        vectors.append(
          .init(
            id: id, model: stored, modelDigest: codec.modelDigest, bitstream: file,
            bitstreamSha256: SHA256Hex.of(bytes), source: "images/" + source,
            parameters: .init(stream),
            decodedRgbSha256: SHA256Hex.of(pixels), decodedRgbMd5: MD5Hex.of(pixels),
            decodedBytes: pixels.count))
      }
      for (k, source) in sources.enumerated() where shard.contains(source.name) {
        let gray = source.decoded.codesAsGray
        var settings: [(tenths: Int, steps: Int, seed: UInt64?)?] = [nil]
        if codec.rateVariable != nil {
          let all = gicV1Parameters
          settings = (0..<3).map { all[(3 * k + $0) % all.count] }
        }
        for setting in settings {
          let stream: Bitstream
          if let (tenths, steps, seed) = setting, let levels = codec.rateVariable?.rateLevels {
            stream = try codec.encode(
              source.decoded.image, grayscale: gray,
              rateIndex: ((levels - 1) * tenths + 5) / 10, steps: steps, seed: seed,
              threads: threads)
          } else {
            stream = try codec.encode(
              source.decoded.image, grayscale: gray, threads: threads)
          }
          try add(stream, source: source.name)
        }
      }
      guard detail, codec.rateVariable != nil else { continue }
      for (mode, list) in [
        (DetailMode.fill, detailParameters), (.gains, gainsParameters), (.on, residualParameters),
      ] {
        for p in list where shard.contains(p.source) {
          guard let source = sources.first(where: { $0.name == p.source }) else { continue }
          let stream = try codec.encode(
            source.decoded.image, grayscale: source.decoded.codesAsGray, rateIndex: p.rateIndex,
            steps: p.steps, seed: p.seed, detail: mode, threads: threads)
          try add(stream, source: source.name)
        }
      }
    }
    let minor =
      detail && models.contains { $0.codec.rateVariable != nil }
      ? Bitstream.signedGainsMinor : Bitstream.version.minor
    let manifest = ConformanceManifest(
      bitstreamVersion: "\(Bitstream.version.major).\(minor)",
      models: manifestModels,
      vectors: vectors)
    files["manifest.json"] = manifest.serialized()
    return (files, vectors.count)
  }
}
