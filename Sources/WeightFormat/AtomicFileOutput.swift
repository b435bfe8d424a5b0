import CCleanup

/// An output file that appears at its final path only when complete.
///
/// Bytes go to a temporary file in the destination's directory (`.<name>.tmp-<pid>-<n>`, the
/// name shortened to fit 255 bytes, created exclusively); ``commit()`` flushes it, gives it the
/// permission bits of the file it replaces, and renames it over the destination, which is atomic
/// on POSIX file systems. If the output is discarded or never committed, the temporary file is
/// removed — also when SIGINT, SIGTERM or SIGHUP ends the process (CCleanup's handler; SIGKILL
/// cannot be caught, so a temporary file can survive it, never a partial final file) — so a
/// failure never leaves a partial file and never touches an existing one.
///
/// Refused before anything is created: a destination that exists and is not a regular file (a
/// device such as `/dev/null`, a FIFO, a socket, a directory: renaming over it would replace it),
/// and one that is an input of this process (``InputFiles``), such as
/// `gic-ref encode a.png -o a.png`.
public final class AtomicFileOutput {
  /// The final path.
  public let path: String
  private let temporaryPath: String
  private var fd: Int32
  private var committed = false
  /// The permission bits of the file replaced, nil for a new file.
  private let replacedPermissions: UInt32?
  /// The signal-cleanup slot of the temporary file (−1: none).
  private var cleanupSlot: Int32 = -1

  /// Removes temporary outputs when SIGINT, SIGTERM or SIGHUP ends the process.
  ///
  /// Installs the handlers and unblocks the signals on the calling thread (call it on the main
  /// thread before starting others). Outputs register themselves either way; this makes sure the signals are
  /// delivered when the process was started with them blocked.
  public static func removeTemporaryFilesOnSignals() { gic_cleanup_install() }

  /// The longest file name most file systems accept (NAME_MAX).
  static let maxNameBytes = 255

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
    replacedPermissions = try Self.checkDestination(path)
    var attempt = 0
    while true {
      let candidate = directory + Self.temporaryName(base, attempt: attempt)
      // Registered before it exists, so that no signal can come between its creation and its
      // registration (a name carrying this process id is this process's to remove).
      let slot = gic_cleanup_register(candidate)
      let fd = SystemCalls.openFile(candidate, .createNew)
      if fd >= 0 {
        self.fd = fd
        self.temporaryPath = candidate
        cleanupSlot = slot
        return
      }
      gic_cleanup_unregister(slot)
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
      gic_cleanup_unregister(cleanupSlot)
    }
  }

  /// The permission bits of an existing regular file at `path` (nil if there is none).
  ///
  /// - Throws: ``WeightFormatError/io(path:reason:)`` for a destination that is not a regular
  ///   file, or that this process reads as an input.
  static func checkDestination(_ path: String) throws(WeightFormatError) -> UInt32? {
    guard let existing = SystemCalls.fileStatus(path: path) else { return nil }
    guard existing.kind == .regular else {
      throw .io(
        path: path, reason: "is \(existing.kind.rawValue); gic writes only regular files")
    }
    guard !InputFiles.isInput(existing) else {
      throw .io(
        path: path,
        reason: "is also an input of this command; writing it would destroy the input")
    }
    return existing.permissions
  }

  /// `.<base>.tmp-<pid>-<attempt>`, with `base` shortened (at a character boundary) so that the
  /// name fits ``maxNameBytes``.
  static func temporaryName(_ base: String, attempt: Int) -> String {
    let suffix = ".tmp-\(SystemCalls.processID)-\(attempt)"
    var kept = Substring(base)
    while 1 + kept.utf8.count + suffix.utf8.count > maxNameBytes, !kept.isEmpty {
      kept = kept.dropLast()
    }
    return "." + kept + suffix
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
    if let replacedPermissions, SystemCalls.setPermissions(fd, replacedPermissions) != 0 {
      throw .io(path: path, reason: "cannot keep the file's mode: \(systemErrorMessage())")
    }
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
    gic_cleanup_unregister(cleanupSlot)
  }
}

/// The C library's message for the current `errno`.
func systemErrorMessage() -> String { SystemCalls.errorMessage }
