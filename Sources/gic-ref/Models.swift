import ArgumentParser
import CLISupport
import Foundation
import ReferenceCodec
import WeightFormat

/// `gic-ref models`: the models shipped in a folder and where they came from.
struct Models: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List the .gicw models of a folder (default: models/) and where they came from.",
    discussion: """
      Every .gicw file of the folder is loaded and checked as 'gic-ref model' does. Where it came \
      from is read from the folder's manifest.json ({"models": [{"file", "default", "source", \
      "origin", "made_by"}]}; models/README.md has the details) and from the provenance \
      gic-convert records in the container (converter version, input SHA-256); a field that is \
      not known is null.
      """)

  @Argument(help: "The folder of models.")
  var directory: String = "models"

  @OptionGroup var options: ReportOptions

  /// One entry of a folder's manifest.json.
  struct ManifestEntry: Codable {
    var file: String
    var `default`: Bool?
    var source: String?
    var origin: String?
    var madeBy: String?
  }

  struct Manifest: Codable {
    var models: [ManifestEntry]
  }

  struct Entry: Encodable {
    var file: String
    var profile: String?
    var bytes: Int
    var modelDigest: String
    var isDefault: Bool
    var source: String?
    var origin: String?
    var madeBy: String?
    var converterVersion: String?
    var inputSha256: String?
  }

  struct Report: Encodable {
    var directory: String
    var models: [Entry]
  }

  func run() throws {
    guard BatchInput.isDirectory(directory) else {
      throw ToolError("\(directory): not a folder of models", code: "tool.io")
    }
    let names =
      ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
      .filter { $0.lowercased().hasSuffix(".gicw") }.sorted()
    let manifest = Self.manifest(in: directory)
    let entries = try names.map { name in
      let path = (directory as NSString).appendingPathComponent(name)
      let (file, codec) = try ReferenceCodec.openModel(path: path)
      let model = Model.report(path, file: file, codec: codec)
      let known = manifest.first { $0.file == name }
      return Entry(
        file: name, profile: model.profile, bytes: model.bytes, modelDigest: model.modelDigest,
        isDefault: known?.default ?? false, source: known?.source, origin: known?.origin,
        madeBy: known?.madeBy, converterVersion: model.provenance.converterVersion,
        inputSha256: model.provenance.inputSha256)
    }
    let report = Report(directory: directory, models: entries)
    options.print(report) {
      guard !entries.isEmpty else { return "\(directory): no .gicw models" }
      return entries.map { e in
        var lines = [
          "\(e.file)\(e.isDefault ? " (default)" : ""): profile \(e.profile ?? "none"), "
            + "\(e.bytes) bytes, model digest \(e.modelDigest.prefix(16))…"
        ]
        if let origin = e.origin { lines.append("  origin   \(origin)") }
        if let source = e.source { lines.append("  source   \(source)") }
        if let madeBy = e.madeBy { lines.append("  made by  \(madeBy)") }
        if let version = e.converterVersion {
          lines.append("  gic-convert \(version), input sha256 \(e.inputSha256 ?? "none")")
        }
        if e.origin == nil && e.converterVersion == nil {
          lines.append("  provenance not recorded")
        }
        return lines.joined(separator: "\n")
      }.joined(separator: "\n")
    }
  }

  /// The entries of `directory`'s manifest.json (none if it has no readable one).
  static func manifest(in directory: String) -> [ManifestEntry] {
    let path = (directory as NSString).appendingPathComponent("manifest.json")
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return (try? decoder.decode(Manifest.self, from: data))?.models ?? []
  }
}
