import Foundation

/// The JSON both tools print with `--json`: snake-case keys, sorted, pretty-printed, slashes
/// unescaped.
public enum JSONOutput {
  /// `value` as JSON text (`{}` if it cannot be encoded).
  public static func encode(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }
}
