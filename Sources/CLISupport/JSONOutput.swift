import Foundation
import WeightFormat

/// The JSON both tools print with `--json`: ``JSONText/encode(_:)`` (snake-case keys, sorted,
/// pretty-printed, slashes unescaped).
public enum JSONOutput {
  /// Whether a JSON document has been printed on stdout (then an error adds none).
  nonisolated(unsafe) public private(set) static var printed = false

  /// `value` as JSON text (`{}` if it cannot be encoded).
  public static func encode(_ value: some Encodable) -> String {
    String(decoding: JSONText.encode(value) ?? Data("{}".utf8), as: UTF8.self)
  }

  /// Prints `value` as JSON on stdout.
  public static func print(_ value: some Encodable) {
    printed = true
    Swift.print(encode(value))
  }
}
