import Converters
import Foundation
import Testing
import WeightFormat

@Suite("gic-convert names what an export is")
struct DetectionCLITests {
  /// Writes a zero-filled float32 export with the keys and shapes of a `compressai.zoo`
  /// architecture (Tests/ConvertersTests/Fixtures/zoo/keys.json) to `dir/<name>.npz`.
  static func zooExport(_ name: String, in dir: URL) throws -> String {
    let url = CLIRunner.repositoryRoot.appendingPathComponent(
      "Tests/ConvertersTests/Fixtures/zoo/keys.json")
    let all = try JSONDecoder().decode(
      [String: [String: [Int]]].self, from: Data(contentsOf: url))
    let shapes = try #require(all[name])
    var npz = NPZWriter()
    for (key, shape) in shapes.sorted(by: { $0.key < $1.key }) {
      npz.add(
        name: key, dtype: .float32, shape: shape,
        data: Data(count: 4 * shape.reduce(1, *)))
    }
    let path = dir.appendingPathComponent(name + ".npz").path
    try npz.write(to: path)
    return path
  }

  @Test("an mbt2018 export is refused, naming the architecture and its context model arrays")
  func mbt2018() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try Self.zooExport("mbt2018", in: dir)
    let convert = try CLIRunner.run("gic-convert", [input, "-o", "m.gicw"], in: dir)
    #expect(convert.status == 1)
    #expect(
      convert.stderr.contains(
        "the arrays look like CompressAI mbt2018 (JointAutoregressiveHierarchicalPriors)"))
    #expect(convert.stderr.contains("context_prediction.bias"))
    #expect(convert.stderr.contains("(9 arrays)"))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.gicw").path))

    let forced = try CLIRunner.run(
      "gic-convert", [input, "-o", "m.gicw", "--profile", "mbt2018-mean"], in: dir)
    #expect(forced.status == 1)
    #expect(
      forced.stderr.contains(
        "array context_prediction.bias [24] and 8 more not read by mbt2018-mean"),
      "\(forced.stderr)")

    let inspect = try CLIRunner.run("gic-convert", ["inspect", input], in: dir)
    #expect(inspect.status == 0)
    #expect(inspect.stdout.contains("converts as: refused by --profile auto: the arrays look like"))
    let json = try CLIRunner.run("gic-convert", ["inspect", "--json", input], in: dir)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    let conversion = try #require(object["conversion"] as? [String: Any])
    #expect(conversion["profile"] is NSNull)
    #expect(conversion["architecture"] as? String == "mbt2018")
    #expect((conversion["ignored_arrays"] as? [String])?.count == 9)
  }

  @Test("a cheng2020-anchor export is refused, naming it; an mbt2018-mean export converts as one")
  func cheng2020AndMean() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cheng = try Self.zooExport("cheng2020-anchor", in: dir)
    let convert = try CLIRunner.run("gic-convert", [cheng, "-o", "m.gicw"], in: dir)
    #expect(convert.status == 1)
    #expect(convert.stderr.contains("CompressAI cheng2020-anchor (Cheng2020Anchor)"))
    #expect(convert.stderr.contains("profiles: raw, compressai-tables, bmshj2018-hyperprior"))

    let mean = try Self.zooExport("mbt2018-mean", in: dir)
    let json = try CLIRunner.run("gic-convert", ["inspect", "--json", mean], in: dir)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    let conversion = try #require(object["conversion"] as? [String: Any])
    #expect(conversion["profile"] as? String == "mbt2018-mean")
    #expect((conversion["ignored_arrays"] as? [String]) == [])
    #expect(conversion["refusal"] is NSNull)
  }
}
