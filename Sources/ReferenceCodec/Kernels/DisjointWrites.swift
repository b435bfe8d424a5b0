import Dispatch

/// A mutable buffer that concurrent workers write without synchronization.
///
/// Implementation note: `@unchecked Sendable` is sound only under the invariant its users keep:
/// every element is written by at most one worker, nothing reads it while workers run, and the
/// buffer outlives the parallel section (`DisjointWork.forEach` returns after every worker has
/// finished).
struct DisjointWrites<Element>: @unchecked Sendable {
  let buffer: UnsafeMutableBufferPointer<Element>

  /// The address of element `offset` (nil for an empty buffer).
  func pointer(at offset: Int) -> UnsafeMutablePointer<Element>? {
    precondition(offset >= 0 && offset <= buffer.count, "offset within the buffer")
    return buffer.baseAddress.map { $0 + offset }
  }
}

/// A buffer that concurrent workers only read (valid for the whole parallel section).
struct SharedReads<Element>: @unchecked Sendable {
  let buffer: UnsafeBufferPointer<Element>

  /// The address of element `offset` (nil for an empty buffer).
  func pointer(at offset: Int = 0) -> UnsafePointer<Element>? {
    precondition(offset >= 0 && offset <= buffer.count, "offset within the buffer")
    return buffer.baseAddress.map { $0 + offset }
  }
}

/// Parallel loops whose iterations write disjoint output.
enum DisjointWork {
  /// Runs `body(0) … body(count − 1)`, on up to `threads` threads when `threads` > 1.
  ///
  /// Each call must write output that no other call writes; results then do not depend on
  /// scheduling or on `threads`.
  static func forEach(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    if threads <= 1 || count <= 1 {
      for k in 0..<count { body(k) }
    } else {
      DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
  }

  /// Splits 0 ..< n into min(parts, n) contiguous ranges of nearly equal length (one empty
  /// range when n = 0).
  static func bands(_ n: Int, parts: Int) -> [Range<Int>] {
    let p = max(1, min(parts, n))
    return (0..<p).map { (n * $0 / p)..<(n * ($0 + 1) / p) }
  }
}
