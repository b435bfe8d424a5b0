/// A value of the Python literal subset that `.npy` headers use.
enum PythonLiteral: Equatable {
  case string(String)
  case integer(Int64?)  // nil: an integer too large for Int64
  case float(String)
  case bool(Bool)
  case none
  case tuple([PythonLiteral])
  case list([PythonLiteral])
  case dict([(key: PythonLiteral, value: PythonLiteral)])

  static func == (a: PythonLiteral, b: PythonLiteral) -> Bool {
    switch (a, b) {
    case (.string(let x), .string(let y)): x == y
    case (.integer(let x), .integer(let y)): x == y
    case (.float(let x), .float(let y)): x == y
    case (.bool(let x), .bool(let y)): x == y
    case (.none, .none): true
    case (.tuple(let x), .tuple(let y)), (.list(let x), .list(let y)): x == y
    case (.dict(let x), .dict(let y)):
      x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    default: false
    }
  }

  /// Python's `repr`-like text, for messages.
  var repr: String {
    switch self {
    case .string(let s): "'\(s)'"
    case .integer(let i): i.map(String.init) ?? "<huge integer>"
    case .float(let f): f
    case .bool(let b): b ? "True" : "False"
    case .none: "None"
    case .tuple(let items):
      "(" + items.map(\.repr).joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
    case .list(let items): "[" + items.map(\.repr).joined(separator: ", ") + "]"
    case .dict(let entries):
      "{" + entries.map { "\($0.key.repr): \($0.value.repr)" }.joined(separator: ", ") + "}"
    }
  }
}

/// A recursive-descent parser for Python literals.
///
/// Strings, integers, floats, `True`, `False`, `None`, tuples, lists and dicts. Anything else (names, calls, operators) is refused, as
/// NumPy's `ast.literal_eval` refuses it. Nesting is limited to 32 levels so that a hostile
/// header cannot exhaust the stack.
struct PythonLiteralParser {
  private let s: [UInt8]
  private var i = 0
  private var depth = 0

  struct Failure: Error {
    var detail: String
  }

  init(_ text: String) { s = Array(text.utf8) }

  /// Parses the whole text as one literal, allowing surrounding whitespace.
  static func parse(_ text: String) throws(Failure) -> PythonLiteral {
    var p = PythonLiteralParser(text)
    let value = try p.value()
    p.skipSpace()
    guard p.i == p.s.count else { throw Failure(detail: "unexpected text after the literal") }
    return value
  }

  private mutating func skipSpace() {
    while i < s.count, s[i] == 0x20 || s[i] == 0x09 || s[i] == 0x0A || s[i] == 0x0D { i += 1 }
  }

  private mutating func value() throws(Failure) -> PythonLiteral {
    skipSpace()
    guard i < s.count else { throw Failure(detail: "unexpected end of header") }
    depth += 1
    defer { depth -= 1 }
    guard depth <= 32 else { throw Failure(detail: "nesting deeper than 32 levels") }
    switch s[i] {
    case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "{"): return try dict()
    case UInt8(ascii: "("): return try sequence(close: UInt8(ascii: ")"), tuple: true)
    case UInt8(ascii: "["): return try sequence(close: UInt8(ascii: "]"), tuple: false)
    case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "0")...UInt8(ascii: "9"),
      UInt8(ascii: "."):
      return try number()
    default:
      let start = i
      while i < s.count, isIdentifier(s[i]) { i += 1 }
      let word = String(decoding: s[start..<i], as: UTF8.self)
      switch word {
      case "True": return .bool(true)
      case "False": return .bool(false)
      case "None": return .none
      case "": throw Failure(detail: "unexpected character at header byte \(start)")
      default: throw Failure(detail: "'\(word)' is a name, not a literal")
      }
    }
  }

  private func isIdentifier(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
      || c == 0x2E
  }

  private mutating func string() throws(Failure) -> String {
    let quote = s[i]
    i += 1
    var out: [UInt8] = []
    while i < s.count {
      let c = s[i]
      i += 1
      if c == quote { return String(decoding: out, as: UTF8.self) }
      if c == 0x0A { break }
      if c == UInt8(ascii: "\\") {
        guard i < s.count else { break }
        let e = s[i]
        i += 1
        switch e {
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(e)
        default:
          out.append(UInt8(ascii: "\\"))
          out.append(e)
        }
      } else {
        out.append(c)
      }
    }
    throw Failure(detail: "unterminated string")
  }

  private mutating func number() throws(Failure) -> PythonLiteral {
    let start = i
    if s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+") { i += 1 }
    while i < s.count,
      isIdentifier(s[i]) || ((s[i] == 0x2B || s[i] == 0x2D) && (s[i - 1] | 0x20) == 0x65)
    {
      i += 1
    }
    var text = String(decoding: s[start..<i], as: UTF8.self)
    // Python 2 era writers spelled long integers with an `L` suffix: (3L, 4L).
    if text.hasSuffix("L") { text.removeLast() }
    let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
    if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
      return .integer(Int64(text.hasPrefix("+") ? String(text.dropFirst()) : text))
    }
    if Double(text) != nil { return .float(text) }
    throw Failure(detail: "'\(text)' is not a number")
  }

  private mutating func sequence(close: UInt8, tuple: Bool) throws(Failure) -> PythonLiteral {
    i += 1
    var items: [PythonLiteral] = []
    var sawComma = false
    while true {
      skipSpace()
      guard i < s.count else { throw Failure(detail: "unterminated \(tuple ? "tuple" : "list")") }
      if s[i] == close {
        i += 1
        break
      }
      items.append(try value())
      skipSpace()
      guard i < s.count else { throw Failure(detail: "unterminated \(tuple ? "tuple" : "list")") }
      if s[i] == UInt8(ascii: ",") {
        sawComma = true
        i += 1
      } else if s[i] != close {
        throw Failure(detail: "expected ',' at header byte \(i)")
      }
    }
    // `(3)` is a parenthesised integer in Python, not a tuple.
    if tuple && items.count == 1 && !sawComma { return items[0] }
    return tuple ? .tuple(items) : .list(items)
  }

  private mutating func dict() throws(Failure) -> PythonLiteral {
    i += 1
    var entries: [(key: PythonLiteral, value: PythonLiteral)] = []
    while true {
      skipSpace()
      guard i < s.count else { throw Failure(detail: "unterminated dict") }
      if s[i] == UInt8(ascii: "}") {
        i += 1
        return .dict(entries)
      }
      let key = try value()
      skipSpace()
      guard i < s.count, s[i] == UInt8(ascii: ":") else {
        throw Failure(detail: "expected ':' after a dict key")
      }
      i += 1
      let v = try value()
      entries.append((key, v))
      skipSpace()
      guard i < s.count else { throw Failure(detail: "unterminated dict") }
      if s[i] == UInt8(ascii: ",") {
        i += 1
      } else if s[i] != UInt8(ascii: "}") {
        throw Failure(detail: "expected ',' or '}' at header byte \(i)")
      }
    }
  }
}
