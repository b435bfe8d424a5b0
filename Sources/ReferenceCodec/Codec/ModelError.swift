import WeightFormat

/// Why a container cannot be used as a codec model.
///
/// ``description`` is a one-line message naming the graph, node or tensor at fault; ``code``
/// (`model.invalidNode`, …) a stable identifier.
public enum ModelError: Error, Sendable, Equatable {
  /// The container is not a codec model: no or an unknown `gic.profile`.
  case notACodecModel(reason: String)
  /// A required metadata entry, tensor or table is missing or has the wrong type or shape.
  case missing(what: String, reason: String)
  /// A graph's stored structure is malformed.
  case invalidGraph(GraphFormatError)
  /// A node breaks a rule of spec/integer-ops.md.
  case invalidNode(graph: String, node: Int, output: String, reason: String)
  /// A node's accumulator bound (spec/integer-ops.md §3) exceeds 2^31 − 1.
  case accumulatorBoundExceeded(graph: String, output: String, bound: Int64)
  /// Even the smallest picture would exceed the resource budget (``ResourceBudget``).
  case resources(ResourceError)

  /// A stable identifier of the error kind.
  public var code: String {
    switch self {
    case .invalidGraph(let e): e.code
    case .resources(let e): e.code
    default: "model." + caseName(of: self)
    }
  }
}

extension ModelError: GICError {
  /// A one-line message naming what is wrong and where.
  public var description: String {
    switch self {
    case .notACodecModel(let reason):
      "not a codec model: \(reason)"
    case .missing(let what, let reason):
      "model is missing \(what): \(reason)"
    case .invalidGraph(let e):
      "model graph is malformed: \(e)"
    case .invalidNode(let graph, let node, let output, let reason):
      "graph \(graph), node \(node) (\(output)): \(reason)"
    case .accumulatorBoundExceeded(let graph, let output, let bound):
      "graph \(graph), node \(output): accumulator bound \(bound) exceeds 2^31 − 1 (spec/integer-ops.md §3)"
    case .resources(let e):
      "model refused: \(e)"
    }
  }
}

extension WeightFile {
  /// The values of an int16 or int32 tensor as `T`, checking its dtype and element count.
  ///
  /// - Throws: ``ModelError/missing(what:reason:)`` if the tensor is absent or mismatched.
  func integers<T: FixedWidthInteger>(
    _ name: String, as type: T.Type, count: Int? = nil, shape: [Int]? = nil
  ) throws(ModelError) -> [T] {
    guard let record = tensor(named: name) else {
      throw .missing(what: "tensor \(name)", reason: "not in the container")
    }
    let size = MemoryLayout<T>.size
    let expectedDType: DType = size == 2 ? .int16 : size == 4 ? .int32 : .int64
    guard record.dtype == expectedDType else {
      throw .missing(
        what: "tensor \(name)", reason: "dtype \(record.dtype), expected \(expectedDType)")
    }
    if let shape, record.shape != shape {
      throw .missing(what: "tensor \(name)", reason: "shape \(record.shape), expected \(shape)")
    }
    let n = record.shape.reduce(1, *)
    if let count, n != count {
      throw .missing(what: "tensor \(name)", reason: "\(n) elements, expected \(count)")
    }
    let bytes = data(of: record)
    return [T](unsafeUninitializedCapacity: n) { out, initialized in
      bytes.withUnsafeBytes { raw in
        #if _endian(little)
        // The stored little-endian values are the host's: one copy, not n loads.
        UnsafeMutableRawBufferPointer(out).copyMemory(
          from: UnsafeRawBufferPointer(rebasing: raw[0..<(n * size)]))
        #else
        for i in 0..<n {
          out[i] = T(littleEndian: raw.loadUnaligned(fromByteOffset: i * size, as: T.self))
        }
        #endif
      }
      initialized = n
    }
  }

  /// The integer metadata entry `key`.
  func integerMetadata(_ key: String) throws(ModelError) -> Int64 {
    guard case .integer(let v) = metadata(key) else {
      throw .missing(what: "metadata \(key)", reason: "absent or not an integer")
    }
    return v
  }
}
