import ArgumentParser
import CLISupport
import ReferenceCodec

/// `gic-convert verify`: check a container's structure and every digest.
struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check a .gicw container's structure, model digest and every tensor digest.",
    discussion: "Exit status 0 when the file conforms to spec/container.md, 1 otherwise."
  )

  @Argument(help: "The .gicw file to verify.")
  var model: String

  @OptionGroup var options: ReportOptions

  struct Result: Encodable {
    var file: String
    var ok: Bool
    var version: String
    var modelDigest: String
    var tensors: Int
    var cdfTables: Int
    var objectDigestsChecked: Int
    var fileBytes: Int
  }

  func run() throws {
    let file = try ReferenceCodec.openContainer(path: model)
    let result = Result(
      file: model, ok: true, version: "\(file.major).\(file.minor)",
      modelDigest: file.modelDigestHex, tensors: file.tensors.count,
      cdfTables: file.cdfTables.count,
      objectDigestsChecked: file.tensors.count + file.cdfTables.count, fileBytes: file.fileLength)
    options.print(result) {
      "OK \(model): container \(result.version), \(result.tensors) tensors, \(result.cdfTables) "
        + "CDF tables, \(result.objectDigestsChecked) object digests and the model digest "
        + "\(result.modelDigest) verified"
    }
  }
}
