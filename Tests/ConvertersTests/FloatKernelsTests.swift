import Converters
import Foundation
import Testing

/// One fixture case's hyper-parameters, from `cases.json`.
private struct FloatCase: Decodable, Sendable {
  var op: String
  var kernel: Int?
  var stride: Int?
  var padding: Int?
  var outputPadding: Int?
  var outChannels: Int?
  var inverse: Bool?
  var slope: Float?
}

/// The PyTorch fixtures written by `python/make_float_fixtures.py`.
private enum FloatFixtures {
  /// `cases.json`: case name → hyper-parameters (empty when the file does not parse, which the
  /// corpus test reports).
  static let cases: [String: FloatCase] = {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    guard let data = try? Fixtures.data("float", "cases.json") else { return [:] }
    return (try? decoder.decode([String: FloatCase].self, from: data)) ?? [:]
  }()

  /// The names of the cases whose `op` is `op`, sorted.
  static func names(op: String) -> [String] {
    cases.filter { $0.value.op == op }.keys.sorted()
  }

  /// The hyper-parameters of case `name`.
  static func parameters(_ name: String) throws -> FloatCase {
    try #require(cases[name], "case \(name) in cases.json")
  }

  /// Array `array` of case `name`, with its shape.
  static func read(_ name: String, _ array: String) throws -> (shape: [Int], values: [Float]) {
    let npy = try #require(Fixtures.read("float", "\(name).\(array).npy")[""])
    try #require(npy.dtype == .float32, "\(name).\(array) is float32")
    // The reader returns little-endian data; every platform gic supports is little-endian.
    var values = [Float](repeating: 0, count: npy.data.count / 4)
    values.withUnsafeMutableBytes { _ = npy.data.copyBytes(to: $0) }
    return (npy.shape, values)
  }

  /// Array `array` of case `name` as a (C, H, W) tensor.
  static func tensor(_ name: String, _ array: String) throws -> FloatTensor {
    let (shape, values) = try read(name, array)
    try #require(shape.count == 3, "\(name).\(array) is (C, H, W)")
    return FloatTensor(channels: shape[0], height: shape[1], width: shape[2], values: values)
  }
}

/// Checks `actual` against the PyTorch reference: max |error| ≤ 1e-4·(1 + max |reference|).
private func expectClose(
  _ actual: FloatTensor, _ reference: FloatTensor, sourceLocation: SourceLocation = #_sourceLocation
) {
  let shape: [Int] = [actual.channels, actual.height, actual.width]
  let referenceShape: [Int] = [reference.channels, reference.height, reference.width]
  #expect(shape == referenceShape, "shape", sourceLocation: sourceLocation)
  guard actual.values.count == reference.values.count else { return }
  let error = zip(actual.values, reference.values).map { ($0 - $1).magnitude }.max() ?? 0
  let bound = 1e-4 * (1 + reference.maxAbs())
  #expect(error <= bound, "max error \(error) > \(bound)", sourceLocation: sourceLocation)
}

/// A tensor of uniform values in −1 … 1.
private func randomTensor(
  _ c: Int, _ h: Int, _ w: Int, using rng: inout SplitMix64
) -> FloatTensor {
  FloatTensor(channels: c, height: h, width: w, values: randomValues(c * h * w, using: &rng))
}

