import Foundation

/// How the tools open what they read: never blocking, regular files only, sizes checked before
/// reading, and every input remembered so that no output replaces it (docs/robustness.md §5).
///
/// A FIFO with no writer would block `open` forever and a device can be endless, so files are
/// opened with `O_NONBLOCK` and refused unless `fstat` says they are regular; a file larger than
/// the caller's limit is refused from its `stat` size, before a byte is read. In a command-line
/// tool (``protectInputs()``, called by CLISupport's `runAsTool`), every file opened here is
/// recorded by device and inode, and ``AtomicFileOutput`` refuses to replace one
/// (`gic-ref encode a.png -o a.png` would otherwise destroy its input); a long-running program
/// using the libraries may legitimately rewrite what it read earlier, so it is off by default.
public enum InputFiles {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var inputs: Set<Identity> = []
  nonisolated(unsafe) private static var protecting = false

  /// From now on, remember every input so that no output of this process replaces it.
  public static func protectInputs() { lock.withLock { protecting = true } }

  struct Identity: Hashable {
    var device: UInt64
    var inode: UInt64
  }

  /// Opens a regular file for reading and records it as an input.
  ///
  /// - Parameters:
  ///   - path: the file.
  ///   - maxBytes: the largest size accepted.
  /// - Returns: the descriptor (the caller closes it) and the file's status.
  /// - Throws: ``WeightFormatError/io(path:reason:)`` in the project's words.
  public static func open(_ path: String, maxBytes: Int = .max) throws(WeightFormatError) -> (
    descriptor: Int32, status: SystemCalls.FileStatus
  ) {
    let fd = SystemCalls.openFile(path, .read)
    guard fd >= 0 else {
      throw .io(path: path, reason: "cannot open: \(SystemCalls.errorMessage)")
    }
    guard let status = SystemCalls.fileStatus(fd) else {
      SystemCalls.closeFile(fd)
      throw .io(path: path, reason: "cannot stat: \(SystemCalls.errorMessage)")
    }
    guard status.kind == .regular else {
      SystemCalls.closeFile(fd)
      throw .io(path: path, reason: "is \(status.kind.rawValue), not a regular file")
    }
    guard status.size <= maxBytes else {
      SystemCalls.closeFile(fd)
      throw .io(
        path: path, reason: "is \(status.size) bytes, more than the limit of \(maxBytes)")
    }
    lock.withLock {
      if protecting { inputs.insert(Identity(device: status.device, inode: status.inode)) }
    }
    return (fd, status)
  }

  /// The whole file, read after its size is checked.
  ///
  /// - Throws: ``WeightFormatError/io(path:reason:)``.
  public static func read(_ path: String, maxBytes: Int = .max) throws(WeightFormatError) -> Data {
    let (fd, status) = try open(path, maxBytes: maxBytes)
    defer { SystemCalls.closeFile(fd) }
    var data = Data(count: status.size)
    var done = 0
    var failed = false
    data.withUnsafeMutableBytes { b in
      while done < b.count {
        let n = SystemCalls.readFile(fd, b.baseAddress.map { $0 + done }, b.count - done)
        if n < 0 { failed = true }
        if n <= 0 { break }
        done += n
      }
    }
    if failed { throw .io(path: path, reason: "read failed: \(SystemCalls.errorMessage)") }
    // A file that shrank while it was read is read as it now is.
    return done == data.count ? data : data.prefix(done)
  }

  /// The file mapped into memory, after the checks of ``open(_:maxBytes:)``.
  ///
  /// - Throws: ``WeightFormatError/io(path:reason:)``.
  public static func map(_ path: String, maxBytes: Int = .max) throws(WeightFormatError) -> Data {
    let (fd, _) = try open(path, maxBytes: maxBytes)
    SystemCalls.closeFile(fd)
    do { return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
      throw .io(path: path, reason: "cannot read: \(readableIOReason(error))")
    }
  }

  /// Whether `status` is a file this process has opened as an input.
  public static func isInput(_ status: SystemCalls.FileStatus) -> Bool {
    lock.withLock { inputs.contains(Identity(device: status.device, inode: status.inode)) }
  }
}
