import Foundation
import WeightFormat

/// Why a CompressAI CDF table could not be copied or computed.
///
/// Each case names the array, row or parameter concerned; ``code`` is a stable identifier.
public enum EntropyTableError: Error, Sendable, Equatable {
  /// Both `module.<name>` and `<name>` are present.
  case duplicateKey(name: String)
  /// A required array is missing.
  case missingArray(name: String)
  /// An array has a dtype the builder does not read.
  case unsupportedDType(name: String, dtype: String, expected: String)
  /// An array has the wrong shape.
  case badShape(name: String, shape: [Int], expected: String)
  /// One density parameter is present in more than one spelling.
  case ambiguousParameter(names: [String])
  /// The density parameters do not fit together.
  case inconsistentDensity(name: String, reason: String)
  /// Neither a stored table, nor `quantiles`, nor `scale_table` under the prefix.
  case noEntropyModel(prefix: String)
  /// Both `quantiles` and `scale_table` under the prefix.
  case ambiguousModel(prefix: String)
  /// A parameter value is unusable (not finite, a scale ≤ 0, …).
  case invalidParameter(name: String, index: Int, reason: String)
  /// A row would have more symbols than the precision allows.
  case rowTooLong(prefix: String, row: Int, length: Double, limit: Int)
  /// A table breaks an invariant of spec/container.md §5.3 (or its limits).
  case invalidTable(prefix: String, row: Int, reason: String)
  /// The masses of a row could not be quantized.
  case pmf(prefix: String, row: Int, error: QuantizedCDFError)
  /// An argument of the call is out of range.
  case invalidArgument(name: String, reason: String)

  /// A stable identifier of the error kind, such as `entropy.invalidTable`.
  public var code: String { "tables." + caseName(of: self) }
}

extension EntropyTableError: GICError {
  /// A one-line message naming what is wrong and where.
  public var description: String {
    switch self {
    case .duplicateKey(let name): "both 'module.\(name)' and '\(name)' are present"
    case .missingArray(let name): "missing array '\(name)'"
    case .unsupportedDType(let name, let dtype, let expected):
      "'\(name)' has dtype \(dtype), expected \(expected)"
    case .badShape(let name, let shape, let expected):
      "'\(name)' has shape \(shape), expected \(expected)"
    case .ambiguousParameter(let names):
      "one parameter in several spellings: \(names.joined(separator: ", "))"
    case .inconsistentDensity(let name, let reason): "'\(name)': \(reason)"
    case .noEntropyModel(let prefix):
      "no entropy model under '\(prefix)': no _quantized_cdf, quantiles or scale_table"
    case .ambiguousModel(let prefix):
      "'\(prefix)' has both quantiles and scale_table: not one entropy model"
    case .invalidParameter(let name, let index, let reason): "'\(name)'[\(index)]: \(reason)"
    case .rowTooLong(let prefix, let row, let length, let limit):
      "\(prefix) row \(row): \(length) symbols, at most \(limit) at this precision"
    case .invalidTable(let prefix, let row, let reason): "\(prefix) CDF table row \(row): \(reason)"
    case .pmf(let prefix, let row, let error): "\(prefix) row \(row): \(error)"
    case .invalidArgument(let name, let reason): "\(name): \(reason)"
    }
  }
}
