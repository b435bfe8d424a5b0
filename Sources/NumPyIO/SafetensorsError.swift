import WeightFormat

/// Why a `.safetensors` file could not be read.
///
/// ``description`` is a one-line message naming the tensor or byte offset; ``code``
/// (`safetensors.headerTooLarge`, …) a stable identifier.
public enum SafetensorsError: Error, Sendable, Equatable {
  /// The file is shorter than the 8-byte header length.
  case truncated(size: Int)
  /// The header length exceeds the format's limit or the file.
  case headerTooLarge(declared: UInt64, limit: UInt64, fileBytes: Int)
  /// The header is not a JSON object of the format's shape.
  case invalidHeader(detail: String)
  /// A tensor's entry is malformed.
  case invalidTensor(name: String, detail: String)
  /// A dtype gic cannot use (or the format does not define).
  case unsupportedDType(name: String, dtype: String)
  /// The tensors' byte ranges leave a hole, overlap, or do not cover the data buffer.
  case badOffsets(name: String, detail: String)

  public var code: String { "safetensors." + caseName(of: self) }
}

extension SafetensorsError: GICError {
  public var description: String {
    switch self {
    case .truncated(let size):
      "not a safetensors file: \(size) bytes, shorter than the 8-byte header length"
    case .headerTooLarge(let declared, let limit, let fileBytes):
      "safetensors header length \(declared) at offset 0 exceeds "
        + (declared > limit
          ? "the format's limit of \(limit) bytes" : "the file (\(fileBytes) bytes)")
    case .invalidHeader(let detail):
      "safetensors header (offset 8): \(detail)"
    case .invalidTensor(let name, let detail):
      "tensor \(JSONText.quote(name)): \(detail)"
    case .unsupportedDType(let name, let dtype):
      "tensor \(JSONText.quote(name)) has dtype \(dtype); gic-convert reads F64, F32, F16, I64, "
        + "I32, I16, I8, U8 and BOOL (convert the tensor to float32 first)"
    case .badOffsets(let name, let detail):
      "tensor \(JSONText.quote(name)): \(detail)"
    }
  }
}
