import Converters
import Foundation
import Testing
import WeightFormat

/// The error `body` throws, or nil when it returns.
private func failure<T, E: Error>(_ body: () throws(E) -> T) -> E? {
  do {
    _ = try body()
    return nil
  } catch {
    return error
  }
}

/// Checks the invariants of a quantized CDF of `n` symbols at precision `p`.
private func isValidCDF(_ cdf: [UInt32], symbols n: Int, precision p: Int) -> Bool {
  guard cdf.count == n + 1, cdf.first == 0, cdf.last == UInt32(1 << p) else { return false }
  return zip(cdf, cdf.dropFirst()).allSatisfy { $0 < $1 }
}

@Suite("QuantizedCDF: PMF to CDF")
struct QuantizedCDFTests {
  @Test("uniform masses give equal frequencies")
  func uniform() throws {
    #expect(
      try QuantizedCDF.fromPMF([0.25, 0.25, 0.25, 0.25], precision: 16) == [
        0, 16384, 32768, 49152, 65536,
      ])
    #expect(try QuantizedCDF.fromPMF([1, 1, 1, 1], precision: 2) == [0, 1, 2, 3, 4])
  }

  @Test("one symbol holding nearly all mass gives the others one unit each")
  func dominant() throws {
    let cdf = try QuantizedCDF.fromPMF([1 - 3e-9, 1e-9, 1e-9, 1e-9], precision: 16)
    #expect(cdf == [0, 65533, 65534, 65535, 65536])
  }

  @Test("zero masses are raised to frequency 1, taken from the smallest frequency above 1")
  func zeroMasses() throws {
    // f = [0, 8, 0, 8]: bin 0 takes from bin 1 (the first 8), then bin 2 from bin 1 (now 7).
    #expect(try QuantizedCDF.fromPMF([0, 0.5, 0, 0.5], precision: 4) == [0, 1, 7, 8, 16])
  }

  @Test("halves round away from zero before the rescale")
  func roundHalfAway() throws {
    // 2.5 → 3, 5.5 → 6, 8 → 8: total 17, f = ⌊16·[3, 6, 8] / 17⌋ = [2, 5, 7], last bin forced.
    // (Half to even would give [2, 6, 8], total 16 and [0, 2, 8, 16].)
    #expect(try QuantizedCDF.fromPMF([2.5 / 16, 5.5 / 16, 0.5], precision: 4) == [0, 2, 7, 16])
  }

  @Test("exactly 2^p symbols each get frequency 1")
  func fullAlphabet() throws {
    let masses = [1.0] + [Double](repeating: 0, count: 7)
    #expect(try QuantizedCDF.fromPMF(masses, precision: 3) == Array(0...8))
    let uniform = [Double](repeating: 1.0 / 65536, count: 65536)
    #expect(try QuantizedCDF.fromPMF(uniform, precision: 16) == Array(0...65536))
  }

  @Test("bad inputs fail with their specific error")
  func refusals() {
    #expect(
      failure { () throws(QuantizedCDFError) in
        try QuantizedCDF.fromPMF([Double](repeating: 0.1, count: 9), precision: 3)
      } == .tooManySymbols(count: 9, precision: 3))
    #expect(
      failure { () throws(QuantizedCDFError) in try QuantizedCDF.fromPMF([0, 0, 0], precision: 16) }
        == .zeroTotal)
    #expect(
      failure { () throws(QuantizedCDFError) in
        try QuantizedCDF.fromPMF([1e-9, 1e-9], precision: 16)
      } == .zeroTotal)
    #expect(
      failure { () throws(QuantizedCDFError) in try QuantizedCDF.fromPMF([], precision: 16) }
        == .empty)
    #expect(
      failure { () throws(QuantizedCDFError) in try QuantizedCDF.fromPMF([1], precision: 0) }
        == .invalidPrecision(0))
    #expect(
      failure { () throws(QuantizedCDFError) in try QuantizedCDF.fromPMF([1], precision: 17) }
        == .invalidPrecision(17))
    #expect(
      failure { () throws(QuantizedCDFError) in
        try QuantizedCDF.fromPMF([0.5, -0.1], precision: 16)
      }
        == .invalidMass(index: 1, value: -0.1))
    #expect(
      failure { () throws(QuantizedCDFError) in
        try QuantizedCDF.fromPMF([0.5, .infinity], precision: 16)
      }
        == .invalidMass(index: 1, value: .infinity))
    #expect(
      failure { () throws(QuantizedCDFError) in try QuantizedCDF.fromPMF([1e300, 1], precision: 16)
      }
        == .invalidMass(index: 0, value: 1e300))
    let nan = failure { () throws(QuantizedCDFError) in
      try QuantizedCDF.fromPMF([0.5, .nan, 0.5], precision: 16)
    }
    if case .invalidMass(let index, let value) = nan {
      #expect(index == 1 && value.isNaN)
    } else {
      Issue.record("expected invalidMass for NaN, got \(String(describing: nan))")
    }
    #expect(QuantizedCDFError.zeroTotal.code == "pmf.zeroTotal")
    #expect(QuantizedCDFError.invalidMass(index: 0, value: 2).code == "pmf.invalidMass")
  }

  @Test("1,000 random PMFs give valid CDFs, deterministically")
  func randomInvariants() throws {
    var rng = SplitMix64(seed: 0xC0FF_EE00_1234)
    var raised = 0
    for round in 0..<1000 {
      let n = Int.random(in: 1...400, using: &rng)
      let minPrecision = max(1, Int.bitWidth - (n - 1).leadingZeroBitCount)  // 2^p ≥ n
      let p = Int.random(in: minPrecision...16, using: &rng)
      var masses = [Double](repeating: 0, count: n)
      for i in 0..<n {
        switch round % 4 {
        case 0: masses[i] = Double.random(in: 0..<1, using: &rng)
        case 1: masses[i] = Bool.random(using: &rng) ? 0 : Double.random(in: 0..<1, using: &rng)
        case 2: masses[i] = exp(-Double(i) * Double.random(in: 0.05...3, using: &rng))
        default: masses[i] = pow(10, Double.random(in: -12...0, using: &rng))
        }
      }
      if masses.allSatisfy({ $0 == 0 }) { masses[0] = 1 }
      let total = masses.reduce(0, +)
      let pmf = masses.map { $0 / total }
      // Normalised with n ≤ 2^p, some mass is ≥ 2^−p: the total is never 0.
      let cdf = try QuantizedCDF.fromPMF(pmf, precision: p)
      #expect(isValidCDF(cdf, symbols: n, precision: p), "round \(round): n \(n), p \(p)")
      #expect(try QuantizedCDF.fromPMF(pmf, precision: p) == cdf)
      if pmf.contains(where: { $0 * Double(1 << p) < 0.5 }) { raised += 1 }
    }
    #expect(raised > 100, "the random PMFs exercise the zero-frequency repair")
  }

  @Test("CompressAI's own float32 masses give exactly CompressAI's tables")
  func compressAIMasses() throws {
    for file in ["bottleneck.npz", "gaussian.npz"] {
      let arrays = try Fixtures.read("entropy", file)
      let prefix = file == "bottleneck.npz" ? "entropy_bottleneck" : "gaussian_conditional"
      let table = try CompressAITables.table(prefix: prefix, in: arrays, method: .copy)
      let pmf = try #require(arrays["reference.pmf"])
      let tails = floats(try #require(arrays["reference.tail_mass"]))
      let rows =
        arrays["reference.rows"].map { ints($0) } ?? Array(0..<table.count)
      let width = pmf.shape[1]
      let masses = floats(pmf)
      for (r, row) in rows.enumerated() {
        let symbols = Int(table.lengths[row]) - 1
        let m = Array(masses[(r * width)..<(r * width + symbols - 1)]) + [tails[r]]
        #expect(
          try QuantizedCDF.fromPMF(m, precision: 16) == Array(table.row(row)), "\(file) row \(row)")
      }
    }
  }
}

