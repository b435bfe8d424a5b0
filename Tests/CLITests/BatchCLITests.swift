import Foundation
import Testing

@Suite("gic-ref batches, shards and merge")
struct BatchCLITests {
  let root = CLIRunner.repositoryRoot
  var codec: URL { root.appendingPathComponent("Tests/ReferenceCodecTests/Fixtures/codec") }
  var gicV1: String { codec.appendingPathComponent("gic-v1-N16-M24-W16-random.gicw").path }
  static let images = ["gray-33x20.png", "rgb-1x1.png", "rgb-77x45.png", "rgba-20x17.png"]
  static let golden = ["--rate", "0.3", "--steps", "2", "--seed", "7"]

  /// The fixture pictures copied into `dir/pictures` (two of them in a subfolder).
  func pictures(in dir: URL) throws -> String {
    let folder = dir.appendingPathComponent("pictures")
    try FileManager.default.createDirectory(
      at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
    for (k, name) in Self.images.enumerated() {
      try FileManager.default.copyItem(
        at: codec.appendingPathComponent(name),
        to: folder.appendingPathComponent(k < 2 ? name : "sub/" + name))
    }
    return folder.path
  }

  /// The manifest's lines as objects without their timings.
  static func entries(_ path: URL) throws -> [NSDictionary] {
    let text = try String(contentsOf: path, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8), options: .mutableContainers)
          as? NSMutableDictionary)
      object.removeObject(forKey: "seconds")
      return object
    }
  }

  /// Every file below `dir` but the manifests, by relative path.
  static func files(_ dir: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for case let name as String in FileManager.default.enumerator(atPath: dir.path) ?? .init() {
      let url = dir.appendingPathComponent(name)
      guard !name.hasSuffix(".jsonl"), let data = FileManager.default.contents(atPath: url.path)
      else { continue }
      files[name] = data
    }
    return files
  }

  @Test("a directory batch matches the goldens, records a bad picture, resumes, and decodes")
  func batch() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try pictures(in: dir)
    try Data("not a picture".utf8).write(to: URL(fileURLWithPath: input + "/bad.png"))
    let args = ["encode", input, "-m", gicV1, "-o", "out", "--threads", "3"]
    let first = try CLIRunner.run("gic-ref", args + ["--json"], in: dir)
    #expect(first.status == 1)
    #expect(first.stderr.hasPrefix("error: 1 of 5 pictures failed") && !first.stderr.contains("\r"))
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
    #expect(report["failed"] as? [String] == ["bad.png"] && report["coded"] as? Int == 5)
    let manifest = dir.appendingPathComponent("out/manifest.jsonl")
    let entries = try Self.entries(manifest)
    #expect(
      entries.map { $0["input"] as? String } == [
        "bad.png", "gray-33x20.png", "rgb-1x1.png", "sub/rgb-77x45.png", "sub/rgba-20x17.png",
      ])
    #expect((entries[0]["error"] as? [String: String])?["code"] == "image.notPNG")
    for entry in entries.dropFirst() {
      let name = ((entry["input"] as? String ?? "") as NSString).lastPathComponent
      let golden = CodecGolden.find(model: "gic-v1-N16-M24-W16-random.gicw", image: name)
      #expect(entry["output_sha256"] as? String == golden?.stream, "\(name)")
    }

    let again = try CLIRunner.run("gic-ref", args + ["--json"], in: dir)
    #expect(again.stdout.contains(#""skipped" : 4"#), "\(again.stdout)")
    #expect(try Self.entries(manifest) == entries)

    try FileManager.default.removeItem(atPath: input + "/bad.png")
    let decode = try CLIRunner.run(
      "gic-ref", ["decode", "out", "-m", gicV1, "-o", "decoded", "--threads", "2"], in: dir)
    #expect(decode.status == 0 && decode.stderr.isEmpty, "\(decode.stderr)")
    for entry in try Self.entries(dir.appendingPathComponent("decoded/manifest.jsonl")) {
      let name = ((entry["input"] as? String ?? "") as NSString).lastPathComponent
      let golden = CodecGolden.find(
        model: "gic-v1-N16-M24-W16-random.gicw",
        image: name.replacingOccurrences(of: ".gic", with: ".png"))
      #expect(entry["rgb_sha256"] as? String == golden?.rgb, "\(name)")
    }
    #expect(
      FileManager.default.fileExists(
        atPath: dir.appendingPathComponent("decoded/sub/rgb-77x45.png").path))
  }

  @Test("n shard processes of deploy/slurm-array.sh, merged, equal one unsharded run")
  func shardsMerge() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try pictures(in: dir)
    let one = try CLIRunner.run(
      "gic-ref", ["encode", input, "-m", gicV1, "-o", "one", "-q"] + Self.golden, in: dir)
    #expect(one.status == 0, "\(one.stderr)")
    let n = 3
    let shards = try (0..<n).map { k in
      try CLIRunner.start(
        "/bin/bash",
        [root.appendingPathComponent("deploy/slurm-array.sh").path, input, "sharded", gicV1]
          + Self.golden,
        environment: [
          "SLURM_ARRAY_TASK_ID": "\(k)", "SLURM_ARRAY_TASK_COUNT": "\(n)",
          "SLURM_CPUS_PER_TASK": "1",
          "GIC_REF": CLIRunner.productsDirectory.appendingPathComponent("gic-ref").path,
        ], in: dir)
    }
    for shard in shards {
      shard.waitUntilExit()
      #expect(shard.terminationStatus == 0)
    }
    let parts = (0..<n).map { "sharded/manifest-\($0)-of-\(n).jsonl" }
    let merge = try CLIRunner.run(
      "gic-ref", ["merge"] + parts + ["-o", "sharded/manifest.jsonl", "--expect", input], in: dir)
    #expect(merge.status == 0, "\(merge.stderr)")
    #expect(merge.stdout.contains("4 entries, 0 with errors, 0 of 4 expected missing"))
    let merged = dir.appendingPathComponent("sharded/manifest.jsonl")
    #expect(
      try Self.entries(merged) == Self.entries(dir.appendingPathComponent("one/manifest.jsonl")))
    #expect(
      try Self.files(dir.appendingPathComponent("sharded"))
        == Self.files(dir.appendingPathComponent("one")))

    let missing = try CLIRunner.run(
      "gic-ref", ["merge", parts[0], "-o", "x.jsonl", "--expect", input, "--json"], in: dir)
    #expect(missing.status == 1 && missing.stderr.contains("expected inputs are in no manifest"))
    let twice = try CLIRunner.run(
      "gic-ref", ["merge", "one/manifest.jsonl", parts[1], "one/manifest.jsonl", "-o", "x.jsonl"],
      in: dir)
    #expect(twice.status == 1 && twice.stderr.contains("appears in both"))
    let bad = try CLIRunner.run(
      "gic-ref", ["encode", input, "-m", gicV1, "-o", "y", "--shard", "3/3"], in: dir)
    #expect(bad.status == 1 && bad.stderr.contains("shard 3/3 is not i/n"))
  }

  @Test("vectors and verify in 3 shards, merged, cover every vector once and equal one set")
  func vectorShards() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let models = ["mbt2018-mean-N16-M24.gicw", "gic-v1-N16-M24-W16-random.gicw"].flatMap {
      ["-m", codec.appendingPathComponent($0).path]
    }
    let images = Self.images.map { codec.appendingPathComponent($0).path }
    let whole = try CLIRunner.run(
      "gic-ref", ["vectors"] + models + images + ["-o", "set"], in: dir)
    #expect(whole.status == 0, "\(whole.stderr)")
    for k in 0..<3 {
      let part = try CLIRunner.run(
        "gic-ref", ["vectors"] + models + images + ["-o", "joined", "--shard", "\(k)/3"], in: dir)
      #expect(part.status == 0, "\(part.stderr)")
      try FileManager.default.moveItem(
        at: dir.appendingPathComponent("joined/manifest.json"),
        to: dir.appendingPathComponent("part\(k).json"))
      let verify = try CLIRunner.run(
        "gic-ref", ["verify", "set", "--shard", "\(k)/3", "--manifest", "v\(k).jsonl", "-q"],
        in: dir)
      #expect(verify.status == 0 && verify.stderr.isEmpty, "\(verify.stderr)")
    }
    let join = try CLIRunner.run(
      "gic-ref", ["merge", "part0.json", "part1.json", "part2.json", "-o", "joined/manifest.json"],
      in: dir)
    #expect(join.status == 0, "\(join.stderr)")
    #expect(
      try Self.files(dir.appendingPathComponent("joined"))
        == Self.files(dir.appendingPathComponent("set")))
    let merge = try CLIRunner.run(
      "gic-ref",
      [
        "merge", "v0.jsonl", "v1.jsonl", "v2.jsonl", "-o", "v.jsonl", "--expect",
        "set/manifest.json",
      ],
      in: dir)
    #expect(merge.status == 0, "\(merge.stderr)")
    #expect(
      merge.stdout.contains("16 entries, 0 with errors, 0 of 16 expected missing"),
      "\(merge.stdout)")
  }

  @Test(
    "a batch shows pictures done, rate and time left on a terminal (util-linux script)",
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
  func progressOnTerminal() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try pictures(in: dir)
    let bin = CLIRunner.productsDirectory.appendingPathComponent("gic-ref").path
    let command = "'\(bin)' encode '\(input)' -m '\(gicV1)' -o out --threads 1"
    let out = Pipe()
    let process = try CLIRunner.start(
      "/usr/bin/script", ["-qec", command, "/dev/null"], in: dir, output: out)
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(text)")
    #expect(text.contains("encode: 4/4 pictures, ") && text.contains(" left"), "\(text)")
  }

  @Test("verify conformance --shard i/3 for i = 0, 1, 2, merged, covers the 40 vectors once")
  func publishedVectorShards() throws {
    let dir = try CLIRunner.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let set = root.appendingPathComponent("conformance").path
    var counts: [Int] = []
    for k in 0..<3 {
      let verify = try CLIRunner.run(
        "gic-ref", ["verify", set, "--shard", "\(k)/3", "--manifest", "c\(k).jsonl", "--json"],
        in: dir)
      #expect(verify.status == 0, "\(verify.stderr)")
      counts.append(try Self.entries(dir.appendingPathComponent("c\(k).jsonl")).count)
    }
    #expect(counts.allSatisfy { $0 > 0 } && counts.reduce(0, +) == 40, "\(counts)")
    let merge = try CLIRunner.run(
      "gic-ref",
      [
        "merge", "c0.jsonl", "c1.jsonl", "c2.jsonl", "-o", "c.jsonl", "--expect",
        set + "/manifest.json",
      ],
      in: dir)
    #expect(merge.stdout.contains("40 entries, 0 with errors, 0 of 40 expected missing"))
  }

  @Test(
    "deploy/: the Kubernetes manifests parse and run gic-ref by shard; the Slurm script passes bash -n"
  )
  func deployFiles() throws {
    let indexed = root.appendingPathComponent("deploy/k8s-indexed-job.yaml").path
    let merge = root.appendingPathComponent("deploy/k8s-merge-job.yaml").path
    let check = """
      import sys
      try:
          import yaml
      except ImportError:
          yaml = None
      for path, needles in [(sys.argv[1], ["gic-ref encode", "--shard", "JOB_COMPLETION_INDEX"]),
                            (sys.argv[2], ["gic-ref merge", "--expect"])]:
          text = open(path).read()
          if yaml is not None:
              job = yaml.safe_load(text)
              assert job["apiVersion"] == "batch/v1" and job["kind"] == "Job", path
              spec = job["spec"]
              container = spec["template"]["spec"]["containers"][0]
              text = " ".join(container.get("command", []) + container.get("args", []))
              if "encode" in needles[0]:
                  assert spec["completionMode"] == "Indexed", path
                  env = {e["name"]: e["value"] for e in container.get("env", [])}
                  assert env["SHARDS"] == str(spec["completions"]), path
          else:
              assert "kind: Job" in text and "apiVersion: batch/v1" in text, path
              assert "\\t" not in text, path
          for needle in needles:
              assert needle in text, (path, needle)
      print("ok", "yaml" if yaml else "text")
      """
    let python = try CLIRunner.start(
      "/usr/bin/env", ["python3", "-c", check, indexed, merge], in: root)
    python.waitUntilExit()
    #expect(python.terminationStatus == 0)
    let slurm = root.appendingPathComponent("deploy/slurm-array.sh").path
    let syntax = try CLIRunner.start("/bin/bash", ["-n", slurm], in: root)
    syntax.waitUntilExit()
    #expect(syntax.terminationStatus == 0)
    let text = try String(contentsOfFile: slurm, encoding: .utf8)
    #expect(text.contains("#SBATCH --array=") && text.contains("SLURM_ARRAY_TASK_ID"))
    #expect(text.contains("\"${GIC_REF:-gic-ref}\" encode") && text.contains("gic-ref merge"))
  }
}
