import Foundation

/// A typed metadata value (spec/container.md §5.1): a string, a 64-bit integer, or a list.
public enum MetadataValue: Sendable, Hashable {
  case string(String)
  case integer(Int64)
  case list([MetadataValue])

  /// The normative tag byte of the value's type.
  var tag: UInt8 {
    switch self {
    case .string: 1
    case .integer: 2
    case .list: 3
    }
  }
}

extension MetadataValue: CustomStringConvertible {
  /// A JSON-like rendering, used by `gic-convert inspect`.
  public var description: String {
    switch self {
    case .string(let s): JSONText.quote(s)
    case .integer(let i): String(i)
    case .list(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
    }
  }
}

/// Minimal JSON text helpers shared by the command-line tools.
public enum JSONText {
  /// `value` as gic's canonical JSON (the tools' `--json` reports, conformance manifests):
  /// snake-case keys, sorted, two-space indentation (one line when `pretty` is false: batch
  /// manifests), slashes unescaped; nil if it cannot be encoded.
  public static func encode(_ value: some Encodable, pretty: Bool = true) -> Data? {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting =
      pretty
      ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
      : [.sortedKeys, .withoutEscapingSlashes]
    return try? encoder.encode(value)
  }

  /// Returns `s` as a JSON string literal, escaping quotes, backslashes and control characters.
  public static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