/// Reads a float32 array as doubles.
private func floats(_ array: NumPyArray) -> [Double] {
  array.data.withUnsafeBytes { raw in
    (0..<(raw.count / 4)).map {
      Double(
        Float(
          bitPattern: UInt32(
            littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))))
    }
  }
}

/// Reads an int32 array.
private func ints(_ array: NumPyArray) -> [Int] {
  array.data.withUnsafeBytes { raw in
    (0..<(raw.count / 4)).map {
      Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)))
    }
  }
}

/// An int32 array with the given values.
private func int32Array(_ values: [Int32], shape: [Int]) -> NumPyArray {
  var data = Data()
  for v in values { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
  return NumPyArray(dtype: .int32, shape: shape, data: data)
}

/// How a computed table compares with CompressAI's.
private struct Comparison {
  var identicalRows = 0
  var rows = 0
  var differingRows: [Int] = []
  /// The largest difference of a CDF entry.
  var maxDifference = 0
  /// The largest difference of a symbol frequency (`cdf[k+1] − cdf[k]`).
  var maxFrequencyDifference = 0
  var differingEntries = 0
  var structureMatches = true

  var summary: String {
    "\(identicalRows)/\(rows) rows identical (differing: \(differingRows)), \(differingEntries) "
      + "entries differ by at most \(maxDifference), frequencies by at most "
      + "\(maxFrequencyDifference)"
  }

  init(_ ours: CDFTable, _ theirs: CDFTable) {
    rows = theirs.count
    structureMatches = ours.offsets == theirs.offsets && ours.lengths == theirs.lengths
    guard structureMatches else { return }
    for i in 0..<rows {
      let a = ours.row(i)
      let b = theirs.row(i)
      var same = true
      for (x, y) in zip(a, b) where x != y {
        same = false
        differingEntries += 1
        maxDifference = max(maxDifference, abs(Int(x) - Int(y)))
      }
      for k in 0..<(a.count - 1) {
        let fa = Int(a[a.startIndex + k + 1]) - Int(a[a.startIndex + k])
        let fb = Int(b[b.startIndex + k + 1]) - Int(b[b.startIndex + k])
        maxFrequencyDifference = max(maxFrequencyDifference, abs(fa - fb))
      }
      if same { identicalRows += 1 } else { differingRows.append(i) }
    }
  }
}

@Suite("CompressAI entropy tables")
struct CompressAITablesTests {
  static let exampleModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("models/example-bmshj2018-hyperprior.npz").path

  @Test(
    "copied tables equal CompressAI's arrays exactly",
    arguments: [
      ("bottleneck.npz", "entropy_bottleneck"), ("gaussian.npz", "gaussian_conditional"),
    ])
  func copy(file: String, prefix: String) throws {
    let arrays = try Fixtures.read("entropy", file)
    let table = try CompressAITables.table(prefix: prefix, in: arrays)
    let cdf = ints(try #require(arrays[prefix + "._quantized_cdf"]))
    let lengths = ints(try #require(arrays[prefix + "._cdf_length"]))
    let offsets = ints(try #require(arrays[prefix + "._offset"]))
    let width = try #require(arrays[prefix + "._quantized_cdf"]).shape[1]
    #expect(table.precision == 16)
    #expect(table.offsets.map(Int.init) == offsets)
    #expect(table.lengths.map(Int.init) == lengths)
    for i in 0..<table.count {
      #expect(table.row(i).map(Int.init) == Array(cdf[(i * width)..<(i * width + lengths[i])]))
    }
    try table.validate(name: prefix)
  }

  @Test("the computed factorized table matches CompressAI's (float32 masses) closely")
  func factorized() throws {
    let arrays = try Fixtures.read("entropy", "bottleneck.npz")
    let theirs = try CompressAITables.table(prefix: "entropy_bottleneck", in: arrays, method: .copy)
    let ours = try CompressAITables.table(
      prefix: "entropy_bottleneck", in: arrays, method: .compute)
    let c = Comparison(ours, theirs)
    print("factorized: \(c.summary)")
    #expect(c.structureMatches)
    #expect(c.identicalRows * 100 >= 95 * c.rows)
    #expect(c.maxDifference <= 2)
  }

  @Test("the computed Gaussian table matches CompressAI's (float32 masses) closely")
  func gaussian() throws {
    let arrays = try Fixtures.read("entropy", "gaussian.npz")
    let theirs = try CompressAITables.table(
      prefix: "gaussian_conditional", in: arrays, method: .copy)
    let ours = try CompressAITables.table(
      prefix: "gaussian_conditional", in: arrays, method: .compute)
    let c = Comparison(ours, theirs)
    print("gaussian: \(c.summary)")
    #expect(c.structureMatches)
    #expect(c.identicalRows * 100 >= 95 * c.rows)
    #expect(c.maxDifference <= 2)
  }

  @Test("the three spellings of the density parameters give the same table")
  func spellings() throws {
    let current = try Fixtures.read("entropy", "bottleneck.npz")
    let legacy = try Fixtures.read("entropy", "bottleneck_spellings.npz")
    let a = try CompressAITables.table(prefix: "entropy_bottleneck", in: current, method: .compute)
    // No stored table: automatic computes. `module.` is stripped from keys and from the prefix.
    let b = try CompressAITables.table(prefix: "entropy_bottleneck", in: legacy)
    let c = try CompressAITables.table(prefix: "module.v1_0.entropy_bottleneck", in: legacy)
    #expect(a == b)
    #expect(a == c)
  }

  @Test("the shipped example model's tables copy and validate")
  func exampleModel() throws {
    let arrays = try NPZReader(path: Self.exampleModel).readAll()
    for (prefix, rows) in [("entropy_bottleneck", 16), ("gaussian_conditional", 64)] {
      let table = try CompressAITables.table(prefix: prefix, in: arrays)
      #expect(table.count == rows)
      try table.validate(name: prefix)
      let computed = try CompressAITables.table(prefix: prefix, in: arrays, method: .compute)
      let c = Comparison(computed, table)
      print("example \(prefix): \(c.summary)")
      #expect(c.structureMatches)
    }
  }

  @Test("the Gaussian tail multiplier is scipy's −Φ⁻¹(5e-10)")
  func multiplier() throws {
    let m = try CompressAITables.gaussianTailMultiplier(tailMass: 1e-9)
    #expect(abs(m - 6.1094102048693975) < 1e-12)
    #expect(Float(m) == Float(6.1094102048693975))
    #expect(
      abs(try CompressAITables.gaussianTailMultiplier(tailMass: 0.3173105078629141) - 1) < 1e-12)
  }

  @Test("scale thresholds choose the row CompressAI's build_indexes chooses")
  func thresholds() throws {
    let arrays = try Fixtures.read("entropy", "gaussian.npz")
    let table = try CompressAITables.scaleTable(prefix: "gaussian_conditional", in: arrays)
    let fractionBits = 16
    let thresholds = try CompressAITables.scaleThresholds(
      scaleTable: table, fractionBits: fractionBits)
    #expect(thresholds.count == table.count - 1)
    #expect(thresholds.first == Int64((table[0] * 65536).rounded(.toNearestOrAwayFromZero)))
    #expect(zip(thresholds, thresholds.dropFirst()).allSatisfy { $0 < $1 })
    var rng = SplitMix64(seed: 0x5CA1E)
    for _ in 0..<5000 {
      let sigma = Int64.random(in: 0...(Int64(300) << fractionBits), using: &rng)
      let index = thresholds.filter { $0 < sigma }.count
      // CompressAI: the smallest i with scale ≤ table[i], capped at n − 1 (on the integer grid).
      let compressAI = thresholds.firstIndex { sigma <= $0 } ?? table.count - 1
      #expect(index == compressAI)
      // And on the real scale, away from the rounding of the thresholds.
      let real = Double(sigma) / 65536
      if table.allSatisfy({ abs($0 - real) > 1.0 / 65536 }) {
        #expect(index == (table.dropLast().firstIndex { real <= $0 } ?? table.count - 1))
      }
    }
    #expect(
      failure { () throws(EntropyTableError) in
        try CompressAITables.scaleThresholds(scaleTable: [0.11, -1, 2], fractionBits: 8)
      } != nil)
    #expect(
      failure { () throws(EntropyTableError) in
        try CompressAITables.scaleThresholds(scaleTable: [0.11], fractionBits: 40)
      } == .invalidArgument(name: "fractionBits", reason: "40 is outside 0…32"))
  }

  @Test("damaged or incomplete exports fail with a typed error naming the array or row")
  func refusals() throws {
    var arrays = try Fixtures.read("entropy", "bottleneck.npz")
    let prefix = "entropy_bottleneck"

    // A CompressAI table that breaks an invariant: row 3 entry 5 no larger than entry 4.
    var cdf = ints(try #require(arrays[prefix + "._quantized_cdf"])).map { Int32($0) }
    let width = try #require(arrays[prefix + "._quantized_cdf"]).shape[1]
    cdf[3 * width + 5] = cdf[3 * width + 4]
    var damaged = arrays
    damaged[prefix + "._quantized_cdf"] = int32Array(cdf, shape: [8, width])
    let error = failure { () throws(EntropyTableError) in
      try CompressAITables.table(prefix: prefix, in: damaged)
    }
    guard case .invalidTable(prefix, 3, _) = error else {
      Issue.record("expected invalidTable row 3, got \(String(describing: error))")
      return
    }

    #expect(
      failure { () throws(EntropyTableError) in
        try CompressAITables.table(prefix: "nothing", in: arrays)
      }
        == .noEntropyModel(prefix: "nothing"))

    var duplicated = arrays
    duplicated["module." + prefix + ".quantiles"] = arrays[prefix + ".quantiles"]
    #expect(
      failure { () throws(EntropyTableError) in
        try CompressAITables.table(prefix: prefix, in: duplicated)
      }
        == .duplicateKey(name: prefix + ".quantiles"))

    var ambiguous = arrays
    ambiguous[prefix + "._matrix2"] = arrays[prefix + ".matrices.2"]
    #expect(
      failure { () throws(EntropyTableError) in
        try CompressAITables.table(prefix: prefix, in: ambiguous, method: .compute)
      } == .ambiguousParameter(names: [prefix + ".matrices.2", prefix + "._matrix2"]))

    var missingFactor = arrays
    missingFactor[prefix + ".factors.1"] = nil
    #expect(
      failure { () throws(EntropyTableError) in
        try CompressAITables.table(prefix: prefix, in: missingFactor, method: .compute)
      } == .missingArray(name: prefix + ".factors.1"))

    var badShape = arrays
    badShape[prefix + ".biases.4"] = arrays[prefix + ".biases.3"]
    #expect(
      failure { () throws(EntropyTableError) in
        try CompressAITables.table(prefix: prefix, in: badShape, method: .compute)
      } == .badShape(name: prefix + ".biases.4", shape: [8, 3, 1], expected: "(8, 1, 1)"))

    var wrongType = arrays
    wrongType[prefix + "._cdf_length"] = NumPyArray(
      dtype: .float32, shape: [8], data: Data(count: 32))
    #expect(
      failure { () throws(EntropyTableError) in
        try CompressAITables.table(prefix: prefix, in: wrongType)
      }
        == .unsupportedDType(
          name: prefix + "._cdf_length", dtype: "float32", expected: "int32 or int64"))

    // Quantiles so wide that a row cannot fit 16-bit precision.
    var wide: [Float] = []
    for _ in 0..<8 { wide += [-40000, 0, 40000] }
    var quantileData = Data()
    for v in wide {
      withUnsafeBytes(of: v.bitPattern.littleEndian) { quantileData.append(contentsOf: $0) }
    }
    arrays[prefix + ".quantiles"] = NumPyArray(
      dtype: .float32, shape: [8, 1, 3], data: quantileData)
    let tooLong = failure { () throws(EntropyTableError) in
      try CompressAITables.table(prefix: prefix, in: arrays, method: .compute)
    }
    guard case .rowTooLong(prefix, 0, _, 65535) = tooLong else {
      Issue.record("expected rowTooLong, got \(String(describing: tooLong))")
      return
    }
    #expect(
      failure { () throws(EntropyTableError) in
        try CompressAITables.table(prefix: "gaussian_conditional", in: [:], method: .copy)
      } == .missingArray(name: "gaussian_conditional._quantized_cdf"))
  }
}
