import Foundation
import Testing
import WeightFormat

@Suite("Malformed containers")
struct MalformedContainerTests {
  /// Whether the reader can only find the mutation's error after checking the model digest.
  ///
  /// (ContainerParser's order: header, section table, index sections, placement, model digest,
  /// object digests, CDF rows). CDF record fields are index content, checked before the digest.
  static func afterDigest(_ m: Mutation) -> Bool {
    m.code == "gicw.objectDigestMismatch" || m.name.hasPrefix("CDF data:")
  }

  @Test("the corpus holds at least 40 distinct malformations")
  func corpusSize() {
    let names = MalformedCorpus.all.map(\.name)
    #expect(names.count >= 40)
    #expect(Set(names).count == names.count, "mutation names are unique")
    #expect(Set(MalformedCorpus.all.map(\.code)).count >= 30, "many different error kinds")
  }

  @Test("the base file is valid and has the padding the corpus edits")
  func baseFile() throws {
    let base = Samples.corpus
    let file = try WeightFile(bytes: base.data)
    #expect(file.tensors.count == 5)
    #expect(file.cdfTables.count == 2)
    #expect(file.metadata.count == 4)
    // The corpus writes into padding after META, TENSORS and CDFS: each must end off-boundary.
    for kind: UInt32 in [1, 2, 3] {
      let r = try #require(base.range(of: kind))
      #expect(r.upperBound % 64 != 0, "section \(kind) ends on a boundary")
    }
    let layout = try RecordLayout(base)
    #expect(
      layout.tensors.map(\.name) == ["enc/bias", "enc/gain", "enc/kern", "enc/zero", "scalar"])
    #expect(layout.cdfs.map(\.name) == ["enc/zeta", "enc/zetb"])
    #expect(layout.metadata.map(\.key) == ["gic.profile", "ka", "kb", "list"])
    #expect(layout.dataSectionLength == 384)
    #expect(base.computedModelDigest() == base.storedDigest)
  }

  @Test("each malformation is rejected with its specific error", arguments: MalformedCorpus.all)
  func rejected(_ mutation: Mutation) throws {
    let image = try mutation.apply(to: Samples.corpus)
    #expect(image != Samples.corpus)
    let error = try #require(Samples.openError(image.bytes), "\(mutation.name): the file opened")
    #expect(error.code == mutation.code, "\(error)")
    #expect(!error.description.isEmpty)
  }

  static let structural = MalformedCorpus.all.filter { $0.redigest && !afterDigest($0) }

  @Test(
    "structural errors are found before the model digest is compared",
    arguments: Self.structural)
  func structuralBeforeDigest(_ mutation: Mutation) throws {
    // The same edit with the stale digest left in place must report the same error.
    let stale = try Mutation(
      name: mutation.name, code: mutation.code, redigest: false, edit: mutation.edit
    ).apply(to: Samples.corpus)
    #expect(Samples.openError(stale.bytes)?.code == mutation.code)
  }

  @Test("post-digest errors are masked by a stale model digest")
  func postDigestNeedsRedigest() throws {
    for mutation in MalformedCorpus.all where mutation.redigest && Self.afterDigest(mutation) {
      let stale = try Mutation(
        name: mutation.name, code: mutation.code, redigest: false, edit: mutation.edit
      ).apply(to: Samples.corpus)
      // Only edits confined to DATA leave the model digest valid.
      let touchesIndex =
        stale.bytes[0..<(try RecordLayout(stale).dataSection)]
        != Samples.corpus.bytes[0..<(try RecordLayout(stale).dataSection)]
      let expected = touchesIndex ? "gicw.modelDigestMismatch" : "gicw.objectDigestMismatch"
      #expect(Samples.openError(stale.bytes)?.code == expected, "\(mutation.name)")
    }
  }

  @Test("every byte of the magic is checked", arguments: 0..<8)
  func magicByte(index: Int) throws {
    for mask: UInt8 in [0x01, 0x80, 0xFF] {
      var image = Samples.corpus
      image.flip(at: index, mask: mask)
      #expect(Samples.openError(image.bytes)?.code == "gicw.badMagic")
    }
  }

  @Test(
    "every major version other than 1 is refused", arguments: [0, 2, 3, 0x100, 0xFFFF] as [UInt16])
  func majorVersions(major: UInt16) throws {
    var image = Samples.corpus
    image.set(u16: major, at: ContainerImage.majorOffset)
    image.redigest()
    let error = try #require(Samples.openError(image.bytes))
    #expect(error == .unsupportedMajorVersion(major: major, minor: 0))
  }

  @Test(
    "files shorter than the header are refused with their length", arguments: [0, 1, 8, 10, 32, 63])
  func shortFiles(length: Int) throws {
    let error = try #require(Samples.openError(Array(Samples.corpus.bytes.prefix(length))))
    #expect(error == .fileTooShort(length: length))
  }

  @Test("errors carry the offsets and names concerned")
  func errorPayloads() throws {
    let base = Samples.corpus
    let layout = try RecordLayout(base)
    var image = base
    image.set(u8: 1, at: ContainerImage.flagsOffset)
    #expect(Samples.openError(image.bytes) == .reservedNotZero(field: "header flags", offset: 12))

    image = base
    image.bytes.removeLast(3)
    #expect(
      Samples.openError(image.bytes)
        == .fileLengthMismatch(declared: UInt64(base.count), actual: base.count - 3))

    image = base
    let kern = try #require(layout.tensor("enc/kern"))
    image.set(u8: 13, at: kern.dtype)
    image.redigest()
    #expect(Samples.openError(image.bytes) == .unknownDType(code: 13, tensor: "enc/kern"))

    image = base
    image.flip(at: layout.dataSection + 64)
    #expect(Samples.openError(image.bytes) == .objectDigestMismatch(name: "enc/gain"))

    image = base
    let meta = try #require(base.range(of: 1))
    image.set(u8: 9, at: meta.upperBound + 2)
    #expect(Samples.openError(image.bytes) == .nonZeroPadding(offset: meta.upperBound + 2))

    image = base
    image.set(u32: 33, at: ContainerImage.sectionCountOffset)
    #expect(Samples.openError(image.bytes) == .sectionCountOutOfRange(count: 33))

    image = base
    let bias = try #require(layout.tensor("enc/bias"))
    image.set(u64: 17, at: bias.dataLength)
    image.redigest()
    #expect(
      Samples.openError(image.bytes)
        == .dataLengthMismatch(name: "enc/bias", expected: 16, declared: 17))
  }

  @Test("when several objects are corrupted, the first in name order is reported")
  func firstCorruptObject() throws {
    let base = Samples.corpus
    let layout = try RecordLayout(base)
    var image = base
    image.flip(at: layout.dataSection + 320)  // scalar
    image.flip(at: layout.dataSection + 256)  // enc/zetb
    image.flip(at: layout.dataSection + 128)  // enc/kern
    #expect(Samples.openError(image.bytes) == .objectDigestMismatch(name: "enc/kern"))
  }

  @Test("an index section over 64 MiB is refused as too large", arguments: [1, 2, 3] as [UInt32])
  func indexSectionTooLarge(kind: UInt32) throws {
    let limit = 64 << 20
    let image = Samples.corpus.reassembled { sections in
      for s in sections.indices where sections[s].kind == kind {
        sections[s].content += [UInt8](repeating: 0, count: limit + 1 - sections[s].content.count)
      }
    }
    #expect(
      Samples.openError(image.bytes)
        == .sectionTooLarge(kind: kind, length: UInt64(limit + 1), limit: UInt64(limit)))
  }
}
