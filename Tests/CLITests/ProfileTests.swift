import Converters
import Foundation
import Testing
import WeightFormat

@Suite("compressai-tables profile")
struct ProfileTests {
  let example = CLIRunner.repositoryRoot.appendingPathComponent(
    "models/example-bmshj2018-hyperprior.npz"
  ).path

  @Test(
    "auto-detection picks the codec profile; compressai-tables stores CompressAI's tables and the scale thresholds"
  )
  func tables() throws {
    #expect(try ModelConverter.detectProfile(inputPath: example) == .bmshj2018Hyperprior)
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("m.gicw").path
    let report = try ModelConverter.convert(
      inputPath: example, outputPath: out, profile: "compressai-tables")
    #expect(report.profile == "compressai-tables")
    let file = try WeightFile.open(path: out)
    let arrays = try NPZReader(path: example).readAll()
    for prefix in ["entropy_bottleneck", "gaussian_conditional"] {
      let stored = try #require(file.cdfTable(named: prefix))
      let copied = try CompressAITables.copiedTable(prefix: prefix, in: arrays)
      #expect(stored == copied)
    }
    let thresholds = try #require(file.tensor(named: "gaussian_conditional.scale_thresholds"))
    #expect(thresholds.dtype == .int32 && thresholds.shape == [63])
    #expect(
      thresholds.quantization
        == .perTensor(QuantizationParameters(multiplier: 1, shift: 16, zeroPoint: 0)))
  }

  @Test("profile raw stores the arrays only")
  func raw() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("m.gicw").path
    _ = try ModelConverter.convert(inputPath: example, outputPath: out, profile: "raw")
    let file = try WeightFile.open(path: out)
    #expect(file.cdfTables.isEmpty)
    #expect(file.tensor(named: "gaussian_conditional.scale_thresholds") == nil)
    let names = try NPZReader(path: example).names
    #expect(file.tensors.count == names.count)
  }

  @Test("a scale_thresholds array that disagrees with the scale table is refused")
  func tamperedThresholds() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = dir.appendingPathComponent("m.gicw").path
    let npz = dir.appendingPathComponent("x.npz").path
    _ = try ModelConverter.convert(
      inputPath: example, outputPath: model, profile: "compressai-tables")
    let file = try WeightFile.open(path: model)
    var writer = NPZWriter()
    for t in file.tensors {
      var data = file.data(of: t)
      if t.name == "gaussian_conditional.scale_thresholds" { data[data.startIndex] ^= 1 }
      writer.add(name: t.name, dtype: t.dtype, shape: t.shape, data: data)
    }
    try writer.write(to: npz)
    #expect(throws: ConverterError.self) {
      _ = try ModelConverter.convert(
        inputPath: npz, outputPath: dir.appendingPathComponent("y.gicw").path,
        profile: "compressai-tables")
    }
  }
}
