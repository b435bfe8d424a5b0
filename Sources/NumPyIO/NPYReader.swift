import Foundation
import WeightFormat

/// Reads NumPy `.npy` files, format versions 1.0, 2.0 and 3.0.
///
/// The reader is strict where NumPy is lenient: it refuses duplicate or unexpected header keys,
/// native (`=`) byte order, object and structured dtypes, and trailing bytes. It accepts any
/// header padding, either key order, both byte orders and both memory orders, and returns the
/// data little-endian in C order (zero-copy when the file already is).
public enum NPYReader {
  /// The 6-byte magic at offset 0.
  public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
  /// NumPy's own limit on the header length.
  public static let maxHeaderLength = 10_000

  /// A parsed header: what the array is and where its data starts.
  public struct Header: Sendable, Equatable {
    public var dtype: DType
    /// Whether the file stores multi-byte elements big-endian.
    public var bigEndian: Bool
    public var fortranOrder: Bool
    public var shape: [Int]
    /// Offset of the first data byte.
    public var dataOffset: Int
    /// The number of data bytes the header describes.
    public var dataLength: UInt64
  }

  /// Reads a whole `.npy` file held in memory.
  ///
  /// - Throws: ``NPYError`` naming the defect.
  public static func read(_ bytes: Data) throws(NPYError) -> NumPyArray {
    let header = try parseHeader(bytes)
    let available = bytes.count - header.dataOffset
    guard header.dataLength <= UInt64(available) else {
      throw .truncatedData(expected: header.dataLength, available: available)
    }
    guard header.dataLength == UInt64(available) else {
      throw .trailingBytes(count: available - Int(header.dataLength))
    }
    let start = bytes.startIndex + header.dataOffset
    let raw = bytes[start..<(start + Int(header.dataLength))]
    let data = ArrayLayout.toLittleEndianCOrder(
      raw, itemSize: header.dtype.itemSize, bigEndian: header.bigEndian,
      fortranOrder: header.fortranOrder, shape: header.shape)
    return NumPyArray(dtype: header.dtype, shape: header.shape, data: data)
  }

