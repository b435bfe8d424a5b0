import ArgumentParser
import CLISupport
import Foundation
import NumPyIO
import ReferenceCodec
import WeightFormat

/// `gic-ref vectors`: generate a conformance vector set.
struct Vectors: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Generate conformance vectors: bitstreams, models, source images and manifest.json.",
    discussion: """
      Encodes every image with every model (gic-v1 models: three coding-parameter sets per image, \
      rotating through rates, 0–4 steps, with and without noise and several seeds), decodes each \
      stream and records the SHA-256 and MD5 of the decoded RGB samples (spec/conformance.md).

      The output is deterministic: the same models and images give the same files, and \
      --archive writes a reproducible tar (sorted entries, mtime 0, uid/gid 0, mode 0644, no \
      extended headers) whose SHA-256 is the same on every run and machine.

      With --shard i/n only the images whose name hashes to i are coded (with the parameters \
      they have in the whole set); 'gic-ref merge' joins the shards' manifest.json files \
      (docs/scaling.md).
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

  @Option(help: ArgumentHelp("Code only shard i of n (by image name).", valueName: "i/n"))
  var shard: String?

  @Flag(
    help: """
      Also code the detail-stage vectors with every gic-v1 model: photo-96x64, rgb-65x67, \
      gray-40x24 and noise-48x40 at low rates, when those images are given, each with the \
      detail fill alone (spec/bitstream.md §7.5, ids ending in -detail) and with band gains and \
      the fill (§7.6, -gains) and with the residual too (§7.7, -residual); the manifest's \
      bitstream version becomes 1.3.
      """)
  var detail = false

  func run() throws {
    guard !model.isEmpty, !images.isEmpty else {
      throw ValidationError("give at least one model (-m) and one image")
    }
    let shard = try shard.map { try Shard(parsing: $0) } ?? .all
    guard archive == nil || shard.count == 1 else {
      throw ValidationError("--archive writes a whole set; merge the shards first")
    }
    var files: [String: Data] = [:]
    var inputs: [ConformanceVectorGenerator.Model] = []
    var sources: [(name: String, decoded: PNGDecoded)] = []
    for path in images {
      let name = (path as NSString).lastPathComponent
      guard !sources.contains(where: { $0.name == name }) else {
        throw ToolError("\(path): two images are named \(name)", code: "tool.duplicateName")
      }
      sources.append((name, try ToolInput.readPNG(path)))
      if shard.contains(name) { files["images/" + name] = try ToolFiles.read(path) }
    }
    for modelPath in model {
      let name = (modelPath as NSString).lastPathComponent
      let data = try ToolFiles.read(modelPath)
      let codec: HyperpriorCodec
      do { codec = try HyperpriorCodec(file: try WeightFile(bytes: data)) } catch {
        throw LocatedError.attaching(modelPath, to: error)
      }
      guard !inputs.contains(where: { $0.name == name }) else {
        throw ToolError("two models are named \(name)", code: "tool.duplicateName")
      }
      inputs.append(.init(name: name, data: data, codec: codec))
    }
    let set = try ConformanceVectorGenerator.generate(
      models: inputs, sources: sources, threads: max(1, threads), shard: shard, detail: detail)
    files.merge(set.files) { _, new in new }
    for (name, data) in files.sorted(by: { $0.key < $1.key }) {
      try ToolFiles.write([UInt8](data), to: output + "/" + name, createDirectories: true)
    }
    if let archive { try TarArchive.write(files, to: archive) }
    print(
      "wrote \(set.vectors) vectors (\(inputs.count) models, \(sources.count) images) to \(output)"
        + (archive.map {
          ", archive \($0) (SHA-256 \(SHA256Hex.of((try? ToolFiles.read($0)) ?? Data())))"
        } ?? ""))
  }
}
