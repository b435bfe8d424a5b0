import Crypto
import Foundation

/// An opened, fully validated `.gicw` container (spec/container.md).
///
/// Opening checks the structure, every limit, canonical layout, the model digest and every object
/// digest; an instance therefore only exists for a file that conforms. Tensor data is served
/// from the (memory-mapped) file without copying.
public struct WeightFile: Sendable {
  /// The container format version this implementation writes.
  public static let currentVersion = (major: UInt16(1), minor: UInt16(0))
  /// The 8-byte magic at offset 0.
  public static let magic: [UInt8] = [0x89, 0x47, 0x49, 0x43, 0x57, 0x0D, 0x0A, 0x1A]

  public let major: UInt16
  public let minor: UInt16
  /// The SHA-256 model digest (§6).
  public let modelDigest: [UInt8]
  public let sections: [SectionEntry]
  /// Metadata entries sorted by key.
  public let metadata: [(key: String, value: MetadataValue)]
  /// Tensor records sorted by name.
  public let tensors: [TensorRecord]
  /// CDF tables sorted by name.
  public let cdfTables: [CDFTableRecord]

  let storage: Data
  let dataSectionOffset: Int

  /// The model digest as lower-case hexadecimal text.
  public var modelDigestHex: String { hexString(modelDigest) }

  /// The total length of the file in bytes.
  public var fileLength: Int { storage.count }

  /// Opens and validates the container at `path`, mapping it into memory.
  ///
  /// - Throws: ``WeightFormatError``, naming the offset or object at fault.
  public static func open(path: String) throws(WeightFormatError) -> WeightFile {
    try WeightFile(bytes: try InputFiles.map(path))
  }

  /// Validates a container held in memory.
  public init(bytes: Data) throws(WeightFormatError) {
    let parsed = try ContainerParser.parse(bytes)
    major = parsed.major
    minor = parsed.minor
    modelDigest = parsed.modelDigest
    sections = parsed.sections
    metadata = parsed.metadata
    tensors = parsed.tensors
    cdfTables = parsed.cdfTables
    storage = bytes
    dataSectionOffset = parsed.dataSectionOffset
  }

  /// The record of the tensor named `name`, if any.
  public func tensor(named name: String) -> TensorRecord? {
    tensors.first { ContainerRules.sameName($0.name, name) }
  }

  /// The CDF table named `name`, if any.
  public func cdfTable(named name: String) -> CDFTable? {
    cdfTables.first { ContainerRules.sameName($0.name, name) }?.table
  }

  /// The metadata value for `key`, if any.
  public func metadata(_ key: String) -> MetadataValue? {
    metadata.first { ContainerRules.sameName($0.key, key) }?.value
  }

  /// The data bytes of a tensor (already verified against its digest when the file was opened).
  public func data(of tensor: TensorRecord) -> Data {
    let start = storage.startIndex + dataSectionOffset + Int(tensor.dataOffset)
    return storage[start..<(start + Int(tensor.dataLength))]
  }

  /// The tensor as the writer takes it: record plus bytes.
  public func tensorValue(_ record: TensorRecord) -> Tensor {
    Tensor(
      name: record.name, dtype: record.dtype, shape: record.shape,
      quantization: record.quantization, data: data(of: record))
  }
}

/// A short reason for a Foundation file error ("no such file", "permission denied", the POSIX
/// message): the package's one I/O-error formatter.
public func readableIOReason(_ error: any Error) -> String {
  let ns = error as NSError
  if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError,
    underlying.domain == NSPOSIXErrorDomain
  {
    return SystemCalls.errorMessage(for: Int32(underlying.code))
  }
  if ns.domain == NSCocoaErrorDomain {
    switch ns.code {
    case NSFileReadNoSuchFileError: return "no such file"
    case NSFileReadNoPermissionError: return "permission denied"
    default: break
    }
  }
  if ns.domain == NSCocoaErrorDomain {
    // Foundation's own texts ("The file … couldn't be opened …") are not gic's words.
    return "cannot read the file (error \(ns.code))"
  }
  return ns.localizedDescription
}
