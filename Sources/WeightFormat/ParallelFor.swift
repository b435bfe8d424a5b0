import Dispatch

/// Slots that several workers fill at disjoint indexes.
///
/// Invariant: each index is written by exactly one worker, and the slots are read only after all
/// workers have finished, so results never depend on completion order.
final class DisjointSlots<T>: @unchecked Sendable {
  let base: UnsafeMutablePointer<T>
  let count: Int
  init(count: Int) {
    self.count = count
    base = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
  }
  deinit { base.deallocate() }
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
  let slots = DisjointSlots<T>(count: count)
  DispatchQueue.concurrentPerform(iterations: count) { i in (slots.base + i).initialize(to: body(i))
  }
  let results = Array(UnsafeBufferPointer(start: slots.base, count: count))
  slots.base.deinitialize(count: count)
  return results
}
