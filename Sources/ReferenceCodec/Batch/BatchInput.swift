import Foundation
import WeightFormat

/// A picture of a batch: its name, which manifests record, sort and shard by, and the file to
/// read.
///
/// The name is the path relative to the batch's root with `/` separators (`city/0001.png`), so
/// shards run on machines that mount the data in different places agree on it.
public struct BatchInput: Sendable, Equatable {
  /// The path relative to the directory or list file the batch was given.
  public var name: String
  /// The file to read.
  public var path: String

  public init(name: String, path: String) {
    self.name = name
    self.path = path
  }

  /// Whether `path` names a list file (one picture per line): a file ending in `.txt`, `.list`
  /// or `.lst`.
  public static func isList(_ path: String) -> Bool {
    ["txt", "list", "lst"].contains((path as NSString).pathExtension.lowercased())
  }

  /// Whether `path` is a directory.
  public static func isDirectory(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      && isDirectory.boolValue
  }

  /// The pictures of a batch, sorted by name (UTF-8 byte order).
  ///
  /// - Parameters:
  ///   - root: a directory (every file below it whose extension is one of `extensions`, hidden
  ///     names skipped) or a list file (one path per line, relative to the list's folder; blank
  ///     lines and lines starting with `#` skipped).
  ///   - extensions: lower-case extensions without the dot.
  ///   - excluding: a directory below `root` to leave out (the output directory; nothing is left
  ///     out when it is `root` itself).
  /// - Returns: the pictures, sorted by name.
  /// - Throws: ``BatchError`` if `root` cannot be read, names no picture or names one twice.
  public static func resolve(_ root: String, extensions: [String], excluding: String? = nil)
    throws(BatchError) -> [BatchInput]
  {
    var inputs =
      isDirectory(root)
      ? scan(root, extensions: extensions, excluding: excluding) : try readList(root)
    guard !inputs.isEmpty else { throw .noInputs(path: root) }
    inputs.sort { precedes($0.name, $1.name) }
    for (a, b) in zip(inputs, inputs.dropFirst()) where a.name == b.name {
      throw .duplicateName(name: a.name)
    }
    return inputs
  }

  /// Whether `a` sorts before `b` in UTF-8 byte order (the manifests' order; Python's for
  /// `str`).
  public static func precedes(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
  }

  /// `name` with its extension replaced by `newExtension`.
  public static func outputName(_ name: String, extension newExtension: String) -> String {
    let ext = (name as NSString).pathExtension
    let stem = ext.isEmpty ? name : String(name.dropLast(ext.count + 1))
    return stem + "." + newExtension
  }

  static func scan(_ root: String, extensions: [String], excluding: String?) -> [BatchInput] {
    let base = URL(fileURLWithPath: root).standardizedFileURL.path
    // The output directory is left out when inside the root (not when it is the root itself).
    let skipped = excluding.map { URL(fileURLWithPath: $0).standardizedFileURL.path + "/" }
      .flatMap { $0 == base + "/" ? nil : $0 }
    var inputs: [BatchInput] = []
    for case let name as String in FileManager.default.enumerator(atPath: root) ?? .init() {
      let path = base + "/" + name
      guard extensions.contains((name as NSString).pathExtension.lowercased()),
        !name.split(separator: "/").contains(where: { $0.hasPrefix(".") }),
        !(skipped.map { path.hasPrefix($0) } ?? false), !isDirectory(path)
      else { continue }
      inputs.append(BatchInput(name: name, path: (root as NSString).appendingPathComponent(name)))
    }
    return inputs
  }

  static func readList(_ list: String) throws(BatchError) -> [BatchInput] {
    guard let data = FileManager.default.contents(atPath: list) else {
      throw .unreadable(path: list, reason: "cannot read the list")
    }
    let folder = (list as NSString).deletingLastPathComponent
    var inputs: [BatchInput] = []
    let lines = String(decoding: data, as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false)
    for (k, raw) in lines.enumerated() {
      let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
      guard !line.isEmpty, !line.hasPrefix("#") else { continue }
      let parts = line.split(separator: "/").filter { $0 != "." }
      guard !parts.isEmpty, !parts.contains("..") else {
        throw .badManifestLine(path: list, line: k + 1, reason: "\(line) leaves the list's folder")
      }
      let name = parts.joined(separator: "/")
      let path =
        line.hasPrefix("/")
        ? "/" + name : folder.isEmpty ? name : (folder as NSString).appendingPathComponent(name)
      inputs.append(BatchInput(name: name, path: path))
    }
    return inputs
  }
}
