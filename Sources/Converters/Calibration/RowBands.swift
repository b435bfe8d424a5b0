import Dispatch

/// A float buffer that concurrent workers read and write without synchronization.
///
/// Implementation note: `@unchecked Sendable` is sound only under the invariant its users keep:
/// every element is written by at most one worker, nothing reads an element that another worker
/// writes, and the buffer outlives the parallel section (`RowBands.forEach` returns after every
/// worker has finished).
struct SharedFloats: @unchecked Sendable {
  let base: UnsafeMutablePointer<Float>
}

/// A float buffer that concurrent workers only read (valid for the whole parallel section).
struct ReadOnlyFloats: @unchecked Sendable {
  let base: UnsafePointer<Float>
}

/// Parallel loops over contiguous bands of output rows.
enum RowBands {
  /// Calls `body(rows)` for contiguous bands that cover 0 ..< `count`, on up to `threads`
  /// threads when `threads` > 1.
  ///
  /// Each call must write only the output of its own rows, in an order that does not depend on
  /// the band; results then do not depend on `threads` or on scheduling.
  static func forEach(_ count: Int, threads: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let parts = max(1, min(threads, count))
    if parts == 1 {
      body(0..<count)
    } else {
      DispatchQueue.concurrentPerform(iterations: parts) { p in
        body((count * p / parts)..<(count * (p + 1) / parts))
      }
    }
  }
}
