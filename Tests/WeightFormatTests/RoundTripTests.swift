import Foundation
import Testing
import WeightFormat

@Suite("Round trip: writer → bytes → reader")
struct RoundTripTests {
  /// Serializes `content`, reopens it and checks every field and byte against the content.
  @discardableResult
  static func roundTrip(_ content: ModelContent) throws -> WeightFile {
    let bytes = try content.writer().serialized()
    let file = try WeightFile(bytes: Data(bytes))
    try verify(file, bytes: bytes, against: content)
    return file
  }

  static func verify(_ file: WeightFile, bytes: [UInt8], against content: ModelContent) throws {
    #expect(file.major == 1)
    #expect(file.minor == 0)
    #expect(file.fileLength == bytes.count)
    #expect(file.modelDigest == Array(bytes[32..<64]))
    #expect(file.modelDigestHex == hexString(bytes[32..<64]))
    #expect(file.modelDigest == ContainerImage(bytes).computedModelDigest())
    #expect(file.sections.map(\.kind) == [1, 2, 3, 4])
    #expect(file.sections.allSatisfy { $0.isCritical })
    #expect(file.sections.allSatisfy { $0.flags == 1 })

    // Metadata: every entry, sorted by UTF-8 bytes.
    let expectedMeta = content.metadata.sorted { Samples.precedes($0.key, $1.key) }
    #expect(file.metadata.map(\.key) == expectedMeta.map(\.key))
    #expect(file.metadata.map(\.value) == expectedMeta.map(\.value))
    for (key, value) in content.metadata {
      #expect(file.metadata(key) == value, "metadata \(key)")
    }

    // Tensors: record fields, digest and the data bytes.
    let expectedTensors = content.tensors.sorted { Samples.precedes($0.name, $1.name) }
    #expect(file.tensors.map(\.name) == expectedTensors.map(\.name))
    for t in content.tensors {
      let record = try #require(file.tensor(named: t.name), "tensor \(t.name)")
      #expect(record.dtype == t.dtype, "\(t.name)")
      #expect(record.shape == t.shape, "\(t.name)")
      #expect(record.quantization == t.quantization, "\(t.name)")
      #expect(record.dataLength == UInt64(t.data.count), "\(t.name)")
      #expect(record.dataOffset % 64 == 0, "\(t.name)")
      #expect(record.sha256 == ContainerImage.sha256(t.data), "\(t.name)")
      #expect(file.data(of: record) == t.data, "\(t.name)")
      let value = file.tensorValue(record)
      #expect(value.name == t.name)
      #expect(value.dtype == t.dtype)
      #expect(value.shape == t.shape)
      #expect(value.quantization == t.quantization)
      #expect(value.data == t.data)
    }

    // CDF tables: the table itself, its record and its encoded bytes in DATA.
    let expectedTables = content.tables.sorted { Samples.precedes($0.name, $1.name) }
    #expect(file.cdfTables.map(\.name) == expectedTables.map(\.name))
    let dataStart = Int(try #require(file.sections.last).offset)
    for (name, table) in content.tables {
      let record = try #require(file.cdfTables.first { $0.name == name }, "table \(name)")
      #expect(record.table == table, "\(name)")
      #expect(file.cdfTable(named: name) == table, "\(name)")
      let encoded = ModelContent.encode(table)
      #expect(record.dataLength == UInt64(encoded.count), "\(name)")
      #expect(record.sha256 == ContainerImage.sha256(encoded), "\(name)")
      let start = dataStart + Int(record.dataOffset)
      #expect(Array(bytes[start..<(start + encoded.count)]) == encoded, "\(name)")
      for i in 0..<table.count {
        #expect(Array(record.table.row(i)) == Array(table.row(i)), "\(name) row \(i)")
      }
    }
    #expect(file.tensor(named: "no such tensor") == nil)
    #expect(file.cdfTable(named: "no such table") == nil)
    #expect(file.metadata("no such key") == nil)
  }

  @Test(
    "every dtype round-trips in 0-d, empty, vector, matrix and rank-16 shapes",
    arguments: DType.allCases)
  func everyDType(dtype: DType) throws {
    var rng = SplitMix64(seed: UInt64(dtype.rawValue))
    var c = ModelContent()
    let shapes: [[Int]] = [
      [], [1], [13], [3, 5], [2, 3, 4], [3, 0, 2], [0], [0, 0],
      Array(repeating: 1, count: 16), [2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2],
    ]
    for (i, shape) in shapes.enumerated() {
      c.tensors.append(Samples.tensor("\(dtype.name)/\(i)", dtype, shape, &rng))
    }
    let file = try Self.roundTrip(c)
    #expect(file.tensors.count == shapes.count)
    let scalar = try #require(file.tensor(named: "\(dtype.name)/0"))
    #expect(scalar.shape == [])
    #expect(scalar.dataLength == UInt64(dtype.itemSize))
    let empty = try #require(file.tensor(named: "\(dtype.name)/5"))
    #expect(empty.shape == [3, 0, 2])
    #expect(empty.dataLength == 0)
    #expect(file.data(of: empty).isEmpty)
  }

  @Test("the full model round-trips field by field and byte by byte")
  func fullModel() throws {
    let content = ModelContent.full()
    let file = try Self.roundTrip(content)
    #expect(file.tensors.count == content.tensors.count)
    #expect(file.cdfTables.count == content.tables.count)
    #expect(file.metadata.count == content.metadata.count)
  }

  @Test("tensor dtype codes and item sizes are the normative ones (§5.2.1)")
  func dtypeCodes() throws {
    let expected: [(DType, UInt8, Int, String)] = [
      (.bool, 1, 1, "bool"), (.int8, 2, 1, "int8"), (.int16, 3, 2, "int16"),
      (.int32, 4, 4, "int32"), (.int64, 5, 8, "int64"), (.uint8, 6, 1, "uint8"),
      (.uint16, 7, 2, "uint16"), (.uint32, 8, 4, "uint32"), (.uint64, 9, 8, "uint64"),
      (.float16, 10, 2, "float16"), (.float32, 11, 4, "float32"), (.float64, 12, 8, "float64"),
    ]
    #expect(DType.allCases.count == expected.count)
    var rng = SplitMix64(seed: 99)
    for (dtype, code, size, name) in expected {
      #expect(dtype.rawValue == code)
      #expect(dtype.itemSize == size)
      #expect(dtype.name == name)
      #expect(DType(name: name) == dtype)
      // The code is what lands in the record's dtype byte.
      var w = WeightFileWriter()
      try w.add(Samples.tensor("t", dtype, [2], &rng))
      let image = ContainerImage(w.serialized())
      let layout = try RecordLayout(image)
      let fields = try #require(layout.tensor("t"))
      #expect(image.u8(at: fields.dtype) == code)
      #expect(image.u8(at: fields.rank) == 1)
      #expect(image.u64(at: fields.dims[0]) == 2)
      #expect(image.u64(at: fields.dataLength) == UInt64(2 * size))
    }
    #expect(DType(name: "float8") == nil)
    let quantizable = DType.allCases.filter(\.isQuantizable)
    #expect(quantizable == [.int8, .int16, .int32, .uint8, .uint16, .uint32])
  }

  @Test("metadata values are encoded with the normative tags and lengths (§5.1)")
  func metadataEncoding() throws {
    var w = WeightFileWriter()
    try w.setMetadata("k", .list([.string("é"), .integer(-2)]))
    let image = ContainerImage(w.serialized())
    let meta = try #require(image.range(of: 1))
    // Built piece by piece: one chain of + took Swift 6.0.3 past its type-checking limit under
    // emulation (scripts/cross-check.sh).
    var expected: [UInt8] = ContainerImage.le(UInt32(1))
    expected += ContainerImage.le(UInt16(1))
    expected += Array("k".utf8)
    expected += [3]
    expected += ContainerImage.le(UInt32(2))
    expected += [1]
    expected += ContainerImage.le(UInt32(2))
    expected += [0xC3, 0xA9]
    expected += [2]
    expected += ContainerImage.le(Int64(-2))
    #expect(Array(image.bytes[meta]) == expected)
  }

  @Test("a per-axis quantized record carries the axis byte and one triple per index (§5.2.2)")
  func quantizationEncoding() throws {
    let image = Samples.corpus
    let layout = try RecordLayout(image)
    let kern = try #require(layout.tensor("enc/kern"))
    #expect(image.u8(at: kern.quantization) == 2)
    let axis = try #require(kern.axis)
    #expect(image.u8(at: axis) == 0)
    #expect(kern.triples.count == 2)
    #expect(image.u32(at: kern.triples[0]) == 5)
    #expect(image.u32(at: kern.triples[0] + 4) == 7)
    #expect(Int32(bitPattern: image.u32(at: kern.triples[0] + 8)) == -3)
    #expect(Int32(bitPattern: image.u32(at: kern.triples[1] + 4)) == -2)
    let gain = try #require(layout.tensor("enc/gain"))
    #expect(image.u8(at: gain.quantization) == 1)
    #expect(gain.axis == nil)
    #expect(image.u32(at: gain.triples[0] + 8) == 128)
    let bias = try #require(layout.tensor("enc/bias"))
    #expect(image.u8(at: bias.quantization) == 0)
    // Records follow each other without gaps.
    #expect(bias.end == gain.nameLength)
    #expect(gain.end == kern.nameLength)
  }

  @Test("a file held in a Data slice with a non-zero start index opens and serves its data")
  func dataSlice() throws {
    let content = ModelContent.full(seed: 5)
    let bytes = try content.writer().serialized()
    let padded = Data([1, 2, 3, 4, 5, 6, 7] + bytes + [9, 9])
    let slice = padded[7..<(7 + bytes.count)]
    #expect(slice.startIndex == 7)
    let file = try WeightFile(bytes: slice)
    try Self.verify(file, bytes: bytes, against: content)
  }

  @Test(
    "write(to:) produces the serialized bytes, returns the model digest, and open(path:) reads them back"
  )
  func throughTheFileSystem() throws {
    let content = ModelContent.full(seed: 6)
    let writer = try content.writer()
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/model.gicw"
    let digest = try writer.write(to: path)
    let onDisk = try Data(contentsOf: URL(fileURLWithPath: path))
    #expect(Array(onDisk) == writer.serialized())
    let file = try WeightFile.open(path: path)
    #expect(file.modelDigest == digest)
    try Self.verify(file, bytes: Array(onDisk), against: content)
  }
}
