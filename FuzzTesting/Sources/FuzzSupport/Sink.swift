/// A place to put results so that the optimiser cannot drop the work that made them.
///
/// Each fuzz target folds a few bytes of what it decoded into ``Sink/value``; nothing reads it.
/// Implementation note: libFuzzer calls the entry point from one thread, so the unchecked global
/// is never raced.
public enum Sink {
  nonisolated(unsafe) public static var value: UInt8 = 0

  /// Folds `bytes`' first, middle and last byte and its count into the sink.
  @inline(never)
  public static func consume<C: Collection>(_ bytes: C) where C.Element == UInt8 {
    var v = UInt8(truncatingIfNeeded: bytes.count)
    if let first = bytes.first { v ^= first }
    if !bytes.isEmpty {
      v ^= bytes[bytes.index(bytes.startIndex, offsetBy: bytes.count / 2)]
    }
    value ^= v
  }

  /// Folds an integer into the sink.
  @inline(never)
  public static func consume(_ n: Int) {
    value ^= UInt8(truncatingIfNeeded: n ^ (n >> 8))
  }
}

/// Stops the process with a message when a property the fuzz target checks does not hold.
///
/// libFuzzer reports the abort as a crash and keeps the input.
public func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
  if !condition { fatalError("fuzz property failed: \(message())") }
}

/// The number of elements of an array of `shape`: 0 when a dimension is 0 (whatever the others),
/// `nil` when the product overflows `Int`.
///
/// Implementation note: a checker must not trap where the code under test is allowed to succeed;
/// `(0, 2^40, 2^40)` is a valid empty shape whose naive product overflows.
public func elementCount(_ shape: [Int]) -> Int? {
  if shape.contains(0) { return 0 }
  var n = 1
  for d in shape {
    let (p, overflow) = n.multipliedReportingOverflow(by: d)
    if overflow || d < 0 { return nil }
    n = p
  }
  return n
}
