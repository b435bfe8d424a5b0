/// The element type of a tensor in a `.gicw` container (spec/container.md §5.2.1).
///
/// Raw values are the normative dtype codes; names are NumPy's.
public enum DType: UInt8, Sendable, CaseIterable, Hashable {
  case bool = 1
  case int8 = 2
  case int16 = 3
  case int32 = 4
  case int64 = 5
  case uint8 = 6
  case uint16 = 7
  case uint32 = 8
  case uint64 = 9
  case float16 = 10
  case float32 = 11
  case float64 = 12

  /// The size of one element in bytes.
  public var itemSize: Int {
    switch self {
    case .bool, .int8, .uint8: 1
    case .int16, .uint16, .float16: 2
    case .int32, .uint32, .float32: 4
    case .int64, .uint64, .float64: 8
    }
  }

  /// NumPy's name for the type (`float32`, `int16`, …).
  public var name: String {
    switch self {
    case .bool: "bool"
    case .int8: "int8"
    case .int16: "int16"
    case .int32: "int32"
    case .int64: "int64"
    case .uint8: "uint8"
    case .uint16: "uint16"
    case .uint32: "uint32"
    case .uint64: "uint64"
    case .float16: "float16"
    case .float32: "float32"
    case .float64: "float64"
    }
  }

  /// Creates a dtype from NumPy's name, or returns `nil` for any other string.
  public init?(name: String) {
    guard let match = DType.allCases.first(where: { $0.name == name }) else { return nil }
    self = match
  }

  /// Whether the container allows quantization parameters on this type (§5.2.2).
  public var isQuantizable: Bool {
    switch self {
    case .int8, .int16, .int32, .uint8, .uint16, .uint32: true
    default: false
    }
  }

  /// The inclusive range of integer values of a quantizable type.
  var integerRange: ClosedRange<Int64>? {
    switch self {
    case .int8: Int64(Int8.min)...Int64(Int8.max)
    case .int16: Int64(Int16.min)...Int64(Int16.max)
    case .int32: Int64(Int32.min)...Int64(Int32.max)
    case .uint8: 0...Int64(UInt8.max)
    case .uint16: 0...Int64(UInt16.max)
    case .uint32: 0...Int64(UInt32.max)
    default: nil
    }
  }
}