private func randomValues(_ n: Int, using rng: inout SplitMix64) -> [Float] {
  (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
}

@Suite("FloatKernels: float32 forward kernels against PyTorch")
struct FloatKernelsTests {
  @Test("the fixture corpus has every case")
  func corpus() {
    #expect(FloatFixtures.names(op: "conv2d").count == 4)
    #expect(FloatFixtures.names(op: "conv_transpose2d").count == 4)
    #expect(FloatFixtures.names(op: "gdn").count == 2)
    #expect(FloatFixtures.names(op: "leaky_relu").count == 1)
  }

  @Test("conv2d matches torch.nn.functional.conv2d", arguments: FloatFixtures.names(op: "conv2d"))
  func conv2d(name: String) throws {
    let c = try FloatFixtures.parameters(name)
    let y = FloatKernels.conv2d(
      try FloatFixtures.tensor(name, "x"), weight: try FloatFixtures.read(name, "weight").values,
      bias: try FloatFixtures.read(name, "bias").values, outChannels: try #require(c.outChannels),
      kernel: try #require(c.kernel), stride: try #require(c.stride),
      padding: try #require(c.padding))
    expectClose(y, try FloatFixtures.tensor(name, "y"))
  }

  @Test(
    "convTranspose2d matches torch.nn.functional.conv_transpose2d",
    arguments: FloatFixtures.names(op: "conv_transpose2d"))
  func convTranspose2d(name: String) throws {
    let c = try FloatFixtures.parameters(name)
    let y = FloatKernels.convTranspose2d(
      try FloatFixtures.tensor(name, "x"), weight: try FloatFixtures.read(name, "weight").values,
      bias: try FloatFixtures.read(name, "bias").values, outChannels: try #require(c.outChannels),
      kernel: try #require(c.kernel), stride: try #require(c.stride),
      padding: try #require(c.padding), outputPadding: try #require(c.outputPadding))
    expectClose(y, try FloatFixtures.tensor(name, "y"))
  }

  @Test("gdn matches CompressAI's GDN and inverse GDN", arguments: FloatFixtures.names(op: "gdn"))
  func gdn(name: String) throws {
    let inverse = try #require(FloatFixtures.parameters(name).inverse as Bool?)
    let y = FloatKernels.gdn(
      try FloatFixtures.tensor(name, "x"), beta: try FloatFixtures.read(name, "beta").values,
      gamma: try FloatFixtures.read(name, "gamma").values, inverse: inverse)
    expectClose(y, try FloatFixtures.tensor(name, "y"))
  }

  @Test("leakyRelu matches torch.nn.functional.leaky_relu")
  func leakyRelu() throws {
    let slope = try #require(FloatFixtures.parameters("leaky_relu").slope)
    let y = FloatKernels.leakyRelu(try FloatFixtures.tensor("leaky_relu", "x"), slope: slope)
    expectClose(y, try FloatFixtures.tensor("leaky_relu", "y"))
  }

  @Test("relu and abs")
  func reluAndAbs() {
    let x = FloatTensor(channels: 1, height: 2, width: 3, values: [-2, -0.5, 0, 0.25, 3, -7])
    #expect(FloatKernels.relu(x).values == [0, 0, 0, 0.25, 3, 0])
    #expect(FloatKernels.abs(x).values == [2, 0.5, 0, 0.25, 3, 7])
    #expect(FloatKernels.leakyRelu(x, slope: 0.5).values == [-1, -0.25, 0, 0.25, 3, -3.5])
  }

  @Test("maxAbs of the tensor and of one channel")
  func maxAbs() {
    let x = FloatTensor(channels: 2, height: 1, width: 3, values: [1, -4, 2, 3, 0.5, -3.5])
    #expect(x.maxAbs() == 4)
    #expect(x.maxAbs(channel: 0) == 4)
    #expect(x.maxAbs(channel: 1) == 3.5)
    #expect(FloatTensor(channels: 3, height: 2, width: 2, repeating: -1.5).maxAbs() == 1.5)
    #expect(FloatTensor(channels: 0, height: 4, width: 4, repeating: 1).maxAbs() == 0)
  }

  @Test("1, 2 and 8 threads give identical values")
  func threadCounts() {
    var rng = SplitMix64(seed: 0x464C_4F41_5454)
    // C_out not a multiple of the 8-channel tile, widths not multiples of the 4-pixel tile.
    let x = randomTensor(12, 17, 23, using: &rng)
    let weight = randomValues(20 * 12 * 25, using: &rng)
    let bias = randomValues(20, using: &rng)
    let gamma = randomValues(12 * 12, using: &rng).map { $0.magnitude * 0.1 }
    let beta = randomValues(12, using: &rng).map { 1 + $0.magnitude }
    let runs = [1, 2, 8].map { threads in
      [
        FloatKernels.conv2d(
          x, weight: weight, bias: bias, outChannels: 20, kernel: 5, stride: 2, padding: 2,
          threads: threads),
        FloatKernels.conv2d(
          x, weight: weight, bias: bias, outChannels: 20, kernel: 5, stride: 1, padding: 2,
          threads: threads),
        FloatKernels.convTranspose2d(
          x, weight: weight, bias: bias, outChannels: 20, kernel: 5, stride: 2, padding: 2,
          outputPadding: 1, threads: threads),
        FloatKernels.gdn(x, beta: beta, gamma: gamma, inverse: false, threads: threads),
        FloatKernels.gdn(x, beta: beta, gamma: gamma, inverse: true, threads: threads),
      ]
    }
    #expect(runs[1] == runs[0])
    #expect(runs[2] == runs[0])
    #expect(runs[0][2].height == 34 && runs[0][2].width == 46)
  }

  @Test("a 1×1 convolution is a per-pixel matrix product")
  func pointwise() {
    var rng = SplitMix64(seed: 7)
    let x = randomTensor(3, 2, 5, using: &rng)
    let weight = randomValues(2 * 3, using: &rng)
    let y = FloatKernels.conv2d(
      x, weight: weight, bias: [0.5, -1], outChannels: 2, kernel: 1, stride: 1, padding: 0)
    for o in 0..<2 {
      for p in 0..<10 {
        var sum: Float = o == 0 ? 0.5 : -1
        for i in 0..<3 { sum += weight[o * 3 + i] * x.values[i * 10 + p] }
        #expect((y.values[o * 10 + p] - sum).magnitude <= 1e-6)
      }
    }
  }
}

@Suite("Reproducible tar archives")
struct TarArchiveTests {
  @Test func sameBytesEveryTimeAndReadBack() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "gic-tar-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var rng = SplitMix64(seed: 3)
    var files: [String: Data] = [:]
    for k in 0..<20 {
      files["d\(k % 3)/f\(k).bin"] = Data(
        (0..<Int.random(in: 0...3000, using: &rng)).map { _ in
          UInt8.random(in: 0...255, using: &rng)
        })
    }
    let a = dir.appendingPathComponent("a.tar").path
    let b = dir.appendingPathComponent("b.tar").path
    try TarArchive.write(files, to: a)
    try TarArchive.write(files, to: b)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: a))
    let other = try Data(contentsOf: URL(fileURLWithPath: b))
    #expect(bytes == other)
    #expect(bytes.count % 10240 == 0)
    #expect(try TarArchive.read(path: a) == files)
    #expect(throws: ConverterError.self) { try TarArchive.write(["../x": Data()], to: a) }
    #expect(throws: ConverterError.self) { try TarArchive.write(["/x": Data()], to: a) }
    let junk = dir.appendingPathComponent("junk.tar").path
    try Data("not a tar archive at all".utf8).write(to: URL(fileURLWithPath: junk))
    #expect(throws: ConverterError.self) { _ = try TarArchive.read(path: junk) }
  }
}
