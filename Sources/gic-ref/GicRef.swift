import ArgumentParser
import CLISupport
import Foundation
import ReferenceCodec
import WeightFormat

/// `gic-ref`: the bit-exact reference codec's command-line front end.
@main
struct GicRef: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gic-ref",
    abstract: "The gic reference codec (bit-exact, integer-only).",
    discussion: """
      encode turns a PNG into a .gic bitstream with a codec model made by gic-convert; decode \
      turns it back into a PNG. The bytes and pixels are the same on every machine, for every \
      --threads value and build (spec/bitstream.md, spec/integer-ops.md).

      Exit status: 0 on success, 1 on any error (one line 'error: …' on stderr).
      """,
    version: "gic-ref \(ToolVersion.string), bitstream format 1.0, container format 1.0",
    subcommands: [
      Encode.self, Decode.self, Info.self, PSNR.self, Rates.self, Vectors.self, VerifyVectors.self,
      Model.self, Models.self, Eval.self,
      Merge.self,
    ]
  )

  static func main() {
    runAsTool()
  }
}

/// Options shared by encode and decode.
struct CodecOptions: ParsableArguments {
  @Option(name: .shortAndLong, help: "The codec model (.gicw made by gic-convert).")
  var model: String

  @Option(help: "Worker threads for the network kernels (the output does not depend on it).")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  @OptionGroup var report: ReportOptions

  @OptionGroup(title: "Resource limits") var limits: BudgetOptions

  /// Opens the model and prepares the codec with the resource limits.
  func loadCodec() throws -> HyperpriorCodec {
    try ReferenceCodec.openCodec(path: model, budget: limits.budget, threads: threads)
  }
}
