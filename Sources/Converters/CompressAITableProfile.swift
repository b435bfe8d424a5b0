import Foundation
import WeightFormat

/// The objects the `compressai-tables` profile adds to a conversion.
struct CompressAITableProfile {
  /// The fraction bits of the scale thresholds: σ is compared as an integer in units of 2^−16.
  static let thresholdFractionBits = 16

  /// CDF tables by name (the entropy model's prefix).
  var cdfTables: [String: CDFTable] = [:]
  /// Derived tensors with their data (little-endian), by name.
  var tensors: [(spec: StreamingWeightFileWriter.TensorSpec, data: Data)] = []

  /// No tables (profiles other than `compressai-tables`).
  init() {}

  /// The array names the profile needs to read.
  static func neededArrays(names: [String]) -> Set<String> {
    let prefixes = EntropyModelPrefixes.find(in: names)
    return Set(names.filter { name in prefixes.contains { name.hasPrefix($0 + ".") } })
  }

  /// Builds the tables and thresholds from the entropy models' arrays.
  ///
  /// - Throws: ``EntropyTableError`` naming the model, array or row at fault.
  init(arrays: [String: NumPyArray]) throws {
    for prefix in EntropyModelPrefixes.find(in: Array(arrays.keys)) {
      cdfTables[prefix] = try CompressAITables.table(prefix: prefix, in: arrays)
      guard arrays[prefix + ".scale_table"] != nil else { continue }
      let scales = try CompressAITables.scaleTable(
        prefix: CompressAITables.stripModule(prefix),
        in: try CompressAITables.strippingModulePrefix(arrays))
      let thresholds = try CompressAITables.scaleThresholds(
        scaleTable: scales, fractionBits: Self.thresholdFractionBits)
      var data = Data(capacity: 4 * thresholds.count)
      for t in thresholds {
        guard let v = Int32(exactly: t) else {
          throw EntropyTableError.invalidArgument(
            name: prefix + ".scale_table",
            reason: "scale \(t) × 2^-16 does not fit int32 thresholds")
        }
        withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
      }
      let spec = StreamingWeightFileWriter.TensorSpec(
        name: prefix + ".scale_thresholds", dtype: .int32, shape: [thresholds.count],
        quantization: .perTensor(
          QuantizationParameters(multiplier: 1, shift: Int32(Self.thresholdFractionBits))))
      tensors.append((spec, data))
    }
  }
}
