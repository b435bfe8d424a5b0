import Foundation
import WeightFormat

extension CompressAITables {
  // MARK: - Helpers

  static let modulePrefix = "module."

  static func stripModule(_ key: String) -> String {
    key.hasPrefix(modulePrefix) ? String(key.dropFirst(modulePrefix.count)) : key
  }

  /// `σ(x) = 1 / (1 + e^−x)`.
  static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

  /// `Φ(x) = ½·erfc(−x/√2)`, written as CompressAI writes it (`const = −2^−½`).
  static func standardNormalCDF(_ x: Double) -> Double { 0.5 * erfc(-(0.5).squareRoot() * x) }

  static func quantize(_ masses: [Double], _ precision: Int, prefix: String, row: Int)
    throws(EntropyTableError) -> [UInt32]
  {
    do {
      return try QuantizedCDF.fromPMF(masses, precision: precision)
    } catch {
      throw .pmf(prefix: prefix, row: row, error: error)
    }
  }

  static func checkSize(prefix: String, rows: Int, stride: Int) throws(EntropyTableError) {
    guard rows <= ContainerLimits.maxDistributions,
      rows * stride <= ContainerLimits.maxCDFEntries
    else {
      throw .invalidTable(
        prefix: prefix, row: 0,
        reason: "\(rows) rows of stride \(stride) exceed the container's CDF limits")
    }
  }

  static func validated(_ table: CDFTable, prefix: String) throws(EntropyTableError) -> CDFTable {
    do {
      try table.validate(name: prefix)
    } catch {
      if case .invalidCDF(_, let row, let reason) = error {
        throw .invalidTable(prefix: prefix, row: row, reason: reason)
      }
      throw .invalidTable(prefix: prefix, row: 0, reason: error.description)
    }
    return table
  }

  /// An array of float32 or float64 elements, widened to float64.
  static func floats(_ name: String, in arrays: [String: NumPyArray])
    throws(EntropyTableError) -> (shape: [Int], values: [Double])
  {
    guard let array = arrays[name] else { throw .missingArray(name: name) }
    let count = array.shape.reduce(1, *)
    switch array.dtype {
    case .float32:
      let values = array.data.withUnsafeBytes { raw in
        (0..<count).map { i in
          Double(
            Float(
              bitPattern: UInt32(
                littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
        }
      }
      return (array.shape, values)
    case .float64:
      let values = array.data.withUnsafeBytes { raw in
        (0..<count).map { i in
          Double(
            bitPattern: UInt64(
              littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
        }
      }
      return (array.shape, values)
    default:
      throw .unsupportedDType(name: name, dtype: array.dtype.name, expected: "float32 or float64")
    }
  }

  /// An array of int32 or int64 elements, widened to Int64.
  static func integers(_ name: String, in arrays: [String: NumPyArray])
    throws(EntropyTableError) -> (shape: [Int], values: [Int64])
  {
    guard let array = arrays[name] else { throw .missingArray(name: name) }
    let count = array.shape.reduce(1, *)
    switch array.dtype {
    case .int32:
      let values = array.data.withUnsafeBytes { raw in
        (0..<count).map { i in
          Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
        }
      }
      return (array.shape, values)
    case .int64:
      let values = array.data.withUnsafeBytes { raw in
        (0..<count).map { i in
          Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
        }
      }
      return (array.shape, values)
    default:
      throw .unsupportedDType(name: name, dtype: array.dtype.name, expected: "int32 or int64")
    }
  }
}
