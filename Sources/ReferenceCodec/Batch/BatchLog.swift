import Foundation
import WeightFormat

/// The shared state of a running batch: which picture comes next, the entries so far, and the
/// manifest file each finished picture is appended to (so a killed run keeps what it did).
///
/// Implementation note: `@unchecked Sendable` is sound because every access to the mutable
/// state holds `lock`.
final class BatchLog: @unchecked Sendable {
  private let lock = NSLock()
  private let file: FileHandle
  private let progress: @Sendable (Int, Int) -> Void
  private var upcoming = 0
  private var done = 0
  private(set) var entries: [BatchEntry?]
  private(set) var skipped = 0

  /// Opens the manifest at `path` (it exists) for appending.
  ///
  /// - Throws: ``WeightFormatError/io(path:reason:)``.
  init(path: String, total: Int, progress: @escaping @Sendable (Int, Int) -> Void)
    throws(WeightFormatError)
  {
    guard let file = FileHandle(forWritingAtPath: path) else {
      throw .io(path: path, reason: "cannot open the manifest for appending")
    }
    file.seekToEndOfFile()
    self.file = file
    self.progress = progress
    entries = Array(repeating: nil, count: total)
  }

  deinit { try? file.close() }

  /// The index of the next picture to code, or nil when every picture has been handed out.
  func next() -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard upcoming < entries.count else { return nil }
    upcoming += 1
    return upcoming - 1
  }

  /// Records picture `k`'s entry; a coded one (not a skipped one) is appended to the manifest.
  func finish(_ k: Int, _ entry: BatchEntry, skipped: Bool) {
    lock.lock()
    defer { lock.unlock() }
    entries[k] = entry
    if skipped { self.skipped += 1 } else { try? file.write(contentsOf: entry.line()) }
    done += 1
    progress(done, entries.count)
  }
}
