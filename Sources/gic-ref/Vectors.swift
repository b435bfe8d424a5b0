import ArgumentParser
import NumPyIO
import Foundation
import ReferenceCodec
import WeightFormat

/// `gic-ref vectors`: generate a conformance vector set.
struct Vectors: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Generate conformance vectors: bitstreams, models, source images and manifest.json.",
    discussion: """
      Encodes every image with every model (gic-v1 models: three coding-parameter sets per image,
      rotating through rates, 0–4 steps, with and without noise and several seeds), decodes each
      stream and records the SHA-256 and MD5 of the decoded RGB samples (spec/conformance.md).
      The output is deterministic: the same models and images give the same files, and
      --archive writes a reproducible tar (sorted entries, mtime 0, uid/gid 0, mode 0644, no
      extended headers) whose SHA-256 is the same on every run and machine.
      """)

  @Option(name: .shortAndLong, help: "A codec model (.gicw); repeatable.")
  var model: [String]

  @Argument(help: "Source PNG images.")
  var images: [String]

  @Option(name: .shortAndLong, help: "Directory to write the set into (created).")
  var output: String

  @Option(help: "Also write the set as a reproducible tar archive.")
  var archive: String?

  @Option(help: "Worker threads (the output does not depend on it).")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  /// gic-v1 coding parameters: (rate, steps, seed).
  static let gicV1Parameters: [(Double, Int, UInt64?)] = [
    (0.1, 0, nil), (0.5, 1, nil), (0.9, 2, nil), (0.5, 2, 1), (0.3, 2, 12_345_678_901_234_567_890),
    (1.0, 4, 7), (0.0, 3, 2), (0.7, 2, nil), (0.6, 2, 18_446_744_073_709_551_615),
  ]

  func run() throws {
    guard !model.isEmpty, !images.isEmpty else {
      throw ValidationError("give at least one model (-m) and one image")
    }
    var files: [String: Data] = [:]
    var models: [ConformanceManifest.Model] = []
    var vectors: [ConformanceManifest.Vector] = []
    var sources: [(name: String, decoded: PNGDecoded)] = []
    for path in images {
      let name = (path as NSString).lastPathComponent
      guard !sources.contains(where: { $0.name == name }) else {
        throw ToolError("\(path): two images are named \(name)")
      }
      do { sources.append((name, try PNGCodec.read(path: path))) } catch {
        throw ToolError("\(path): \(error)")
      }
      files["images/" + name] = try Data(contentsOf: URL(fileURLWithPath: path))
    }
    for modelPath in model {
      let name = (modelPath as NSString).lastPathComponent
      let data: Data
      do { data = try Data(contentsOf: URL(fileURLWithPath: modelPath)) } catch {
        throw ToolError("\(modelPath): cannot read file")
      }
      let codec: HyperpriorCodec
      do { codec = try HyperpriorCodec(file: try WeightFile(bytes: data)) } catch {
        throw ToolError("\(modelPath): \(error)")
      }
      let stored = "models/" + name
      guard files[stored] == nil else { throw ToolError("two models are named \(name)") }
      files[stored] = data
      models.append(
        .init(
          file: stored, profile: codec.profile.name, modelDigest: codec.modelDigest,
          sha256: SHA256Hex.of(data)))
      let stem = (name as NSString).deletingPathExtension
      for (k, source) in sources.enumerated() {
        let gray = source.decoded.sourceFormat == .gray || source.decoded.sourceFormat == .grayAlpha
        var settings: [(Double, Int, UInt64?)?] = [nil]
        if codec.rateVariable != nil {
          let all = Self.gicV1Parameters
          settings = (0..<3).map { all[(3 * k + $0) % all.count] }
        }
        for setting in settings {
          let stream: Bitstream
          if let (rate, steps, seed) = setting, let levels = codec.rateVariable?.rateLevels {
            stream = try codec.encode(
              source.decoded.image, grayscale: gray,
              rateIndex: Int((Double(levels - 1) * rate).rounded()), steps: steps, seed: seed,
              threads: max(1, threads))
          } else {
            stream = try codec.encode(
              source.decoded.image, grayscale: gray, threads: max(1, threads))
          }
          let bytes = Data(stream.serialized())
          let picture = try codec.decode(stream, threads: max(1, threads))
          let pixels = Data(picture.pixels)
          var id = stem + "-" + (source.name as NSString).deletingPathExtension
          if codec.rateVariable != nil {
            id +=
              "-r\(stream.rateIndex)-s\(stream.steps)" + (stream.seed.map { "-seed\($0)" } ?? "")
          }
          let file = "streams/\(id).gic"
          files[file] = bytes
          vectors.append(
            .init(
              id: id, model: stored, modelDigest: codec.modelDigest, bitstream: file,
              bitstreamSha256: SHA256Hex.of(bytes), source: "images/" + source.name,
              parameters: .init(
                profile: stream.profile.name, width: stream.width, height: stream.height,
                grayscale: stream.grayscale, rateIndex: stream.rateIndex, steps: stream.steps,
                seed: stream.seed.map { String($0) }),
              decodedRgbSha256: SHA256Hex.of(pixels), decodedRgbMd5: MD5Hex.of(pixels),
              decodedBytes: pixels.count))
        }
      }
    }
    let manifest = ConformanceManifest(
      bitstreamVersion: "\(Bitstream.version.major).\(Bitstream.version.minor)", models: models,
      vectors: vectors)
    files["manifest.json"] = manifest.serialized()
    for (name, data) in files.sorted(by: { $0.key < $1.key }) {
      let target = output + "/" + name
      do {
        try FileManager.default.createDirectory(
          atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let file = try AtomicFileOutput(path: target)
        try file.write([UInt8](data))
        try file.commit()
      } catch {
        throw ToolError("\(target): \(error)")
      }
    }
    if let archive { try TarArchive.write(files, to: archive) }
    print(
      "wrote \(vectors.count) vectors (\(models.count) models, \(sources.count) images) to \(output)"
        + (archive.map {
          ", archive \($0) (SHA-256 \(SHA256Hex.of((try? Data(contentsOf: URL(fileURLWithPath: $0))) ?? Data())))"
        } ?? ""))
  }
}
