import Foundation
import Testing
import WeightFormat

@Suite("Every byte of a file is protected")
struct DigestSweepTests {
  @Test(
    "a flip at every position in DATA is an object digest mismatch in an object, non-zero padding outside"
  )
  func everyDataByte() throws {
    let base = Samples.small
    let layout = try RecordLayout(base)
    let file = try WeightFile(bytes: base.data)
    // The objects' absolute byte ranges, from the records.
    var owner: [Int: String] = [:]
    for t in file.tensors {
      let start = layout.dataSection + Int(t.dataOffset)
      for p in start..<(start + Int(t.dataLength)) { owner[p] = t.name }
    }
    for c in file.cdfTables {
      let start = layout.dataSection + Int(c.dataOffset)
      for p in start..<(start + Int(c.dataLength)) { owner[p] = c.name }
    }
    #expect(owner.count == 12 + 70 + 20)
    #expect(layout.dataSectionLength == 256)
    var objectFlips = 0
    var paddingFlips = 0
    for position in layout.dataSection..<base.count {
      var image = base
      image.flip(at: position)
      let error = Samples.openError(image.bytes)
      if let name = owner[position] {
        #expect(error == .objectDigestMismatch(name: name), "flip at \(position)")
        objectFlips += 1
      } else {
        #expect(error == .nonZeroPadding(offset: position), "flip at \(position)")
        paddingFlips += 1
      }
    }
    #expect(objectFlips == 102)
    #expect(paddingFlips == 256 - 102)
  }

  @Test("a flip of any single byte anywhere in the file is rejected")
  func everyByte() throws {
    let base = Samples.small
    let layout = try RecordLayout(base)
    var codes: [String: Int] = [:]
    for position in 0..<base.count {
      for mask: UInt8 in [0x01, 0x80] {
        var image = base
        image.flip(at: position, mask: mask)
        let error = Samples.openError(image.bytes)
        #expect(error != nil, "flip 0x\(String(mask, radix: 16)) at \(position) was accepted")
        if let error { codes[error.code, default: 0] += 1 }
        // Bytes covered by the model digest but not checked structurally before it: the digest
        // itself and record fields such as the object SHA-256s.
        if (32..<64).contains(position) {
          #expect(error?.code == "gicw.modelDigestMismatch")
        }
        if position >= layout.dataSection {
          #expect(
            error?.code == "gicw.objectDigestMismatch" || error?.code == "gicw.nonZeroPadding")
        }
      }
    }
    #expect(codes.values.reduce(0, +) == 2 * base.count)
    #expect(codes.count >= 8, "\(codes)")
  }

  @Test("every truncation is rejected")
  func everyTruncation() throws {
    let base = Samples.small
    for length in 0..<base.count {
      let error = Samples.openError(Array(base.bytes.prefix(length)))
      if length < 64 {
        #expect(error == .fileTooShort(length: length))
      } else {
        #expect(error == .fileLengthMismatch(declared: UInt64(base.count), actual: length))
      }
    }
  }
}