  /// Parses the preamble and header of a `.npy` file.
  public static func parseHeader(_ bytes: Data) throws(NPYError) -> Header {
    let b = bytes
    let s = b.startIndex
    guard b.count >= 8 else {
      if b.count >= 6 && !b.starts(with: magic) { throw .badMagic }
      throw .tooShort(length: b.count)
    }
    guard b[s..<(s + 6)].elementsEqual(magic) else { throw .badMagic }
    let major = b[s + 6]
    let minor = b[s + 7]
    let lengthBytes: Int
    switch (major, minor) {
    case (1, 0): lengthBytes = 2
    case (2, 0), (3, 0): lengthBytes = 4
    default: throw .unsupportedVersion(major: major, minor: minor)
    }
    guard b.count >= 8 + lengthBytes else { throw .tooShort(length: b.count) }
    let headerLength =
      lengthBytes == 2
      ? Int(ByteOrder.littleEndian(UInt16.self, from: b, at: 8))
      : Int(ByteOrder.littleEndian(UInt32.self, from: b, at: 8))
    let headerStart = 8 + lengthBytes
    let available = b.count - headerStart
    guard headerLength <= available else {
      throw .headerBeyondFile(headerLength: headerLength, available: available)
    }
    guard headerLength <= maxHeaderLength else { throw .headerTooLong(length: headerLength) }
    let headerBytes = b[(s + headerStart)..<(s + headerStart + headerLength)]
    let text: String
    if major == 3 {
      guard let t = String(validating: headerBytes, as: UTF8.self) else {
        throw .invalidHeaderEncoding
      }
      text = t
    } else {
      // Latin-1: every byte is the code point of the same value.
      text = String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))
    }
    var header = try interpret(text)
    header.dataOffset = headerStart + headerLength
    return header
  }

  /// Interprets the header's dict literal.
  static func interpret(_ text: String) throws(NPYError) -> Header {
    let literal: PythonLiteral
    do {
      literal = try PythonLiteralParser.parse(text)
    } catch {
      throw .headerNotDictLiteral(detail: error.detail)
    }
    guard case .dict(let entries) = literal else {
      throw .headerNotDictLiteral(detail: "the header is \(literal.repr.prefix(40)), not a dict")
    }
    var fields: [String: PythonLiteral] = [:]
    for (key, value) in entries {
      guard case .string(let k) = key else {
        throw .headerNotDictLiteral(detail: "dict key \(key.repr.prefix(40)) is not a string")
      }
      guard fields[k] == nil else { throw .headerDuplicateKey(key: k) }
      fields[k] = value
    }
    for key in ["descr", "fortran_order", "shape"] where fields[key] == nil {
      throw .headerMissingKey(key: key)
    }
    if let extra = fields.keys.sorted().first(where: {
      !["descr", "fortran_order", "shape"].contains($0)
    }) {
      throw .headerUnexpectedKey(key: extra)
    }
    let (dtype, bigEndian) = try parseDescr(fields["descr"] ?? .none)
    guard case .bool(let fortran) = fields["fortran_order"] else {
      throw .fortranOrderNotBool(found: (fields["fortran_order"] ?? .none).repr)
    }
    guard case .tuple(let dims) = fields["shape"] else {
      throw .invalidShape(detail: "\((fields["shape"] ?? .none).repr.prefix(40)) is not a tuple")
    }
    var shape: [Int] = []
    for d in dims {
      guard case .integer(let v) = d else {
        throw .invalidShape(detail: "dimension \(d.repr.prefix(40)) is not an integer")
      }
      guard let v else { throw .sizeOverflow(shape: (fields["shape"] ?? .none).repr) }
      guard v >= 0 else { throw .invalidShape(detail: "dimension \(v) is negative") }
      shape.append(Int(v))
    }
    guard shape.count <= ContainerLimits.maxRank else {
      throw .invalidShape(detail: "\(shape.count) dimensions, more than 16")
    }
    var length = UInt64(dtype.itemSize)
    var overflow = false
    for d in shape {
      let (p, o) = length.multipliedReportingOverflow(by: UInt64(d))
      overflow = overflow || o
      length = p
    }
    if overflow && !shape.contains(0) {
      throw .sizeOverflow(shape: (fields["shape"] ?? .none).repr)
    }
    if shape.contains(0) { length = 0 }
    return Header(
      dtype: dtype, bigEndian: bigEndian && dtype.itemSize > 1, fortranOrder: fortran,
      shape: shape, dataOffset: 0, dataLength: length)
  }

  /// Maps a NumPy type string (`'<f4'`, `'|b1'`, `'>i8'`) to a dtype and byte order.
  static func parseDescr(_ descr: PythonLiteral) throws(NPYError) -> (DType, Bool) {
    switch descr {
    case .list, .tuple: throw .structuredDtype
    case .string(let d):
      var order: Character = "="
      var body = Substring(d)
      if let first = body.first, "<>|=".contains(first) {
        order = first
        body = body.dropFirst()
      }
      if body.hasPrefix("O") { throw .objectDtype(descr: d) }
      if body.hasPrefix("V") && body.count > 1 { throw .structuredDtype }
      let types: [String: DType] = [
        "b1": .bool, "?": .bool, "i1": .int8, "i2": .int16, "i4": .int32, "i8": .int64,
        "u1": .uint8, "u2": .uint16, "u4": .uint32, "u8": .uint64,
        "f2": .float16, "f4": .float32, "f8": .float64,
      ]
      guard let dtype = types[String(body)] else { throw .unsupportedDtype(descr: d) }
      if dtype.itemSize > 1 && (order == "=" || order == "|") { throw .nativeByteOrder(descr: d) }
      return (dtype, order == ">")
    default:
      throw .unsupportedDtype(descr: descr.repr)
    }
  }
}
