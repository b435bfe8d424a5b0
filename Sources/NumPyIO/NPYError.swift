import WeightFormat

/// Why a `.npy` file could not be read.
///
/// ``description`` is a one-line message; ``code`` (`npy.badMagic`, …) a stable identifier.
public enum NPYError: Error, Sendable, Equatable {
  case tooShort(length: Int)
  case badMagic
  case unsupportedVersion(major: UInt8, minor: UInt8)
  case headerBeyondFile(headerLength: Int, available: Int)
  case headerTooLong(length: Int)
  case invalidHeaderEncoding
  case headerNotDictLiteral(detail: String)
  case headerMissingKey(key: String)
  case headerUnexpectedKey(key: String)
  case headerDuplicateKey(key: String)
  case fortranOrderNotBool(found: String)
  case invalidShape(detail: String)
  case sizeOverflow(shape: String)
  case truncatedData(expected: UInt64, available: Int)
  case trailingBytes(count: Int)
  case objectDtype(descr: String)
  case structuredDtype
  case unsupportedDtype(descr: String)
  case nativeByteOrder(descr: String)

  /// A stable identifier of the error kind, such as `npy.badMagic`.
  public var code: String {
    // Cases without a payload have no Mirror child to name them.
    switch self {
    case .badMagic: "npy.badMagic"
    case .invalidHeaderEncoding: "npy.invalidHeaderEncoding"
    case .structuredDtype: "npy.structuredDtype"
    default: "npy." + caseName(of: self)
    }
  }
}

extension NPYError: GICError {
  /// A one-line message naming what is wrong.
  public var description: String {
    switch self {
    case .tooShort(let n):
      "file is \(n) bytes, too short for a .npy preamble (magic, version, header length)"
    case .badMagic:
      "not a .npy file: bad magic at offset 0 (expected \\x93NUMPY)"
    case .unsupportedVersion(let major, let minor):
      "unsupported .npy format version \(major).\(minor) at offset 6 (supported: 1.0, 2.0, 3.0)"
    case .headerBeyondFile(let length, let available):
      "header length \(length) runs past the end of the file (\(available) bytes follow)"
    case .headerTooLong(let length):
      "header is \(length) bytes, over NumPy's limit of 10000"
    case .invalidHeaderEncoding:
      "version 3.0 header is not valid UTF-8"
    case .headerNotDictLiteral(let detail):
      "header is not a Python dict literal: \(detail)"
    case .headerMissingKey(let key):
      "header lacks the key '\(key)'"
    case .headerUnexpectedKey(let key):
      "header has an unexpected key '\(key)' (allowed: descr, fortran_order, shape)"
    case .headerDuplicateKey(let key):
      "header has the key '\(key)' twice"
    case .fortranOrderNotBool(let found):
      "'fortran_order' must be True or False, found \(found)"
    case .invalidShape(let detail):
      "invalid 'shape': \(detail)"
    case .sizeOverflow(let shape):
      "shape \(shape) describes more bytes than 64 bits can count"
    case .truncatedData(let expected, let available):
      "data is truncated: the header describes \(expected) bytes, the file has \(available)"
    case .trailingBytes(let count):
      "\(count) unexpected bytes follow the array data"
    case .objectDtype(let descr):
      "object arrays ('\(descr)') hold pickled Python objects and are refused"
    case .structuredDtype:
      "structured (record) dtypes are not supported; save each field as its own array"
    case .unsupportedDtype(let descr):
      "unsupported dtype '\(descr)' (supported: bool, int8…int64, uint8…uint64, float16/32/64)"
    case .nativeByteOrder(let descr):
      "dtype '\(descr)' has native byte order ('='), which does not say how the bytes are stored"
    }
  }
}
