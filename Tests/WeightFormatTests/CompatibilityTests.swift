import Foundation
import Testing
import WeightFormat

@Suite("Minor versions and unknown sections (§3.1)")
struct CompatibilityTests {
  /// Checks that `file` holds exactly the corpus content.
  static func sameContent(_ file: WeightFile) throws {
    let reference = try WeightFile(bytes: Samples.corpus.data)
    #expect(file.tensors.map(\.name) == reference.tensors.map(\.name))
    #expect(file.tensors.map(\.shape) == reference.tensors.map(\.shape))
    #expect(file.tensors.map(\.quantization) == reference.tensors.map(\.quantization))
    #expect(file.cdfTables.map(\.table) == reference.cdfTables.map(\.table))
    #expect(file.metadata.map(\.key) == reference.metadata.map(\.key))
    #expect(file.metadata.map(\.value) == reference.metadata.map(\.value))
    for t in reference.tensors {
      let other = try #require(file.tensor(named: t.name))
      #expect(file.data(of: other) == reference.data(of: t))
    }
  }

  @Test(
    "a file with an unknown minor version opens once its digest matches",
    arguments: [1, 7, 0xFFFF] as [UInt16])
  func unknownMinor(minor: UInt16) throws {
    var image = Samples.corpus
    image.set(u16: minor, at: ContainerImage.minorOffset)
    #expect(Samples.openError(image.bytes)?.code == "gicw.modelDigestMismatch")
    image.redigest()
    let file = try WeightFile(bytes: image.data)
    #expect(file.major == 1)
    #expect(file.minor == minor)
    #expect(file.modelDigest == image.storedDigest)
    #expect(file.modelDigest != Samples.corpus.storedDigest)
    try Self.sameContent(file)
  }

  @Test("a non-critical unknown section after DATA is skipped, bound-checked and digested")
  func nonCriticalSection() throws {
    let content: [UInt8] = Array("private data".utf8)
    let image = Samples.corpus.reassembled {
      $0.append(ContainerImage.Section(kind: 70_000, flags: 0, content: content))
    }
    #expect(image.sectionCount == 5)
    // The section is packed after DATA and the file ends at its aligned end.
    let range = try #require(image.range(of: 70_000))
    let data = try #require(image.range(of: 4))
    #expect(range.lowerBound == ContainerImage.align64(data.upperBound))
    #expect(data.count == Samples.corpus.range(of: 4)?.count)
    #expect(image.count == ContainerImage.align64(range.upperBound))
    #expect(Array(image.bytes[range]) == content)
    let file = try WeightFile(bytes: image.data)
    #expect(file.sections.map(\.kind) == [1, 2, 3, 4, 70_000])
    #expect(file.sections.last?.isCritical == false)
    #expect(file.sections.last?.length == UInt64(content.count))
    #expect(file.modelDigest == image.computedModelDigest())
    try Self.sameContent(file)

    // The section's content is part of the model digest: digesting without it fails.
    var stale = image
    var withoutSection = Array(image.bytes[0..<32]) + Array(image.bytes[64..<(64 + 5 * 32)])
    for kind: UInt32 in [1, 2, 3] {
      withoutSection += image.bytes[try #require(image.range(of: kind))]
    }
    stale.set(bytes: ContainerImage.sha256(withoutSection), at: ContainerImage.digestOffset)
    #expect(Samples.openError(stale.bytes)?.code == "gicw.modelDigestMismatch")

    // And it is bound-checked like any other.
    var outside = image
    let entry = ContainerImage.entryOffset(4)
    outside.set(u64: UInt64(image.count - range.lowerBound + 1), at: entry + 16)
    outside.redigest()
    #expect(Samples.openError(outside.bytes)?.code == "gicw.sectionOutOfBounds")

    // Non-zero padding after it is refused.
    var padded = image
    padded.set(u8: 1, at: range.upperBound)
    #expect(Samples.openError(padded.bytes)?.code == "gicw.nonZeroPadding")
  }

  @Test(
    "many non-critical sections, empty or not, of reserved and private kinds, open",
    arguments: [1, 2, 28])
  func manySections(extra: Int) throws {
    var rng = SplitMix64(seed: UInt64(extra))
    let image = Samples.corpus.reassembled { sections in
      // Reserved kinds (5…65535) first, then private ones (≥ 65536): the table is sorted by kind.
      let kinds = (0..<extra).map { i -> UInt32 in i % 2 == 0 ? 5 + UInt32(i) : 65_536 + UInt32(i) }
      for kind in kinds.sorted() {
        let length = Int.random(in: 0...130, using: &rng)
        sections.append(
          .init(
            kind: kind, flags: 0,
            content: (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }))
      }
    }
    #expect(image.sectionCount == 4 + extra)
    let file = try WeightFile(bytes: image.data)
    #expect(file.sections.count == 4 + extra)
    try Self.sameContent(file)
  }

  @Test("33 sections are refused even if the 29 extra ones are non-critical")
  func tooManySections() throws {
    let image = Samples.corpus.reassembled { sections in
      for i in 0..<29 { sections.append(.init(kind: 100 + UInt32(i), flags: 0, content: [])) }
    }
    #expect(Samples.openError(image.bytes) == .sectionCountOutOfRange(count: 33))
  }

  @Test("a writer-produced file re-assembled by the tests' own packing is byte-identical")
  func independentPacking() throws {
    for base in [Samples.corpus, Samples.small, ContainerImage(WeightFileWriter().serialized())] {
      #expect(base.reassembled { _ in } == base)
    }
  }

  @Test("a non-critical unknown section over 64 MiB is skipped like any other")
  func largeUnknownSection() throws {
    // §8 limits only META, TENSORS and CDFS; §3.1 says a reader MUST skip a non-critical section
    // it does not know.
    let image = Samples.corpus.reassembled {
      $0.append(
        .init(kind: 70_000, flags: 0, content: [UInt8](repeating: 0xA5, count: (64 << 20) + 64)))
    }
    let error = Samples.openError(image.bytes)
    #expect(error == nil, "\(error.map { "\($0)" } ?? "")")
  }
}
