import Foundation
import Testing
import WeightFormat

/// Whatever the writer accepts, the reader must open: a conforming writer produces only files
/// that §8's limits allow.
@Suite("Writer output respects the reader's limits (§8)")
struct WriterReaderAgreementTests {
  /// Adds entries with `add` until it throws or `count` entries are in, then checks that the
  /// writer either refused or produced a file that opens.
  static func writerRefusesOrReaderOpens(
    _ what: String, count: Int,
    _ add: (inout WeightFileWriter, Int) throws(WeightFormatError) -> Void
  ) {
    var w = WeightFileWriter()
    do {
      for i in 0..<count { try add(&w, i) }
    } catch {
      // The writer refuses with the code the reader would give the file.
      #expect(
        ["gicw.limitExceeded", "gicw.sectionTooLarge"].contains(error.code), "\(what): \(error)")
      return
    }
    let error = Samples.openError(w.serialized())
    #expect(
      error == nil,
      "\(what): the writer accepted content its file cannot hold: \(error.map { "\($0)" } ?? "")")
  }

  @Test("metadata over 1,000,000 values in total")
  func metadataValueTotal() {
    // 16 entries of 65,536 integers each: every entry is within the per-list limit, but the
    // section holds 16 × 65,537 > 1,000,000 values.
    let list = MetadataValue.list(Array(repeating: .integer(1), count: 65_536))
    Self.writerRefusesOrReaderOpens("1,048,592 metadata values", count: 16) {
      w, i throws(WeightFormatError) in
      try w.setMetadata("k\(i)", list)
    }
  }

  @Test("a META section over 64 MiB")
  func metaSectionSize() {
    // 65 strings of 1 MiB each, every one within the string limit.
    let value = MetadataValue.string(String(repeating: "m", count: 1 << 20))
    Self.writerRefusesOrReaderOpens("65 MiB of metadata", count: 65) {
      w, i throws(WeightFormatError) in
      try w.setMetadata("k\(i)", value)
    }
  }

  @Test("a TENSORS section over 64 MiB")
  func tensorSectionSize() {
    // One uint8 tensor of 5,600,000 elements quantized per axis: 5.6 M parameter triples of 12
    // bytes make a 67.2 MB record, while every count and value is within its own limit.
    let n = 5_600_000
    let params = Array(
      repeating: QuantizationParameters(multiplier: 1, shift: 0, zeroPoint: 0), count: n)
    let tensor = Tensor(
      name: "wide", dtype: .uint8, shape: [n], quantization: .perAxis(axis: 0, params),
      data: Data(count: n))
    Self.writerRefusesOrReaderOpens("a 67 MB tensor record", count: 1) {
      w, _ throws(WeightFormatError) in
      try w.add(tensor)
    }
  }

  @Test("exactly 1,000,000 metadata values are accepted by both")
  func metadataValueTotalAtLimit() throws {
    var w = WeightFileWriter()
    // 15 lists of 65,536 integers (983,055 values) and one of 16,944 integers (16,945 values).
    let full = MetadataValue.list(Array(repeating: .integer(1), count: 65_536))
    for i in 0..<15 { try w.setMetadata("k\(i)", full) }
    try w.setMetadata("last", .list(Array(repeating: .integer(2), count: 16_944)))
    let file = try WeightFile(bytes: Data(w.serialized()))
    #expect(file.metadata.count == 16)
  }
}
