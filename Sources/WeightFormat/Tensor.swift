import Crypto
import Foundation

/// A named tensor with its element bytes, as the container writer takes it.
///
/// `data` holds `shape.product × dtype.itemSize` bytes, little-endian, row-major (C) order.
public struct Tensor: Sendable {
  public var name: String
  public var dtype: DType
  public var shape: [Int]
  public var quantization: Quantization?
  public var data: Data

  /// Creates a tensor; ``WeightFileWriter/add(_:)`` checks its consistency.
  public init(
    name: String, dtype: DType, shape: [Int], quantization: Quantization? = nil, data: Data
  ) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.quantization = quantization
    self.data = data
  }

  /// The number of elements, or `nil` if it overflows.
  public static func elementCount(_ shape: [Int]) -> Int? {
    var n = 1
    for d in shape {
      guard d >= 0 else { return nil }
      let (p, o) = n.multipliedReportingOverflow(by: d)
      if o { return nil }
      n = p
    }
    return n
  }
}

/// A tensor's record in an opened container (spec/container.md §5.2).
public struct TensorRecord: Sendable, Hashable {
  public var name: String
  public var dtype: DType
  public var shape: [Int]
  public var quantization: Quantization?
  /// Offset of the data relative to the start of the DATA section.
  public var dataOffset: UInt64
  public var dataLength: UInt64
  /// SHA-256 of the data bytes.
  public var sha256: [UInt8]
}

extension TensorRecord {
  /// Where the data lies and its digest.
  var object: ContainerParser.DataObject {
    ContainerParser.DataObject(name: name, offset: dataOffset, length: dataLength, sha256: sha256)
  }
}

/// A CDF table's record in an opened container (spec/container.md §5.3).
public struct CDFTableRecord: Sendable, Hashable {
  public var name: String
  public var table: CDFTable
  public var dataOffset: UInt64
  public var dataLength: UInt64
  public var sha256: [UInt8]
}

/// One entry of the section table (spec/container.md §4).
public struct SectionEntry: Sendable, Hashable {
  public var kind: UInt32
  public var flags: UInt32
  public var offset: UInt64
  public var length: UInt64
  public var isCritical: Bool { flags & 1 != 0 }
}

/// Lower-case hexadecimal text of bytes.
public func hexString(_ bytes: some Sequence<UInt8>) -> String {
  let digits = Array("0123456789abcdef".utf8)
  var out: [UInt8] = []
  for b in bytes {
    out.append(digits[Int(b >> 4)])
    out.append(digits[Int(b & 15)])
  }
  return String(decoding: out, as: UTF8.self)
}

/// SHA-256 helpers for callers that do not link swift-crypto themselves.
public enum MD5Hex {
  /// The MD5 of `bytes` as lower-case hexadecimal text (conformance manifests list it beside
  /// SHA-256 for tools that only have MD5; it is not used for integrity).
  public static func of(_ bytes: Data) -> String {
    bytes.withUnsafeBytes { hexString(Insecure.MD5.hash(data: $0)) }
  }
}

/// A SHA-256 fed in pieces (a member hashed as it inflates, never held whole).
public struct SHA256Stream {
  private var hasher = SHA256()

  public init() {}

  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    hasher.update(bufferPointer: bytes)
  }

  /// The digest as lower-case hexadecimal text.
  public func finalize() -> String { hexString(hasher.finalize()) }
}

public enum SHA256Hex {
  /// The SHA-256 of `bytes` as lower-case hexadecimal text.
  public static func of(_ bytes: Data) -> String {
    bytes.withUnsafeBytes { hexString(SHA256.hash(data: $0)) }
  }

  /// The SHA-256 of the file at `path`, read 1 MiB at a time, as lower-case hexadecimal text.
  ///
  /// - Throws: ``WeightFormatError/io(path:reason:)`` if the file cannot be read.
  public static func ofFile(path: String) throws(WeightFormatError) -> String {
    // Opened through InputFiles: a regular file only, never blocking on a FIFO (issue #17).
    let (fd, _) = try InputFiles.open(path)
    defer { SystemCalls.closeFile(fd) }
    var hasher = SHA256()
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = chunk.withUnsafeMutableBytes { SystemCalls.readFile(fd, $0.baseAddress, $0.count) }
      if n < 0 { throw .io(path: path, reason: "read failed: \(SystemCalls.errorMessage)") }
      if n == 0 { break }
      chunk.withUnsafeBytes {
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n]))
      }
    }
    return hexString(hasher.finalize())
  }
}
