import Dispatch

/// The package's one parallel helper: loops whose iterations write disjoint output, so results
/// never depend on scheduling, thread count or completion order (ARCHITECTURE.md, invariants).
public enum DisjointWork {
  /// Runs `body(0) … body(count − 1)`, on up to `threads` threads when `threads` > 1.
  ///
  /// Each call must write output that no other call writes; results then do not depend on
  /// scheduling or on `threads`.
  public static func forEach(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    if threads <= 1 || count <= 1 {
      for k in 0..<count { body(k) }
    } else {
      DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
  }

  /// Splits 0 ..< n into min(parts, n) contiguous ranges of nearly equal length (one empty
  /// range when n = 0).
  public static func bands(_ n: Int, parts: Int) -> [Range<Int>] {
    let p = max(1, min(parts, n))
    return (0..<p).map { (n * $0 / p)..<(n * ($0 + 1) / p) }
  }

  /// Calls `body(rows)` for the ``bands(_:parts:)`` of 0 ..< `count`, on up to `threads`
  /// threads; each call must write only the output of its own rows.
  public static func forEachBand(
    _ count: Int, threads: Int, _ body: @Sendable (Range<Int>) -> Void
  ) {
    let parts = bands(count, parts: threads)
    forEach(parts.count, threads: threads) { body(parts[$0]) }
  }
}

/// A mutable buffer that concurrent workers write without synchronization.
///
/// Implementation note: `@unchecked Sendable` is sound only under the invariant its users keep:
/// every element is written by at most one worker, nothing reads it while workers run, and the
/// buffer outlives the parallel section (``DisjointWork`` returns after every worker has
/// finished).
public struct DisjointWrites<Element>: @unchecked Sendable {
  public let buffer: UnsafeMutableBufferPointer<Element>

  public init(buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }

  /// The address of element `offset` (nil for an empty buffer).
  @inlinable
  public func pointer(at offset: Int) -> UnsafeMutablePointer<Element>? {
    precondition(offset >= 0 && offset <= buffer.count, "offset within the buffer")
    return buffer.baseAddress.map { $0 + offset }
  }

  /// The address of the first element (the buffer is not empty).
  @inlinable
  public var base: UnsafeMutablePointer<Element> {
    guard let base = buffer.baseAddress else { preconditionFailure("an empty buffer") }
    return base
  }
}

/// A buffer that concurrent workers only read (valid for the whole parallel section): a
/// ``DisjointWrites`` that hands out read-only addresses.
public struct SharedReads<Element>: @unchecked Sendable {
  @usableFromInline
  let storage: DisjointWrites<Element>

  public init(buffer: UnsafeBufferPointer<Element>) {
    storage = DisjointWrites(buffer: UnsafeMutableBufferPointer(mutating: buffer))
  }

  /// The address of element `offset` (nil for an empty buffer).
  @inlinable
  public func pointer(at offset: Int = 0) -> UnsafePointer<Element>? {
    storage.pointer(at: offset).map { UnsafePointer($0) }
  }

  /// The address of the first element (the buffer is not empty).
  @inlinable
  public var base: UnsafePointer<Element> { UnsafePointer(storage.base) }
}

/// Work below which ``parallelMap(_:work:_:)`` stays on the calling thread: 8 MiB of hashing.
///
/// Implementation note: SHA-256 of 8 MiB takes a few milliseconds on one core, so below it the
/// pool saves at most that. Staying on the caller also keeps small loads free of worker-thread
/// allocations that outlive the call (libFuzzer counts those as a possible leak and runs
/// LeakSanitizer after every such input; docs/robustness.md, finding 5).
public let parallelWorkThreshold = 8 << 20

/// Computes `body(i)` for every `i` in `0..<count` and returns the results in index order, on all
/// cores when `work` (the bytes, or other units, the calls handle together) reaches
/// ``parallelWorkThreshold``, otherwise on the calling thread.
///
/// The results are the same either way: each is computed from its index alone.
public func parallelMap<T>(_ count: Int, work: Int, _ body: @Sendable (Int) -> T) -> [T] {
  guard count > 1, work >= parallelWorkThreshold else { return (0..<count).map(body) }
  return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
    let slots = DisjointWrites(buffer: buffer)
    DisjointWork.forEach(count, threads: count) { i in (slots.base + i).initialize(to: body(i)) }
    initialized = count
  }
}
