/// An error gic reports to a person: a stable ``code`` naming its kind (such as `gicw.badMagic`
/// or `bitstream.truncated`) and a one-line `description` naming what is wrong and where.
///
/// Every error type of the libraries conforms, and both tools report errors only through it:
/// `error: <description>` on stderr and, with `--json`, `{"error": {"code", "message"}}` on
/// stdout, then exit status 1 (CLISupport's `runAsTool`).
public protocol GICError: Error, CustomStringConvertible, Sendable {
  /// A stable identifier of the error kind: `<area>.<case>`.
  var code: String { get }
  /// The file the description names already, if any (an I/O error names its file).
  var namedFile: String? { get }
}

extension GICError {
  public var namedFile: String? { nil }
}

/// An error with the file it concerns: `<path>: <error>`, with the underlying error's code.
public struct LocatedError: GICError {
  /// The file being read or written when the error happened.
  public var path: String
  /// The underlying typed error.
  public var underlying: any GICError

  public init(path: String, _ error: any GICError) {
    self.path = path
    underlying = error
  }

  public var code: String { underlying.code }
  public var namedFile: String? { path }

  /// The underlying description, after `<path>: ` unless it names that file already.
  public var description: String {
    underlying.namedFile == path ? underlying.description : "\(path): \(underlying)"
  }
}

extension LocatedError {
  /// `error` with `path` attached when it is a ``GICError``; any other error unchanged.
  public static func attaching(_ path: String, to error: any Error) -> any Error {
    guard let error = error as? any GICError else { return error }
    return LocatedError(path: path, error)
  }
}
