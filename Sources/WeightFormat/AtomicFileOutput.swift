/// An output file that appears at its final path only when complete.
///
/// Bytes go to a temporary file in the destination's directory (`.<name>.tmp-<pid>-<n>`, created
/// exclusively); ``commit()`` flushes it and renames it over the destination, which is atomic on
/// POSIX file systems. If the output is discarded or never committed, the temporary file is
/// removed, so a failure never leaves a partial file and never touches an existing one.
public final class AtomicFileOutput {
  /// The final path.
  public let path: String
  private let temporaryPath: String
  private var fd: Int32
  private var committed = false

  /// Writes `bytes` as the whole file at `path`: all of them, or on failure nothing.
  ///
  /// - Throws: ``WeightFormatError/io(path:reason:)``.
  public static func write(_ bytes: [UInt8], to path: String) throws(WeightFormatError) {
    let output = try AtomicFileOutput(path: path)
    try output.write(bytes)
    try output.commit()
  }

  /// Creates the temporary file next to `path`.
  ///
  /// - Throws: ``WeightFormatError/io(path:reason:)`` if the directory is not writable.
  public init(path: String) throws(WeightFormatError) {
    self.path = path
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[...$0]) } ?? ""
    let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
    guard !base.isEmpty else { throw .io(path: path, reason: "output path names a directory") }
    var attempt = 0
    while true {
      let candidate = "\(directory).\(base).tmp-\(SystemCalls.processID)-\(attempt)"
      let fd = SystemCalls.openFile(candidate, .createNew)
      if fd >= 0 {
        self.fd = fd
        self.temporaryPath = candidate
        return
      }
      if !SystemCalls.lastErrorIsAlreadyExists || attempt > 1000 {
        throw .io(path: path, reason: "cannot create output file: \(systemErrorMessage())")
      }
      attempt += 1
    }
  }

  deinit {
    if !committed {
      if fd >= 0 { SystemCalls.closeFile(fd) }
      SystemCalls.removeFile(temporaryPath)
    }
  }

  /// Appends bytes to the file.
  public func write(_ bytes: UnsafeRawBufferPointer) throws(WeightFormatError) {
    guard var p = bytes.baseAddress else { return }
    var left = bytes.count
    while left > 0 {
      let n = SystemCalls.writeFile(fd, p, min(left, 1 << 30))
      if n < 0 {
        throw .io(path: path, reason: "write failed: \(systemErrorMessage())")
      }
      p += n
      left -= n
    }
  }

  /// Appends bytes to the file.
  public func write(_ bytes: [UInt8]) throws(WeightFormatError) {
    var outcome: Result<Void, WeightFormatError> = .success(())
    bytes.withUnsafeBytes { b in outcome = Result { () throws(WeightFormatError) in try write(b) } }
    try outcome.get()
  }

  /// Writes bytes at an absolute offset, leaving the append position alone.
  public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(WeightFormatError) {
    guard var p = bytes.baseAddress else { return }
    var left = bytes.count
    var position = offset
    while left > 0 {
      let n = SystemCalls.writeFile(fd, p, min(left, 1 << 30), at: position)
      if n < 0 {
        throw .io(path: path, reason: "write failed: \(systemErrorMessage())")
      }
      p += n
      left -= n
      position += UInt64(n)
    }
  }

  /// Sets the file's length; bytes never written read as zero.
  public func setLength(_ length: UInt64) throws(WeightFormatError) {
    if SystemCalls.setLength(fd, length) != 0 {
      throw .io(path: path, reason: "cannot size output file: \(systemErrorMessage())")
    }
  }

  /// Flushes the file to storage and renames it to its final path.
  public func commit() throws(WeightFormatError) {
    guard !committed else { return }
    if SystemCalls.synchronize(fd) != 0 {
      throw .io(path: path, reason: "fsync failed: \(systemErrorMessage())")
    }
    let rc = SystemCalls.closeFile(fd)
    fd = -1
    if rc != 0 { throw .io(path: path, reason: "close failed: \(systemErrorMessage())") }
    if SystemCalls.renameFile(temporaryPath, path) != 0 {
      throw .io(path: path, reason: "cannot rename output into place: \(systemErrorMessage())")
    }
    committed = true
  }
}

/// The C library's message for the current `errno`.
func systemErrorMessage() -> String { SystemCalls.errorMessage }
