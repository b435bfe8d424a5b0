import Converters
import Foundation
import Testing
import WeightFormat

@Suite("SafetensorsReader checks what the format's own reader checks")
struct SafetensorsReaderTests {
  /// A file with header `json` and `data` bytes after it.
  static func file(_ json: String, _ data: Int = 0) -> Data {
    var out = Data()
    withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(contentsOf: Array(json.utf8))
    out.append(Data(count: data))
    return out
  }

  @Test("the .safetensors fixture holds the arrays of the .npz, byte for byte")
  func sameArrays() throws {
    let npz = try NPZReader(Fixtures.data("import", "small.npz")).readAll()
    let reader = try SafetensorsReader(Fixtures.data("import", "small.safetensors"))
    #expect(reader.metadata == ["format": "pt"])
    var count = 0
    try reader.forEachArray { name, array in
      let expected = try #require(npz[name])
      #expect(array.dtype == expected.dtype && array.shape == expected.shape, "\(name)")
      #expect(array.data == expected.data, "\(name)")
      count += 1
    }
    #expect(count == npz.count)
  }

  @Test(
    "malformed headers and offsets are refused naming the tensor or offset",
    arguments: [
      (file("", 0).prefix(5), "shorter than the 8-byte header length"),
      (file("[]"), "does not start with '{'"),
      (file("{\"a\":"), "not valid JSON"),
      (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 4), "past the end"),
      (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 9), "1 bytes follow"),
      (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, 12), "leaving a hole"),
      (file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, 8), "needs 12 bytes"),
      (file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, 8), "end 0 < begin 8"),
      (file(#"{"a":{"dtype":"X9","shape":[2],"data_offsets":[0,8]}}"#, 8), "unknown dtype"),
      (file(#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}"#, 8), "shape is not"),
      (file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}"#, 8), "shape is not"),
      (
        file(#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, 8),
        "overflows"
      ),
      (file(#"{"__metadata__":{"k":1}}"#), "is not a string"),
      (file(#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":1}}"#, 4), "unknown field"),
    ])
  func refused(bytes: Data, message: String) {
    expectThrows {
      _ = try SafetensorsReader(bytes)
    } matching: { error in
      "\(error)".contains(message)
    }
  }

  @Test("an empty state dict and a zero-size tensor are accepted")
  func edges() throws {
    #expect(try SafetensorsReader(Self.file("{}")).entries.isEmpty)
    let reader = try SafetensorsReader(
      Self.file(#"{"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}"#))
    #expect(reader.entries.map(\.shape) == [[0, 3]])
  }
}
