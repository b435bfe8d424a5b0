import Foundation
import Testing
import WeightFormat

/// Spec §1: strings are compared and sorted by their UTF-8 bytes.
///
/// Two names that Swift's `String`
/// considers equal (canonically equivalent, such as precomposed "é" U+00E9 and "e" + U+0301) are
/// different names in the container.
@Suite("Names are byte strings (§1)")
struct UnicodeNameTests {
  static let precomposed = "x\u{E9}"  // 78 C3 A9
  static let decomposed = "xe\u{301}"  // 78 65 CC 81

  @Test("the two spellings are different byte strings that Swift considers equal")
  func premise() {
    #expect(Array(Self.precomposed.utf8) == [0x78, 0xC3, 0xA9])
    #expect(Array(Self.decomposed.utf8) == [0x78, 0x65, 0xCC, 0x81])
    #expect(Self.precomposed == Self.decomposed)
    #expect(Samples.precedes(Self.decomposed, Self.precomposed))
  }

  @Test("non-ASCII names sort by UTF-8 bytes, not by Unicode or locale order")
  func byteOrder() throws {
    var rng = SplitMix64(seed: 1)
    let names = ["z", "Z", "é", "e\u{301}f", "ea", "日本", "\u{FF21}", "🧠", "a/b", "a.b", "a", "ab"]
    var w = WeightFileWriter()
    for n in names { try w.add(Samples.tensor(n, .uint8, [1], &rng)) }
    let file = try WeightFile(bytes: Data(w.serialized()))
    let expected = names.sorted { Samples.precedes($0, $1) }
    #expect(file.tensors.map { Array($0.name.utf8) } == expected.map { Array($0.utf8) })
  }

  @Test("the reader accepts a file whose names differ only in Unicode normalization")
  func readerAcceptsCanonicallyEquivalentNames() throws {
    // Write two tensors, then turn the name "xzz" (78 7A 7A) into "xé" (78 C3 A9): the records
    // stay sorted by bytes (78 65 … < 78 C3 …) and the data stays in place.
    var rng = SplitMix64(seed: 2)
    var w = WeightFileWriter()
    try w.add(Samples.tensor(Self.decomposed, .uint8, [3], &rng))
    try w.add(Samples.tensor("xzz", .uint8, [3], &rng))
    var image = ContainerImage(w.serialized())
    let layout = try RecordLayout(image)
    let record = try #require(layout.tensor("xzz"))
    image.set(bytes: Array(Self.precomposed.utf8), at: record.nameBytes)
    image.redigest()
    let file = try WeightFile(bytes: image.data)
    #expect(
      file.tensors.map { Array($0.name.utf8) } == [
        Array(Self.decomposed.utf8), Array(Self.precomposed.utf8),
      ])
  }

  @Test("the reader accepts metadata keys that differ only in Unicode normalization")
  func readerAcceptsCanonicallyEquivalentKeys() throws {
    var w = WeightFileWriter()
    try w.setMetadata(Self.decomposed, .integer(1))
    try w.setMetadata("xzz", .integer(2))
    var image = ContainerImage(w.serialized())
    let layout = try RecordLayout(image)
    let entry = try #require(layout.entry("xzz"))
    image.set(bytes: Array(Self.precomposed.utf8), at: entry.keyBytes)
    image.redigest()
    let file = try WeightFile(bytes: image.data)
    #expect(file.metadata.count == 2)
  }

  @Test("the writer keeps tensors whose names differ only in Unicode normalization apart")
  func writerKeepsCanonicallyEquivalentTensors() throws {
    var rng = SplitMix64(seed: 3)
    var w = WeightFileWriter()
    try w.add(Samples.tensor(Self.precomposed, .uint8, [2], &rng))
    let second = Samples.refusal { () throws(WeightFormatError) in
      try w.add(Samples.tensor(Self.decomposed, .uint8, [2], &rng))
    }
    #expect(second == nil, "a distinct name was refused as a duplicate")
    #expect(w.tensorCount == 2)
  }

  @Test(
    "metadata keys that differ only in Unicode normalization are separate entries, in any order")
  func writerKeepsCanonicallyEquivalentKeys() throws {
    var a = WeightFileWriter()
    try a.setMetadata(Self.precomposed, .integer(1))
    try a.setMetadata(Self.decomposed, .integer(2))
    var b = WeightFileWriter()
    try b.setMetadata(Self.decomposed, .integer(2))
    try b.setMetadata(Self.precomposed, .integer(1))
    // Canonical form: the same content in another order gives the same bytes.
    let identical = a.serialized() == b.serialized()
    #expect(identical, "insertion order changed the output")
    let file = try WeightFile(bytes: Data(a.serialized()))
    #expect(file.metadata.count == 2)
  }
}
