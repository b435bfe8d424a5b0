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

/// Computes `body(i)` for every `i` in `0..<count`, on all cores, and returns the results in
/// index order.
public func parallelMap<T>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
  guard count > 1 else { return (0..<count).map(body) }
  let slots = DisjointSlots<T>(count: count)
  DispatchQueue.concurrentPerform(iterations: count) { i in (slots.base + i).initialize(to: body(i))
  }
  let results = Array(UnsafeBufferPointer(start: slots.base, count: count))
  slots.base.deinitialize(count: count)
  return results
}
