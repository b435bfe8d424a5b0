import Foundation
import WeightFormat

/// Models that pass every container and graph check yet would be expensive to run: the inputs
/// of the resource-budget tests (issue #17, docs/robustness.md §5).
public enum CraftedModels {
  /// `model` with two zero-weight 1×1 convolutions appended to g_s, 3 → `channels` → 3, digests
  /// recomputed: the graph still restores a 0…255 picture, and every weight and accumulator check
  /// passes (all products are 0), but a `channels`-wide activation at full resolution is live
  /// between them (with 65,536 channels, 48 GiB for a 768 × 512 picture).
  ///
  /// - Returns: the container's bytes.
  public static func wideSynthesis(_ model: WeightFile, channels: Int = 65536) throws -> [UInt8] {
    var writer = WeightFileWriter()
    let key = GraphDescription.metadataKey("g_s")
    for (name, value) in model.metadata where name != key {
      try writer.setMetadata(name, value)
    }
    var gs = try GraphDescription(model.metadata(key) ?? .list([]), name: "g_s")
    let output = gs.outputs[0]
    for (n, (cin, cout)) in [(3, channels), (channels, 3)].enumerated() {
      let name = "wide\(n)"
      func int32s(_ suffix: String, _ value: Int32) throws {
        try writer.add(
          Tensor(
            name: "\(name).\(suffix)", dtype: .int32, shape: [cout],
            data: [Int32](repeating: value.littleEndian, count: cout).withUnsafeBytes {
              Data($0)
            }))
      }
      try writer.add(
        Tensor(
          name: "\(name).w", dtype: .int16, shape: [cout, cin, 1, 1],
          data: Data(repeating: 0, count: 2 * cout * cin)))
      try int32s("b", 0)
      try int32s("m", 1 << 30)
      try int32s("s", 30)
      gs.nodes.append(
        .init(
          op: "conv2d", inputs: [n == 0 ? output : "wide0"], output: name,
          attributes: [
            ("kernel", 1), ("stride", 1), ("padding", 0), ("exponent", 0), ("lo", 0),
            ("hi", 255), ("accumulator_bound", 0),
          ],
          parameters: ["\(name).w", "\(name).b", "\(name).m", "\(name).s"]))
    }
    gs.outputs = ["wide1"]
    try writer.setMetadata(key, gs.metadataValue)
    for record in model.tensors { try writer.add(model.tensorValue(record)) }
    for record in model.cdfTables { try writer.add(record.table, named: record.name) }
    return writer.serialized()
  }
}
