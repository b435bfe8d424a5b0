import Foundation
import WeightFormat

/// The files of a conformance set held in a directory, read as `gic-ref verify` reads them.
///
/// A manifest comes from a stranger, so a name it gives must stay inside the set: names are
/// relative paths without `.` or `..` parts, every symbolic link is resolved and the result must
/// lie under the set directory (otherwise a manifest could test whether a file elsewhere has a
/// given SHA-256), files must be regular (never a FIFO that would block), and sizes are checked
/// from `stat` before reading: `manifest.json` at most ``ConformanceManifest/maxBytes``, any
/// other file at most ``maxFileBytes``.
public struct ConformanceSetDirectory: Sendable {
  /// The largest model or bitstream read: 4 GiB.
  public static let maxFileBytes = 1 << 32

  /// The directory, every link resolved.
  public let root: String

  /// - Throws: ``ConformanceError/missingFile(path:)`` if the directory cannot be resolved.
  public init(_ directory: String) throws(ConformanceError) {
    guard let root = SystemCalls.canonicalPath(directory) else {
      throw .missingFile(path: directory)
    }
    self.root = root
  }

  /// Whether `name` is a relative path without empty, `.` or `..` parts.
  public static func isSafeName(_ name: String) -> Bool {
    let parts = name.split(separator: "/", omittingEmptySubsequences: false)
    return !name.isEmpty && !name.hasPrefix("/")
      && parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
  }

  /// The bytes of the set's file `name`.
  ///
  /// - Throws: ``ConformanceError/missingFile(path:)`` for an unsafe or absent name,
  ///   ``ConformanceError/outsideSet(path:)`` for one that leads out of the set, or
  ///   ``WeightFormatError/io(path:reason:)`` (not a regular file, too large, unreadable).
  public func read(_ name: String) throws -> Data {
    guard Self.isSafeName(name), let resolved = SystemCalls.canonicalPath(root + "/" + name)
    else { throw ConformanceError.missingFile(path: name) }
    guard resolved.hasPrefix(root == "/" ? "/" : root + "/") else {
      throw ConformanceError.outsideSet(path: name)
    }
    let limit = name == "manifest.json" ? ConformanceManifest.maxBytes : Self.maxFileBytes
    do { return try InputFiles.read(resolved, maxBytes: limit) } catch {
      if case .io(_, let reason) = error { throw WeightFormatError.io(path: name, reason: reason) }
      throw error
    }
  }
}
