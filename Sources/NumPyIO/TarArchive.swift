import CArchive
import Foundation
import WeightFormat

/// Reproducible POSIX ustar archives through libarchive: the same files give the same bytes on
/// every run and machine.
///
/// Entries are regular files only, sorted by path (UTF-8 byte order), with mtime 0, uid and gid 0,
/// empty owner names, mode 0644 and no extended (pax) headers; libarchive pads the archive to
/// 10240-byte blocks.
public enum TarArchive {
  /// The most entries and bytes `read(path:)` accepts.
  public static let maxEntries = 100_000
  public static let maxTotalBytes: Int64 = 1 << 32

  /// Writes `files` (path inside the archive → contents) to `path` atomically.
  ///
  /// - Throws: ``ConverterError/outputFailed(path:reason:)``, or a ``WeightFormatError`` from the
  ///   output file.
  public static func write(_ files: [String: Data], to path: String) throws {
    for name in files.keys {
      guard isSafe(name), name.utf8.count <= 100 else {
        throw ConverterError.outputFailed(
          path: path, reason: "archive member name \(name) is unsafe or longer than 100 bytes")
      }
    }
    try ArchiveFileSink.writeArchive(to: path) { a, check in
      try check(archive_write_set_format_ustar(a))
    } body: { a, check in
      try writeEntries(files, a, check, path: path)
    }
  }

  private static func writeEntries(
    _ files: [String: Data], _ a: OpaquePointer, _ check: (Int32) throws -> Void, path: String
  ) throws {
    for name in files.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    {
      let data = files[name] ?? Data()
      guard let entry = archive_entry_new() else {
        throw ConverterError.outputFailed(
          path: path, reason: "libarchive could not allocate an entry")
      }
      defer { archive_entry_free(entry) }
      archive_entry_set_pathname_utf8(entry, name)
      archive_entry_set_size(entry, Int64(data.count))
      archive_entry_set_filetype(entry, gic_ae_ifreg())
      archive_entry_set_perm(entry, 0o644)
      archive_entry_set_mtime(entry, 0, 0)
      archive_entry_set_uid(entry, 0)
      archive_entry_set_gid(entry, 0)
      try check(archive_write_header(a, entry))
      try ArchiveFileSink.writeAll(a, data, check)
    }
  }

  /// Reads every regular file of a tar archive (path → contents).
  ///
  /// - Throws: ``ConverterError/unreadableFile(path:reason:)`` for an unreadable or malformed
  ///   archive, a member that is not a regular file or directory, an unsafe or duplicate name,
  ///   more than ``maxEntries`` entries or ``maxTotalBytes`` bytes, or a member that declares
  ///   more bytes than the archive file holds (checked before its buffer is allocated).
  public static func read(path: String) throws -> [String: Data] {
    guard let a = archive_read_new() else {
      throw ConverterError.unreadableFile(
        path: path, reason: "libarchive could not allocate a reader")
    }
    defer { archive_read_free(a) }
    func fail(_ reason: String) -> ConverterError { .unreadableFile(path: path, reason: reason) }
    archive_read_support_format_tar(a)
    // Opened without blocking and checked to be a regular file of at most maxTotalBytes.
    let (fd, status): (Int32, SystemCalls.FileStatus)
    do { (fd, status) = try InputFiles.open(path, maxBytes: Int(maxTotalBytes)) } catch {
      if case .io(_, let reason) = error { throw fail(reason) }
      throw fail(error.description)
    }
    defer { SystemCalls.closeFile(fd) }
    guard archive_read_open_fd(a, fd, 1 << 16) == ARCHIVE_OK else {
      throw fail("not a readable tar archive: \(errorString(a))")
    }
    // Only uncompressed tar is read, so no member can be larger than the archive holding it;
    // checking that before a member's buffer is allocated means a header that lies about its
    // size costs nothing (without it, a 10 KiB archive could ask for 4 GiB).
    let archiveBytes = Int64(status.size)
    var files: [String: Data] = [:]
    var total: Int64 = 0
    var entries = 0
    var entry: OpaquePointer?
    while true {
      let status = archive_read_next_header(a, &entry)
      if status == ARCHIVE_EOF { break }
      guard status >= ARCHIVE_WARN, let entry else {
        throw fail("damaged archive after \(entries) entries: \(errorString(a))")
      }
      entries += 1
      guard entries <= maxEntries else { throw fail("more than \(maxEntries) entries") }
      guard let cName = archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry) else {
        throw fail("entry \(entries) has no name")
      }
      let name = String(cString: cName)
      let type = archive_entry_filetype(entry)
      if type == gic_ae_ifdir() { continue }
      guard type == gic_ae_ifreg() else { throw fail("\(name) is not a regular file") }
      guard isSafe(name) else { throw fail("unsafe member name \(name)") }
      guard files[name] == nil else { throw fail("duplicate member \(name)") }
      let size = archive_entry_size(entry)
      guard size <= archiveBytes else {
        throw fail("\(name) declares \(size) bytes, more than the whole archive (\(archiveBytes))")
      }
      total += max(size, 0)
      guard size >= 0, total <= maxTotalBytes else {
        throw fail("members larger than \(maxTotalBytes) bytes in all")
      }
      var data = Data(count: Int(size))
      let read = data.withUnsafeMutableBytes { b in
        archive_read_data(a, b.baseAddress, Int(size))
      }
      guard read == Int(size) else { throw fail("\(name) is truncated") }
      files[name] = data
    }
    return files
  }

  /// A relative path without empty, `.` or `..` components.
  static func isSafe(_ name: String) -> Bool {
    let parts = name.split(separator: "/", omittingEmptySubsequences: false)
    return !name.isEmpty && !name.hasPrefix("/")
      && parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
  }
}
