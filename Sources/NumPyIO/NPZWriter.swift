import CArchive
import Foundation
import WeightFormat

/// Writes a `.npz` archive (stored, uncompressed members) through libarchive's zip writer.
///
/// The archive is written to a temporary file and renamed into place when complete.
public struct NPZWriter {
  private var members: [(name: String, dtype: DType, shape: [Int], data: Data)] = []

  public init() {}

  /// Adds an array under `name` (the member is `name.npy`); `data` is little-endian, C order.
  public mutating func add(name: String, dtype: DType, shape: [Int], data: Data) {
    members.append((name, dtype, shape, data))
  }

  /// Writes the archive to `path` atomically.
  ///
  /// - Throws: ``ConverterError/outputFailed(path:reason:)`` or a ``WeightFormatError/io(path:reason:)``.
  public func write(to path: String) throws {
    try ArchiveFileSink.writeArchive(to: path) { a, check in
      try check(archive_write_set_format_zip(a))
      try check(archive_write_set_options(a, "zip:compression=store"))
      // Write immediately rather than in 10 KiB blocks; the zip format needs no padding.
      try check(archive_write_set_bytes_per_block(a, 0))
    } body: { a, check in
      try writeMembers(a, check, path: path)
    }
  }

  private func writeMembers(_ a: OpaquePointer, _ check: (Int32) throws -> Void, path: String)
    throws
  {
    for m in members {
      guard let entry = archive_entry_new() else {
        throw ConverterError.outputFailed(
          path: path, reason: "libarchive could not allocate an entry")
      }
      defer { archive_entry_free(entry) }
      let header = NPYWriter.header(dtype: m.dtype, shape: m.shape)
      archive_entry_set_pathname_utf8(entry, m.name + ".npy")
      archive_entry_set_size(entry, Int64(header.count + m.data.count))
      archive_entry_set_filetype(entry, gic_ae_ifreg())
      archive_entry_set_perm(entry, 0o644)
      archive_entry_set_mtime(entry, 315_532_800, 0)  // 1980-01-01, as NumPy writes
      try check(archive_write_header(a, entry))
      try ArchiveFileSink.writeAll(a, header.withUnsafeBytes { Data($0) }, check)
      try ArchiveFileSink.writeAll(a, m.data, check)
    }
  }
}
