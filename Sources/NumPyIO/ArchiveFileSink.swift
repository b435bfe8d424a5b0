import CArchive
import Foundation
import WeightFormat

/// Connects a libarchive writer to an ``AtomicFileOutput`` and keeps the first write failure
/// (libarchive's C callback can only report -1).
final class ArchiveFileSink {
  let output: AtomicFileOutput
  var failure: (any Error)?

  init(_ output: AtomicFileOutput) { self.output = output }

  /// Opens writer `a` onto the output; the sink must outlive the writer.
  func open(_ a: OpaquePointer) -> Int32 {
    archive_write_open2(
      a, Unmanaged.passUnretained(self).toOpaque(), nil,
      { _, context, buffer, length in
        guard let context, let buffer else { return -1 }
        let sink = Unmanaged<ArchiveFileSink>.fromOpaque(context).takeUnretainedValue()
        do {
          try sink.output.write(UnsafeRawBufferPointer(start: buffer, count: length))
        } catch {
          sink.failure = error
          return -1
        }
        return length
      }, nil, nil)
  }

  /// Writes all of `data` as the current entry's contents, in chunks of at most 16 MiB.
  static func writeAll(_ a: OpaquePointer, _ data: Data, _ check: (Int32) throws -> Void) throws {
    try data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
      var offset = 0
      while offset < b.count {
        let n = archive_write_data(
          a, b.baseAddress.map { $0 + offset }, min(b.count - offset, 1 << 24))
        if n <= 0 { try check(n < 0 ? Int32(n) : ARCHIVE_FATAL) }
        offset += n
      }
    }
  }

  /// Writes an archive to `path` atomically: a libarchive writer over an ``AtomicFileOutput``,
  /// `setUp` choosing its format, `body` writing the entries; `check` turns a libarchive status
  /// (or a failure of the file) into an error.
  ///
  /// - Throws: ``ConverterError/outputFailed(path:reason:)`` or a ``WeightFormatError`` from the
  ///   output file.
  static func writeArchive(
    to path: String, setUp: (OpaquePointer, (Int32) throws -> Void) throws -> Void,
    body: (OpaquePointer, (Int32) throws -> Void) throws -> Void
  ) throws {
    let output = try AtomicFileOutput(path: path)
    let sink = ArchiveFileSink(output)
    guard let a = archive_write_new() else {
      throw ConverterError.outputFailed(
        path: path, reason: "libarchive could not allocate a writer")
    }
    defer { archive_write_free(a) }
    func check(_ status: Int32) throws {
      if let failure = sink.failure { throw failure }
      guard status >= ARCHIVE_OK else {
        throw ConverterError.outputFailed(path: path, reason: errorString(a))
      }
    }
    try setUp(a, check)
    try check(sink.open(a))
    try body(a, check)
    try check(archive_write_close(a))
    try output.commit()
  }
}
