import Foundation
import WeightFormat

extension CompressAITables {
  /// The arrays of an export with CompressAI's empty buffers treated as absent, and a note for
  /// each entropy model whose tables are then computed.
  ///
  /// A model saved without `update()` holds `_quantized_cdf`, `_offset` and `_cdf_length` of
  /// shape [0] (and, for a `GaussianConditional`, an empty `scale_table`). The three empty tables
  /// are removed, so that the tables are computed from the parameters (``Method/automatic``); an
  /// empty `scale_table` becomes CompressAI's default, ``defaultScaleTable()``, which every
  /// `compressai.zoo` model's `update()` installs. Tables only partly empty are left as they
  /// are, for the copy to refuse.
  public static func treatingEmptyTablesAsAbsent(_ arrays: [String: NumPyArray])
    -> (arrays: [String: NumPyArray], notes: [String])
  {
    var arrays = arrays
    var notes: [String] = []
    func isEmpty(_ name: String) -> Bool { arrays[name].map { $0.shape.contains(0) } ?? true }
    for prefix in EntropyModelPrefixes.find(in: Array(arrays.keys)) {
      let tables = ["._quantized_cdf", "._offset", "._cdf_length"].map { prefix + $0 }
      if arrays[tables[0]] != nil, tables.allSatisfy(isEmpty) {
        for name in tables { arrays[name] = nil }
        notes.append(
          "\(prefix) has empty entropy tables (exported without update()): computed from its "
            + "parameters as CompressAI's update() does")
      }
      let scales = prefix + ".scale_table"
      if arrays[scales] != nil, isEmpty(scales) {
        let table = defaultScaleTable()
        arrays[scales] = NumPyArray(
          dtype: .float32, shape: [table.count],
          data: table.map(\.bitPattern.littleEndian).withUnsafeBytes { Data($0) })
        notes.append(
          "\(scales) is empty (exported without update()): CompressAI's default scale table "
            + "used (\(table.count) scales from 0.11 to 256, get_scale_table())")
      }
    }
    return (arrays, notes)
  }

  /// CompressAI's `get_scale_table()`: `exp(linspace(log 0.11, log 256, 64))` in float32.
  ///
  /// Bit-exact with PyTorch's CPU `linspace` (float32 start, end and step; index i < 32 counts
  /// from the start, the others from the end, each with one rounding, as a fused multiply-add)
  /// followed by `exp` rounded to float32; the test compares it with an exported table.
  public static func defaultScaleTable(min: Double = 0.11, max: Double = 256, levels: Int = 64)
    -> [Float]
  {
    let start = Float(log(min))
    let end = Float(log(max))
    let step = (end - start) / Float(levels - 1)
    return (0..<levels).map { i in
      let x =
        i < levels / 2
        ? start.addingProduct(Float(i), step) : end.addingProduct(-Float(levels - 1 - i), step)
      return Float(exp(Double(x)))
    }
  }
}
