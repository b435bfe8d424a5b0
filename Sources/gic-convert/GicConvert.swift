import ArgumentParser
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
      Without a subcommand, converts: gic-convert model.npz -o model.gicw
      Exit status: 0 on success, 1 on any input or usage error (one line 'error: …' on stderr).
      """,
    version: "gic-convert \(ReferenceCodecVersion.string), container format 1.0",
    subcommands: [Convert.self, Inspect.self, Verify.self, Extract.self],
    defaultSubcommand: Convert.self
  )

  /// Runs the tool with exit status 0 or 1 and one-line errors, instead of ArgumentParser's
  /// usage-error status 64 and multi-line messages.
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      if exitCode(for: error) == .success {
        // --help and --version
        print(fullMessage(for: error))
        Foundation.exit(0)
      }
      reportAndExit(error)
    }
  }

  static func reportAndExit(_ error: any Error) -> Never {
    var message = "\(error)"
    if error is LocatedError || error is ConverterError || error is WeightFormatError
      || error is NPYError || error is NPZError
    {
      message = "\(error)"
    } else {
      message = self.message(for: error)
      if message.isEmpty { message = "\(error)" }
      message += " (see 'gic-convert --help')"
    }
    let line = message.split(whereSeparator: \.isNewline).joined(separator: "; ")
    FileHandle.standardError.write(Data("error: \(line)\n".utf8))
    Foundation.exit(1)
  }
}

/// The version string shared by the tools.
enum ReferenceCodecVersion {
  static let string = "0.1.0"
}
