import WeightFormat

/// The Gaussian conditional entropy model (spec/entropy-coding.md §4.2): a table row per scale,
/// chosen for each value by comparing its integer scale with integer thresholds.
public struct GaussianConditionalCoder: Sendable {
  public let table: EntropyTable
  public let model: GaussianConditionalModel
  /// The fraction bits of the integer scales the thresholds are expressed in.
  public let scaleFractionBits: Int

  /// Pairs a table with its thresholds; the table needs one row more than there are thresholds.
  ///
  /// - Throws: ``EntropyError/invalidTable(reason:)`` if the counts disagree.
  public init(table: EntropyTable, model: GaussianConditionalModel, scaleFractionBits: Int)
    throws(EntropyError)
  {
    guard table.rowCount == model.rowCount else {
      throw .invalidTable(
        reason: "\(table.rowCount) table rows for \(model.thresholds.count) scale thresholds")
    }
    self.table = table
    self.model = model
    self.scaleFractionBits = scaleFractionBits
  }

  /// Loads the table `name` and its thresholds `name.scale_thresholds` (an int32 tensor
  /// quantized per tensor with multiplier 1: its shift is the scales' fraction bits), as the
  /// `compressai-tables` converter profile writes them.
  ///
  /// - Throws: ``EntropyError/invalidTable(reason:)`` if either is missing or malformed.
  public init(file: WeightFile, name: String) throws(EntropyError) {
    guard let cdf = file.cdfTable(named: name) else {
      throw .invalidTable(reason: "the model has no CDF table named \(name)")
    }
    let thresholdName = name + ".scale_thresholds"
    guard let record = file.tensor(named: thresholdName), record.dtype == .int32,
      record.shape.count == 1,
      case .perTensor(let q) = record.quantization, q.multiplier == 1, q.zeroPoint == 0,
      (0...32).contains(q.shift)
    else {
      throw .invalidTable(
        reason: "\(thresholdName) must be an int32 vector with per-tensor scale 2^-shift")
    }
    let bytes = Array(file.data(of: record))
    var thresholds: [Int64] = []
    thresholds.reserveCapacity(record.shape[0])
    for i in 0..<record.shape[0] {
      let v = ByteOrder.littleEndian(UInt32.self, from: bytes, at: 4 * i)
      thresholds.append(Int64(Int32(bitPattern: v)))
    }
    try self.init(
      table: try EntropyTable(cdf, name: name),
      model: try GaussianConditionalModel(thresholds: thresholds),
      scaleFractionBits: Int(q.shift))
  }

  /// The table row of each integer scale.
  public func rows(scales: [Int64]) -> [Int32] {
    scales.map { Int32(model.row(forScale: $0)) }
  }

  /// Codes `values[i]` with the row its scale `scales[i]` selects.
  public func encode(_ values: [Int64], scales: [Int64]) throws(EntropyError) -> [UInt8] {
    guard values.count == scales.count else {
      throw .invalidTable(reason: "\(values.count) values for \(scales.count) scales")
    }
    return try table.encode(values: values, rows: rows(scales: scales))
  }

  /// Decodes one value per scale.
  public func decode(_ stream: [UInt8], scales: [Int64]) throws(EntropyError) -> [Int32] {
    try table.decode32(stream, rows: rows(scales: scales))
  }
}
