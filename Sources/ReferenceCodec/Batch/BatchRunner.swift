import Foundation
import WeightFormat

/// Runs a batch: codes every picture once, on up to `threads` pictures at a time, records each
/// in a JSON Lines manifest as it finishes, and writes the manifest sorted by input at the end.
///
/// A rerun skips the pictures the manifest already has with the same input SHA-256, the same
/// options and an unchanged output file, so an interrupted run resumes where it stopped. A
/// picture that fails becomes an entry with its error; the others go on. The outputs do not
/// depend on the thread count (each picture is coded as a single run codes it) and the final
/// manifest's content depends only on the inputs and options, apart from the timings.
public struct BatchRunner: Sendable {
  /// The work of one picture: its input, the input file's bytes, the output path and threads.
  ///
  /// It writes the output and returns the entry's picture fields (bytes, bpp, digests…); the
  /// runner fills in the input, its digest, the options, the output name and the time.
  public typealias Work = @Sendable (BatchInput, Data, String, Int) throws -> BatchEntry

  /// How a run ended (encoded without the entries, which the manifest holds).
  public struct Summary: Sendable, Encodable {
    /// One entry per input, sorted by input (what the manifest holds).
    public var entries: [BatchEntry]
    /// Pictures in the batch.
    public var pictures: Int { entries.count }
    /// Pictures coded by this run (failed ones included).
    public var coded: Int
    /// Pictures skipped because an earlier run had done them.
    public var skipped: Int
    /// Inputs whose entry carries an error.
    public var failed: [String]

    enum CodingKeys: CodingKey { case pictures, coded, skipped, failed }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(pictures, forKey: .pictures)
      try c.encode(coded, forKey: .coded)
      try c.encode(skipped, forKey: .skipped)
      try c.encode(failed, forKey: .failed)
    }
  }

  public var inputs: [BatchInput]
  /// The directory the outputs go to (as `<name with outputExtension>`, subfolders kept).
  public var outputDirectory: String
  public var outputExtension: String
  /// The manifest file.
  public var manifest: String
  /// The options recorded in every entry; a rerun with other options codes every picture again.
  public var options: String
  /// The model's digest; a rerun with another model codes every picture again.
  public var modelDigest: String
  /// Pictures coded at the same time (each with one thread, or more when there are fewer
  /// pictures than threads).
  public var threads: Int

  public init(
    inputs: [BatchInput], outputDirectory: String, outputExtension: String, manifest: String,
    options: String, modelDigest: String, threads: Int
  ) {
    self.inputs = inputs
    self.outputDirectory = outputDirectory
    self.outputExtension = outputExtension
    self.manifest = manifest
    self.options = options
    self.modelDigest = modelDigest
    self.threads = threads
  }

  /// The output file of `input`, relative to the output directory.
  public func outputName(_ input: BatchInput) -> String {
    BatchInput.outputName(input.name, extension: outputExtension)
  }

  /// Runs `work` on every picture not done yet; `progress(done, total)` after each picture
  /// (skipped ones included), from any thread, one call at a time.
  ///
  /// - Throws: ``BatchError`` if two inputs share an output name or the old manifest is
  ///   damaged; ``WeightFormatError`` if the manifest cannot be written.
  public func run(_ work: @escaping Work, progress: @escaping @Sendable (Int, Int) -> Void)
    throws -> Summary
  {
    var outputs = Set<String>()
    for input in inputs where !outputs.insert(outputName(input)).inserted {
      throw BatchError.duplicateName(name: outputName(input))
    }
    var previous: [String: BatchEntry] = [:]
    if FileManager.default.fileExists(atPath: manifest) {
      let old = try BatchManifest.read(manifest)
      for entry in old { previous[entry.input] = entry }
      // Rewritten whole, so an unfinished last line of a killed run is gone before appending.
      try BatchManifest.write(Array(previous.values), to: manifest)
    } else {
      try BatchFiles.createDirectory(forFile: manifest)
      try AtomicFileOutput.write([], to: manifest)
    }
    let log = try BatchLog(path: manifest, total: inputs.count, progress: progress)
    let workers = max(1, min(threads, inputs.count))
    let perPicture = max(1, threads / workers)
    let state = (inputs: inputs, previous: previous)
    DisjointWork.forEach(workers, threads: workers) { _ in
      while let k = log.next() {
        let (entry, skipped) = self.code(state.inputs[k], state.previous, work, perPicture)
        log.finish(k, entry, skipped: skipped)
      }
    }
    let entries = BatchManifest.sorted(log.entries.compactMap { $0 })
    try BatchManifest.write(entries, to: manifest)
    return Summary(
      entries: entries, coded: inputs.count - log.skipped, skipped: log.skipped,
      failed: entries.filter { $0.error != nil }.map(\.input))
  }

  /// Codes one picture, or returns the earlier entry when it is done already.
  func code(
    _ input: BatchInput, _ previous: [String: BatchEntry], _ work: Work, _ threads: Int
  ) -> (BatchEntry, skipped: Bool) {
    let start = DispatchTime.now()
    let output = outputName(input)
    let path = (outputDirectory as NSString).appendingPathComponent(output)
    var entry = BatchEntry(input: input.name)
    do {
      let bytes = try BatchFiles.read(input.path)
      let digest = SHA256Hex.of(bytes)
      entry.inputSha256 = digest
      if let old = previous[input.name], old.error == nil, old.inputSha256 == digest,
        old.options == options, old.modelDigest == modelDigest, old.output == output,
        let data = FileManager.default.contents(atPath: path),
        old.outputSha256 == SHA256Hex.of(data)
      {
        return (old, true)
      }
      try BatchFiles.createDirectory(forFile: path)
      var coded = try work(input, bytes, path, threads)
      (coded.input, coded.inputSha256, coded.output) = (input.name, digest, output)
      entry = coded
    } catch {
      entry.error = BatchEntry.Failure(error)
    }
    (entry.options, entry.modelDigest) = (options, modelDigest)
    // Wall-clock time for the manifest only; it never touches a coded bit.
    entry.seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    return (entry, false)
  }
}
