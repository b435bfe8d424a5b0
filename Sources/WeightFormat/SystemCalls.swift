import CCleanup

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
    /// Read only, without blocking: a FIFO with no writer opens at once (and is then refused
    /// for not being a regular file) instead of hanging. The corresponding C flags are
    /// `O_RDONLY | O_NONBLOCK | O_CLOEXEC`.
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
    case .read: open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    case .createNew: open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    }
  }

  /// Closes a descriptor.
  ///
  /// 0 or −1. The corresponding C function is `close`.
  @discardableResult
  public static func closeFile(_ fd: Int32) -> Int32 { close(fd) }

  /// What `stat` says about a file: its kind, size, identity and permission bits.
  public struct FileStatus: Sendable, Hashable {
    public enum Kind: String, Sendable {
      case regular = "a regular file"
      case directory = "a directory"
      case fifo = "a FIFO (named pipe)"
      case socket = "a socket"
      case characterDevice = "a character device"
      case blockDevice = "a block device"
      case symbolicLink = "a symbolic link"
      case other = "not a regular file"
    }
    public var kind: Kind
    public var size: Int
    public var device: UInt64
    public var inode: UInt64
    /// The permission bits (mode & 0o7777).
    public var permissions: UInt32

    // Implementation note: the field types differ. `st_mode` is `mode_t`, UInt32 on Glibc and
    // Musl but UInt16 on Darwin, and the `S_IF*` constants come as `mode_t` (Glibc's and
    // Darwin's overlays) or as plain `Int32` macros; `st_dev` is UInt64 on Glibc but a signed
    // Int32 on Darwin. Everything is widened to UInt32/UInt64 by bit pattern, so no conversion
    // can trap and one `switch` serves every C library.
    init(_ info: stat) {
      let mode = UInt32(truncatingIfNeeded: info.st_mode)
      kind =
        switch mode & Self.bits(S_IFMT) {
        case Self.bits(S_IFREG): .regular
        case Self.bits(S_IFDIR): .directory
        case Self.bits(S_IFIFO): .fifo
        case Self.bits(S_IFSOCK): .socket
        case Self.bits(S_IFCHR): .characterDevice
        case Self.bits(S_IFBLK): .blockDevice
        case Self.bits(S_IFLNK): .symbolicLink
        default: .other
        }
      size = Int(info.st_size)
      device = UInt64(truncatingIfNeeded: info.st_dev)
      inode = UInt64(truncatingIfNeeded: info.st_ino)
      permissions = mode & 0o7777
    }

    private static func bits<T: BinaryInteger>(_ constant: T) -> UInt32 {
      UInt32(truncatingIfNeeded: constant)
    }
  }

  /// The status of an open descriptor.
  ///
  /// Nil if `fstat` fails. The corresponding C function is `fstat`.
  public static func fileStatus(_ fd: Int32) -> FileStatus? {
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    return FileStatus(info)
  }

  /// The status of the file at `path`.
  ///
  /// Follows symbolic links (`stat`) or not (`lstat`); nil if there is no file or it cannot be
  /// read. The corresponding C functions are `stat`, `lstat`.
  public static func fileStatus(path: String, followingLinks: Bool = true) -> FileStatus? {
    var info = stat()
    guard (followingLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
    return FileStatus(info)
  }

  /// Sets a file's permission bits.
  ///
  /// 0 or −1. The corresponding C function is `fchmod`.
  public static func setPermissions(_ fd: Int32, _ permissions: UInt32) -> Int32 {
    fchmod(fd, mode_t(permissions))
  }

  /// The canonical absolute path of an existing file, every symbolic link resolved.
  ///
  /// Nil if it cannot be resolved. The corresponding C function is `realpath`.
  public static func canonicalPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
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

  /// Ends the process at once with `status`, as the tools' last step.
  ///
  /// The corresponding C function is `exit` (atexit handlers run, standard streams are
  /// flushed).
  public static func exitProcess(_ status: Int32) -> Never { exit(status) }

  /// Lets the allocator reuse freed memory instead of mapping fresh pages.
  ///
  /// Blocks up to 32 MiB come from the heap (not each from its own mapping, unmapped when freed),
  /// and free memory at the top of the heap is kept up to 512 MiB. A tool calls it once, first:
  /// layer outputs (tens of MiB, one per layer) then reuse pages already faulted in. The heap's
  /// high-water mark may then exceed the largest live set (fragmentation): `gic-ref encode` calls
  /// it. Glibc only; elsewhere nothing changes.
  ///
  /// The corresponding C function is `mallopt` (`M_MMAP_THRESHOLD`, `M_TRIM_THRESHOLD`), called
  /// from CCleanup's `gic_reuse_freed_memory` (Swift's Glibc module lacks `malloc.h`).
  public static func reuseFreedMemory() { gic_reuse_freed_memory() }

  /// The real user id of the process (0 for root, who may write anywhere).
  ///
  /// The corresponding C function is `getuid`.
  public static var userID: UInt32 { UInt32(getuid()) }

  /// Creates a FIFO (named pipe), for the tests of inputs and outputs that must not block.
  ///
  /// 0 or −1. The corresponding C function is `mkfifo`.
  public static func makeFIFO(_ path: String, permissions: UInt32 = 0o644) -> Int32 {
    mkfifo(path, mode_t(permissions))
  }

  /// The signals gic's tools clean up after (CCleanup) and its tests send.
  public enum Signal: Sendable, CaseIterable {
    /// `SIGINT` (Control-C).
    case interrupt
    /// `SIGTERM`.
    case terminate
    /// `SIGHUP` (the terminal went away).
    case hangup

    /// The signal's number, as `Process.terminationStatus` reports it after the signal ended a
    /// child.
    public var number: Int32 {
      switch self {
      case .interrupt: SIGINT
      case .terminate: SIGTERM
      case .hangup: SIGHUP
      }
    }
  }

  /// Sends `signal` to the process `pid`.
  ///
  /// 0 or −1. The corresponding C function is `kill`.
  @discardableResult
  public static func sendSignal(_ signal: Signal, to pid: Int32) -> Int32 {
    kill(pid, signal.number)
  }
}
