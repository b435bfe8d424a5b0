import ReferenceCodec
import Testing
import WeightFormat

/// The checkasm pattern over the whole operator table: every row's random cases run on every
/// kernel path and thread count and must equal the reference byte for byte.
@Suite("Operator table: every operator on every kernel path and thread count")
struct OperatorTableTests {
  static let threadCounts = [1, 2, 3, 8]
  static let casesPerRow = 24

  @Test("every row matches its reference", arguments: OperatorTable.rows)
  func row(_ definition: OperatorDefinition) {
    var rng = SplitMix64(seed: 0x6F70_7461_626C_65)
    for n in 0..<Self.casesPerRow {
      let c = definition.randomCase(&rng)
      let expected = c.reference()
      for path in KernelPath.available + [.automatic] {
        for threads in Self.threadCounts {
          let got = c.run(path, threads)
          #expect(got == expected, "case \(n): \(c), \(path), \(threads) threads")
        }
      }
    }
  }

  @Test("the table covers every stored operator name exactly once")
  func coverage() {
    let names = OperatorTable.rows.flatMap(\.names)
    #expect(Set(names).count == names.count)
    #expect(Set(names) == Set(OperatorName.allCases))
    #expect(IntegerGraph.operatorNames == OperatorName.allCases.map(\.rawValue))
    for row in OperatorTable.rows {
      #expect(row.specSection.hasPrefix("spec/"), "\(row)")
      #expect(!row.reference.isEmpty, "\(row)")
    }
  }
}
