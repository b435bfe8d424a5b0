import Foundation
import WeightFormat

/// Batch manifests: JSON Lines files of ``BatchEntry``, one picture a line, sorted by input
/// (UTF-8 byte order) once a run is complete; and the merge of shard manifests into one.
public enum BatchManifest {
  /// The result of ``merge(_:expected:)``.
  public struct Merged: Sendable, Equatable {
    /// Every entry once, sorted by input.
    public var entries: [BatchEntry]
    /// Names of the expected set that no manifest has, sorted.
    public var missing: [String]
    /// Inputs that are not in the expected set, sorted.
    public var unexpected: [String]
  }

  /// The entries of the manifest at `path`, in file order.
  ///
  /// A last line without its newline (a run killed while writing it) is ignored; every other
  /// line must be an entry.
  ///
  /// - Throws: ``BatchError/unreadable(path:reason:)`` or
  ///   ``BatchError/badManifestLine(path:line:reason:)``.
  public static func read(_ path: String) throws(BatchError) -> [BatchEntry] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .unreadable(path: path, reason: "cannot read the manifest")
    }
    var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
    // The text after the last newline: empty for a complete file, else an unfinished line.
    lines.removeLast()
    var entries: [BatchEntry] = []
    for (k, line) in lines.enumerated() where !line.isEmpty {
      do { entries.append(try BatchEntry(line: line)) } catch {
        throw .badManifestLine(
          path: path, line: k + 1, reason: ConformanceManifest.describe(error))
      }
    }
    return entries
  }

  /// `entries` sorted by input (UTF-8 byte order).
  public static func sorted(_ entries: [BatchEntry]) -> [BatchEntry] {
    entries.sorted { BatchInput.precedes($0.input, $1.input) }
  }

  /// `entries`, sorted by input, as JSON Lines.
  public static func serialized(_ entries: [BatchEntry]) -> [UInt8] {
    sorted(entries).flatMap { [UInt8]($0.line()) }
  }

  /// Writes `entries`, sorted by input, to `path` atomically.
  ///
  /// - Throws: ``WeightFormatError/io(path:reason:)``.
  public static func write(_ entries: [BatchEntry], to path: String) throws(WeightFormatError) {
    try AtomicFileOutput.write(serialized(entries), to: path)
  }

  /// Joins shard manifests into one.
  ///
  /// - Parameters:
  ///   - manifests: each manifest's path (for messages) and entries.
  ///   - expected: the names of the whole set, if known: the result lists those no manifest
  ///     has and the inputs outside it.
  /// - Returns: every entry once, sorted by input.
  /// - Throws: ``BatchError/duplicateInput(name:first:second:)`` if an input appears twice.
  public static func merge(
    _ manifests: [(path: String, entries: [BatchEntry])], expected: [String]? = nil
  ) throws(BatchError) -> Merged {
    var seen: [String: String] = [:]
    var entries: [BatchEntry] = []
    for (path, list) in manifests {
      for entry in list {
        if let first = seen[entry.input] {
          throw .duplicateInput(name: entry.input, first: first, second: path)
        }
        seen[entry.input] = path
        entries.append(entry)
      }
    }
    let names = Set(expected ?? [])
    let missing = names.filter { seen[$0] == nil }
    let unexpected = expected == nil ? [] : seen.keys.filter { !names.contains($0) }
    return Merged(
      entries: sorted(entries), missing: missing.sorted(by: BatchInput.precedes),
      unexpected: unexpected.sorted(by: BatchInput.precedes))
  }
}
