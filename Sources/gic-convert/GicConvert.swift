import ArgumentParser
import CLISupport
import Converters
import Foundation
import WeightFormat

/// `gic-convert`: turns NumPy exports of trained models into `.gicw` containers, and inspects,
/// verifies and extracts containers.
@main
struct GicConvert: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gic-convert",
    abstract: "Convert NumPy model exports (.npz/.npy) into gic weight containers (.gicw).",
    discussion: """
      Without a subcommand, converts: gic-convert model.npz -o model.gicw \
      Exit status: 0 on success, 1 on any input or usage error (one line 'error: …' on stderr).
      """,
    version: "gic-convert \(ToolVersion.string), container format 1.0",
    subcommands: [Convert.self, Inspect.self, Verify.self, Extract.self],
    defaultSubcommand: Convert.self
  )

  static func main() {
    runAsTool()
  }
}
