import ArgumentParser
import Foundation

extension ParsableCommand {
  /// Parses the command line, runs the command and exits: status 0 on success (and for
  /// `--help`/`--version`), 1 on any error with one line `error: …` on stderr.
  ///
  /// ArgumentParser's own `main()` exits with 64 on usage errors and prints several lines; gic's
  /// tools promise 0 or 1 and one line.
  /// - Parameter isDomainError: whether an error's description is already a complete message
  ///   (file-format and codec errors); other errors are usage errors and get a pointer to
  ///   `--help`.
  public static func runAsTool(isDomainError: (any Error) -> Bool) -> Never {
    do {
      var command = try parseAsRoot()
      try command.run()
      Foundation.exit(0)
    } catch {
      if exitCode(for: error) == .success {
        print(fullMessage(for: error))
        Foundation.exit(0)
      }
      var text: String
      if isDomainError(error) {
        text = "\(error)"
      } else {
        text = message(for: error)
        if text.isEmpty { text = "\(error)" }
        text += " (see '\(configuration.commandName ?? "the tool") --help')"
      }
      let line = text.split(whereSeparator: \.isNewline).joined(separator: "; ")
      FileHandle.standardError.write(Data("error: \(line)\n".utf8))
      Foundation.exit(1)
    }
  }
}
