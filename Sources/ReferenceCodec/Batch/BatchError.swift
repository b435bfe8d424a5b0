import WeightFormat

/// Why a batch, a shard or a batch manifest could not be used.
public enum BatchError: Error, Sendable, Equatable {
  /// A `--shard` value that is not `i/n` with 0 ≤ i < n.
  case badShard(text: String)
  /// A directory or list file that names no picture.
  case noInputs(path: String)
  /// Two inputs of one batch that would be written to the same output name.
  case duplicateName(name: String)
  /// A list file or batch manifest that cannot be read.
  case unreadable(path: String, reason: String)
  /// A manifest line that is not a batch entry (line numbers from 1).
  case badManifestLine(path: String, line: Int, reason: String)
  /// The same input in two manifests being merged (or twice in one).
  case duplicateInput(name: String, first: String, second: String)
  /// Merged conformance manifests that disagree on their models.
  case modelsDiffer(path: String)

  /// A stable identifier of the error kind, such as `batch.badShard`.
  public var code: String { "batch." + caseName(of: self) }
}

extension BatchError: GICError {
  public var description: String {
    switch self {
    case .badShard(let text): "shard \(text) is not i/n with 0 ≤ i < n"
    case .noInputs(let path): "\(path): no pictures to code"
    case .duplicateName(let name): "two inputs are named \(name)"
    case .unreadable(let path, let reason): "\(path): \(reason)"
    case .badManifestLine(let path, let line, let reason): "\(path):\(line): \(reason)"
    case .duplicateInput(let name, let first, let second):
      "\(name) appears in both \(first) and \(second)"
    case .modelsDiffer(let path): "\(path): the models differ from the first manifest's"
    }
  }

  public var namedFile: String? {
    switch self {
    case .noInputs(let path), .unreadable(let path, _), .badManifestLine(let path, _, _),
      .modelsDiffer(let path):
      path
    default: nil
    }
  }
}
