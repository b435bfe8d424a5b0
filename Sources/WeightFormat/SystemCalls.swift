#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("gic needs a POSIX C library (Glibc, Musl or Darwin)")
#endif

/// The package's only calls into the C library, in the manner of swift-system: every other file
/// is platform-independent Swift and calls these.
///
/// Each wrapper names the C function it calls; results and `errno` keep the C meaning (a
/// negative return is a failure, ``errorNumber`` says why). Calls that an interrupting signal
/// can cut short are retried on `EINTR` here, once for the package.
public enum SystemCalls {
  /// Flags of ``openFile(_:_:)``.
  public enum OpenMode: Sendable {
    /// Read only. The corresponding C flags are `O_RDONLY | O_CLOEXEC`.
    case read
    /// Create a new file for writing, failing if it exists, mode 0644. The corresponding C flags
    /// are `O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC`.
    case createNew
  }

  /// Opens a file.
  ///
  /// A descriptor ≥ 0, or −1. The corresponding C function is `open`.
  public static func openFile(_ path: String, _ mode: OpenMode) -> Int32 {
    switch mode {
    case .read: open(path, O_RDONLY | O_CLOEXEC)
    case .createNew: open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    }
  }

  /// Closes a descriptor.
  ///
  /// 0 or −1. The corresponding C function is `close`.
  @discardableResult
  public static func closeFile(_ fd: Int32) -> Int32 { close(fd) }

  /// Whether `fd` is a regular file, and its size.
  ///
  /// Nil if `fstat` fails. The corresponding C function is `fstat`.
  public static func status(_ fd: Int32) -> (isRegularFile: Bool, size: Int)? {
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    return ((info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size))
  }

  /// Reads up to `count` bytes at the file position.
  ///
  /// Bytes read (0 at the end) or −1. Retries on `EINTR`. The corresponding C function is `read`.
  public static func readFile(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int)
    -> Int
  {
    while true {
      let n = read(fd, buffer, count)
      if n < 0 && errno == EINTR { continue }
      return n
    }
  }

  /// Reads up to `count` bytes at `offset`.
  ///
  /// Bytes read (0 at the end) or −1. Retries on `EINTR`. The corresponding C function is `pread`.
  public static func readFile(
    _ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, at offset: Int
  ) -> Int {
    while true {
      let n = pread(fd, buffer, count, off_t(offset))
      if n < 0 && errno == EINTR { continue }
      return n
    }
  }

  /// Writes up to `count` bytes at the file position.
  ///
  /// Bytes written or −1. Retries on `EINTR`. The corresponding C function is `write`.
  public static func writeFile(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    while true {
      let n = write(fd, buffer, count)
      if n < 0 && errno == EINTR { continue }
      return n
    }
  }

  /// Writes up to `count` bytes at `offset`.
  ///
  /// Bytes written or −1. Retries on `EINTR`. The corresponding C function is `pwrite`.
  public static func writeFile(
    _ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, at offset: UInt64
  ) -> Int {
    while true {
      let n = pwrite(fd, buffer, count, off_t(offset))
      if n < 0 && errno == EINTR { continue }
      return n
    }
  }

  /// Sets a file's length.
  ///
  /// 0 or −1. The corresponding C function is `ftruncate`.
  public static func setLength(_ fd: Int32, _ length: UInt64) -> Int32 {
    ftruncate(fd, off_t(length))
  }

  /// Flushes a file to storage.
  ///
  /// 0 or −1. The corresponding C function is `fsync`.
  public static func synchronize(_ fd: Int32) -> Int32 { fsync(fd) }

  /// Renames a file.
  ///
  /// 0 or −1. The corresponding C function is `rename`.
  public static func renameFile(_ from: String, _ to: String) -> Int32 { rename(from, to) }

  /// Removes a file.
  ///
  /// 0 or −1. The corresponding C function is `unlink`.
  @discardableResult
  public static func removeFile(_ path: String) -> Int32 { unlink(path) }

  /// The process id.
  ///
  /// The corresponding C function is `getpid`.
  public static var processID: Int32 { getpid() }

  /// The calling thread's `errno`.
  public static var errorNumber: Int32 { errno }

  /// Whether the last failure was `EEXIST` (the file exists).
  public static var lastErrorIsAlreadyExists: Bool { errno == EEXIST }

  /// The C library's message for the current `errno`.
  ///
  /// The corresponding C function is `strerror`.
  public static var errorMessage: String { String(cString: strerror(errno)) }

  /// The C library's message for the error number `code`.
  ///
  /// The corresponding C function is `strerror`.
  public static func errorMessage(for code: Int32) -> String { String(cString: strerror(code)) }

  /// Whether `fd` is a terminal.
  ///
  /// The corresponding C function is `isatty`.
  public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }
}
