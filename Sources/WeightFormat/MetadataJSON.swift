/// A metadata value in JSON form: a string, a number or an array (what `gic-convert inspect
/// --json` and `gic-ref model --json` print).
public struct MetadataJSON: Encodable, Sendable {
  public var value: MetadataValue
  public init(_ value: MetadataValue) { self.value = value }

  public func encode(to encoder: any Encoder) throws {
    switch value {
    case .string(let s):
      var c = encoder.singleValueContainer()
      try c.encode(s)
    case .integer(let i):
      var c = encoder.singleValueContainer()
      try c.encode(i)
    case .list(let items):
      var c = encoder.unkeyedContainer()
      for item in items { try c.encode(MetadataJSON(item)) }
    }
  }

  /// The value as `gic-convert inspect` prints it.
  public var text: String { value.description }
}
