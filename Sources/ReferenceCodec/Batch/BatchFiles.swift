import Foundation
import WeightFormat

/// The file reads and directory creation of a batch, with messages that name the file.
enum BatchFiles {
  /// The bytes of the file at `path`.
  ///
  /// - Throws: ``WeightFormatError/io(path:reason:)``.
  static func read(_ path: String) throws(WeightFormatError) -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .io(path: path, reason: "cannot read file")
    }
    return data
  }

  /// Creates the directory that will hold `path`, and those above it.
  ///
  /// - Throws: ``WeightFormatError/io(path:reason:)``.
  static func createDirectory(forFile path: String) throws(WeightFormatError) {
    let directory = (path as NSString).deletingLastPathComponent
    guard !directory.isEmpty, !BatchInput.isDirectory(directory) else { return }
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
    } catch { throw .io(path: directory, reason: "cannot create directory") }
  }
}
