import ArgumentParser
import CLISupport
import Foundation
import ReferenceCodec
import WeightFormat

/// `gic-ref`: the bit-exact reference codec's command-line front end.
///
/// This release loads and validates models the way the decoder does; `encode`, `decode`,
/// `verify` and `vectors` follow with spec/bitstream.md and spec/conformance.md.
@main
struct GicRef: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gic-ref",
    abstract: "The gic reference codec (bit-exact, integer-only).",
    discussion: """
      Available now: 'model' loads a .gicw container as the decoder does and prints its identity.
      Exit status: 0 on success, 1 on any error (one line 'error: …' on stderr).
      """,
    version: "gic-ref \(ReferenceCodec.version), container format 1.0",
    subcommands: [Model.self]
  )

  static func main() {
    runAsTool { error in error is WeightFormatError || error is Model.ModelError }
  }
}

/// `gic-ref model`: load a model container as the decoder does.
struct Model: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Load and fully validate a .gicw model; print its profile and model digest.")

  @Argument(help: "The .gicw model container.")
  var model: String

  func run() throws {
    let file: WeightFile
    do { file = try ReferenceCodec.loadModel(path: model) } catch {
      // An I/O error already names the path.
      if case .io = error { throw ModelError(message: "\(error)") }
      throw ModelError(message: "\(model): \(error)")
    }
    let profile: String
    if case .string(let p) = file.metadata("gic.profile") {
      profile = p
    } else {
      profile = "unknown"
    }
    print(
      "\(model): profile \(profile), \(file.tensors.count) tensors, model digest \(file.modelDigestHex)"
    )
  }

  struct ModelError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
  }
}
