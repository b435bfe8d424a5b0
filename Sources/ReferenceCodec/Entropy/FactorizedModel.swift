import WeightFormat

/// The factorized entropy model (spec/entropy-coding.md §4.1): one table row per channel, as
/// CompressAI's `EntropyBottleneck`.
///
/// Codes a (C, H, W) tensor of integers in memory order, every value of channel c with row c.
public struct FactorizedModel: Sendable {
  public let table: EntropyTable

  /// Wraps a table whose rows are the channels.
  public init(table: EntropyTable) {
    self.table = table
  }

  /// Loads the table named `name` from a container.
  ///
  /// - Throws: ``EntropyError/invalidTable(reason:)`` if the container has no such table.
  public init(file: WeightFile, name: String) throws(EntropyError) {
    guard let cdf = file.cdfTable(named: name) else {
      throw .invalidTable(reason: "the model has no CDF table named \(name)")
    }
    table = try EntropyTable(cdf, name: name)
  }

  /// The number of channels.
  public var channels: Int { table.rowCount }

  /// The row of every value of a (C, H, W) tensor with `plane` = H·W values per channel.
  public func rows(plane: Int) -> [Int32] {
    var rows = [Int32](repeating: 0, count: channels * plane)
    for c in 0..<channels {
      for p in 0..<plane { rows[c * plane + p] = Int32(c) }
    }
    return rows
  }

  /// Codes a (C, H, W) tensor, C = ``channels``.
  public func encode(_ values: [Int64], plane: Int) throws(EntropyError) -> [UInt8] {
    guard values.count == channels * plane else {
      throw .invalidTable(reason: "\(values.count) values for \(channels) channels of \(plane)")
    }
    return try table.encode(values: values, rows: rows(plane: plane))
  }

  /// Decodes a (C, H, W) tensor, C = ``channels``.
  public func decode(_ stream: [UInt8], plane: Int, saturating: Bool = false)
    throws(EntropyError) -> [Int32]
  {
    try table.decode32(stream, rows: rows(plane: plane), saturating: saturating)
  }
}
