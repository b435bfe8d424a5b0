import ArgumentParser
import Foundation
import WeightFormat

extension ParsableCommand {
  /// Parses the command line, runs the command and exits: status 0 on success (and for
  /// `--help`/`--version`), 1 on any error.
  ///
  /// An error is reported as one line `error: …` on stderr and, when `--json` was given and no
  /// report was printed, as `{"error": {"code": …, "message": …}}` on stdout. A ``GICError``
  /// (every library error, ``ToolError``) gives its code and description; any other error is a
  /// usage error (code `usage`) and gets a pointer to `--help`. ArgumentParser's own `main()`
  /// exits with 64 on usage errors and prints several lines; gic's tools promise 0 or 1 and one
  /// line.
  public static func runAsTool() -> Never {
    // No output of a tool may replace one of its inputs (AtomicFileOutput checks).
    InputFiles.protectInputs()
    AtomicFileOutput.removeTemporaryFilesOnSignals()
    do {
      var command = try parseAsRoot()
      try command.run()
      SystemCalls.exitProcess(0)
    } catch {
      if exitCode(for: error) == .success {
        print(fullMessage(for: error))
        SystemCalls.exitProcess(0)
      }
      let code: String
      var text: String
      if let error = error as? any GICError {
        (code, text) = (error.code, error.description)
      } else {
        code = "usage"
        text = message(for: error)
        if text.isEmpty { text = "\(error)" }
        text += " (see '\(configuration.commandName ?? "the tool") --help')"
      }
      let line = text.split(whereSeparator: \.isNewline).joined(separator: "; ")
      if CommandLine.arguments.contains("--json") && !JSONOutput.printed {
        JSONOutput.print(["error": ["code": code, "message": line]])
      }
      FileHandle.standardError.write(Data("error: \(line)\n".utf8))
      SystemCalls.exitProcess(1)
    }
  }
}
