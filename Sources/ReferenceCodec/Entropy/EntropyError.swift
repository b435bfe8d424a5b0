import WeightFormat

/// Why entropy coding or decoding failed.
///
/// ``description`` is a one-line message; ``code`` (`entropy.damagedStream`, …) a stable
/// identifier.
public enum EntropyError: Error, Sendable, Equatable {
  /// The stream breaks a rule of spec/entropy-coding.md §6 at `offset`.
  case damagedStream(offset: Int, reason: String)
  /// A table row or index outside the table.
  case rowOutOfRange(row: Int, rows: Int)
  /// A table the coder cannot use.
  case invalidTable(reason: String)

  /// A stable identifier of the error kind.
  public var code: String { "entropy." + caseName(of: self) }
}

extension EntropyError {
  /// A state needed renormalising at `offset` but the stream had no word left.
  @usableFromInline
  static func streamEndsInRenormalisation(at offset: Int) -> EntropyError {
    .damagedStream(offset: offset, reason: "stream ends inside a renormalisation")
  }
}

extension EntropyError: GICError {
  /// A one-line message naming what is wrong and where.
  public var description: String {
    switch self {
    case .damagedStream(let offset, let reason):
      "entropy-coded stream is damaged at byte \(offset): \(reason)"
    case .rowOutOfRange(let row, let rows):
      "CDF row \(row) does not exist (the table has \(rows) rows)"
    case .invalidTable(let reason):
      "CDF table cannot be used for coding: \(reason)"
    }
  }
}
