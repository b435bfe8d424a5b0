/// Absolute offsets of every field of the index sections of a valid file (spec/container.md
/// §5.1–5.3), decoded by the tests' own reading of the spec so mutations hit computed offsets.
struct RecordLayout: Sendable {
  /// The fields of one tensor record (§5.2).
  struct TensorFields: Sendable {
    var name: String
    var nameLength: Int
    var nameBytes: Int
    var dtype: Int
    var rank: Int
    var quantization: Int
    var reserved: Int
    var dims: [Int]
    var dataOffset: Int
    var dataLength: Int
    var sha256: Int
    var axis: Int?
    /// The offset of each parameter triple (multiplier, then shift at +4, zero point at +8).
    var triples: [Int]
    var end: Int
  }

  /// The fields of one CDF table record (§5.3).
  struct CDFFields: Sendable {
    var name: String
    var nameLength: Int
    var nameBytes: Int
    var precision: Int
    var reserved: Int
    var distributions: Int
    var stride: Int
    var dataOffset: Int
    var dataLength: Int
    var sha256: Int
    var end: Int
  }

  /// One metadata value (§5.1): the offset of its tag byte (a string's `u32` length or a list's
  /// `u32` count follows at +1) and its nesting depth (a top-level value has depth 1).
  struct ValueFields: Sendable {
    var tag: Int
    var tagValue: UInt8
    var depth: Int
  }

  /// One metadata entry, with all of its values in reading order.
  struct EntryFields: Sendable {
    var key: String
    var keyLength: Int
    var keyBytes: Int
    var values: [ValueFields]
    var end: Int
  }

  /// The absolute offsets of the `u32 count` fields of META, TENSORS and CDFS.
  var metaCountField: Int
  var metadata: [EntryFields] = []
  var tensorCountField: Int
  var tensors: [TensorFields] = []
  var cdfCountField: Int
  var cdfs: [CDFFields] = []
  /// The absolute offset of the DATA section.
  var dataSection: Int
  var dataSectionLength: Int

  enum Failure: Error { case missingSection }

  init(_ image: ContainerImage) throws {
    guard let meta = image.range(of: 1), let tensorRange = image.range(of: 2),
      let cdfRange = image.range(of: 3), let data = image.range(of: 4)
    else { throw Failure.missingSection }
    dataSection = data.lowerBound
    dataSectionLength = data.count

    func name(_ at: Int) -> (String, Int) {
      let length = Int(image.u16(at: at))
      let bytes = image.bytes[(at + 2)..<(at + 2 + length)]
      return (String(decoding: bytes, as: UTF8.self), at + 2 + length)
    }

    metaCountField = meta.lowerBound
    var p = meta.lowerBound + 4
    for _ in 0..<Int(image.u32(at: meta.lowerBound)) {
      let (key, afterKey) = name(p)
      var values: [ValueFields] = []
      var q = afterKey
      func value(depth: Int) {
        let tag = image.u8(at: q)
        values.append(ValueFields(tag: q, tagValue: tag, depth: depth))
        switch tag {
        case 1: q += 5 + Int(image.u32(at: q + 1))
        case 2: q += 9
        default:
          let n = Int(image.u32(at: q + 1))
          q += 5
          for _ in 0..<n { value(depth: depth + 1) }
        }
      }
      value(depth: 1)
      metadata.append(
        EntryFields(key: key, keyLength: p, keyBytes: p + 2, values: values, end: q))
      p = q
    }

    tensorCountField = tensorRange.lowerBound
    p = tensorRange.lowerBound + 4
    for _ in 0..<Int(image.u32(at: tensorRange.lowerBound)) {
      let (n, afterName) = name(p)
      let rank = Int(image.u8(at: afterName + 1))
      let qkind = image.u8(at: afterName + 2)
      let dims = (0..<rank).map { afterName + 4 + 8 * $0 }
      let dataOffset = afterName + 4 + 8 * rank
      var fields = TensorFields(
        name: n, nameLength: p, nameBytes: p + 2, dtype: afterName, rank: afterName + 1,
        quantization: afterName + 2, reserved: afterName + 3, dims: dims, dataOffset: dataOffset,
        dataLength: dataOffset + 8, sha256: dataOffset + 16, axis: nil, triples: [],
        end: dataOffset + 48)
      if qkind == 1 {
        fields.triples = [fields.end]
        fields.end += 12
      } else if qkind == 2 {
        let axisOffset = fields.end
        let axis = Int(image.u8(at: axisOffset))
        let n = Int(image.u64(at: dims[axis]))
        fields.axis = axisOffset
        fields.triples = (0..<n).map { axisOffset + 1 + 12 * $0 }
        fields.end = axisOffset + 1 + 12 * n
      }
      tensors.append(fields)
      p = fields.end
    }

    cdfCountField = cdfRange.lowerBound
    p = cdfRange.lowerBound + 4
    for _ in 0..<Int(image.u32(at: cdfRange.lowerBound)) {
      let (n, a) = name(p)
      cdfs.append(
        CDFFields(
          name: n, nameLength: p, nameBytes: p + 2, precision: a, reserved: a + 1,
          distributions: a + 4, stride: a + 8, dataOffset: a + 12, dataLength: a + 20,
          sha256: a + 28, end: a + 60))
      p = a + 60
    }
  }

  func tensor(_ name: String) -> TensorFields? { tensors.first { $0.name == name } }
  func cdf(_ name: String) -> CDFFields? { cdfs.first { $0.name == name } }
  func entry(_ key: String) -> EntryFields? { metadata.first { $0.key == key } }
}
