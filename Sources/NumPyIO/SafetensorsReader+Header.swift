import Foundation
import WeightFormat

extension SafetensorsReader {
  /// Parses and checks the JSON header; `dataStart` is the offset of the data buffer.
  static func parseHeader(_ text: [UInt8], dataStart: Int, fileSize: Int) throws(SafetensorsError)
    -> ([Entry], [String: String])
  {
    guard text.first == UInt8(ascii: "{") else {
      throw .invalidHeader(detail: "does not start with '{' (a JSON object)")
    }
    let parsed: Any
    do { parsed = try JSONSerialization.jsonObject(with: Data(text)) } catch {
      throw .invalidHeader(detail: "not valid JSON")
    }
    guard let object = parsed as? [String: Any] else {
      throw .invalidHeader(detail: "not a JSON object")
    }
    var metadata: [String: String] = [:]
    var entries: [Entry] = []
    for (name, value) in object {
      if name == "__metadata__" {
        guard let map = value as? [String: Any] else {
          throw .invalidHeader(detail: "__metadata__ is not an object")
        }
        for (key, item) in map {
          guard let string = item as? String else {
            throw .invalidHeader(
              detail: "__metadata__ value of \(JSONText.quote(key)) is not a string")
          }
          metadata[key] = string
        }
        continue
      }
      entries.append(try entry(name, value, dataStart: dataStart))
    }
    entries.sort {
      ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound)
    }
    var expected = dataStart
    for entry in entries {
      guard entry.range.lowerBound == expected else {
        throw .badOffsets(
          name: entry.name,
          detail: entry.range.lowerBound > expected
            ? "data begins at offset \(entry.range.lowerBound - dataStart), leaving a hole after "
              + "offset \(expected - dataStart)"
            : "data at offset \(entry.range.lowerBound - dataStart) overlaps the tensor before it")
      }
      expected = entry.range.upperBound
    }
    guard expected == fileSize else {
      throw .badOffsets(
        name: entries.last?.name ?? "",
        detail: expected > fileSize
          ? "data ends at file offset \(expected), past the end of the file (\(fileSize) bytes)"
          : "the tensors' data ends at file offset \(expected); \(fileSize - expected) bytes follow"
      )
    }
    return (entries, metadata)
  }

  private static func entry(_ name: String, _ value: Any, dataStart: Int) throws(SafetensorsError)
    -> Entry
  {
    guard let fields = value as? [String: Any] else {
      throw .invalidTensor(name: name, detail: "its entry is not an object")
    }
    let unknown = Set(fields.keys).subtracting(["dtype", "shape", "data_offsets"])
    if let key = unknown.sorted().first {
      throw .invalidTensor(name: name, detail: "unknown field \(JSONText.quote(key))")
    }
    guard let dtypeName = fields["dtype"] as? String else {
      throw .invalidTensor(name: name, detail: "no dtype string")
    }
    guard let known = dtypes[dtypeName] else {
      throw .invalidTensor(name: name, detail: "unknown dtype \(JSONText.quote(dtypeName))")
    }
    guard let dtype = known else { throw .unsupportedDType(name: name, dtype: dtypeName) }
    guard let shapeItems = fields["shape"] as? [Any], shapeItems.count <= 32,
      let shape = integers(shapeItems)
    else {
      throw .invalidTensor(name: name, detail: "shape is not a list of at most 32 integers ≥ 0")
    }
    guard let offsetItems = fields["data_offsets"] as? [Any], offsetItems.count == 2,
      let offsets = integers(offsetItems)
    else {
      throw .invalidTensor(name: name, detail: "data_offsets is not [begin, end] of integers ≥ 0")
    }
    guard offsets[0] <= offsets[1] else {
      throw .badOffsets(name: name, detail: "data_offsets end \(offsets[1]) < begin \(offsets[0])")
    }
    var count = dtype.itemSize
    for d in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow else {
        throw .invalidTensor(name: name, detail: "shape \(shape) overflows a byte count")
      }
      count = product
    }
    guard count == offsets[1] - offsets[0] else {
      throw .badOffsets(
        name: name,
        detail: "shape \(shape) of \(dtypeName) needs \(count) bytes, data_offsets "
          + "[\(offsets[0]), \(offsets[1])] hold \(offsets[1] - offsets[0])")
    }
    let (begin, o1) = dataStart.addingReportingOverflow(offsets[0])
    let (end, o2) = dataStart.addingReportingOverflow(offsets[1])
    guard !o1, !o2 else { throw .badOffsets(name: name, detail: "data_offsets overflow") }
    return Entry(name: name, dtype: dtype, shape: shape, range: begin..<end)
  }

  /// Non-negative integers (JSON numbers without fraction), or nil.
  private static func integers(_ items: [Any]) -> [Int]? {
    var out: [Int] = []
    for item in items {
      // JSON `true`/`false` come back as Bool, numbers as NSNumber; 1.5 and 2^70 do not
      // survive the round trip through Int64.
      guard type(of: item) != Bool.self, let number = item as? NSNumber else { return nil }
      let value = number.int64Value
      guard value >= 0, NSNumber(value: value).isEqual(to: number), let int = Int(exactly: value)
      else { return nil }
      out.append(int)
    }
    return out
  }
}
