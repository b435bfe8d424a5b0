import Testing

/// `body` must throw an error that `matching` accepts.
///
/// The same check as Swift Testing's
/// `#expect(performing:throws:)`, as a function: that macro's closures crashed Swift 6.0.3's type
/// checker on arm64 (scripts/cross-check.sh, docs/cross-platform.md).
public func expectThrows(
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void,
  matching: (any Error) -> Bool
) {
  do {
    try body()
    Issue.record("expected an error, none was thrown", sourceLocation: sourceLocation)
  } catch {
    #expect(matching(error), "unexpected error: \(error)", sourceLocation: sourceLocation)
  }
}

/// The error of type `E` that `body` must throw; records an issue and throws otherwise.
///
/// What Swift Testing 6.1's `try #require(throws: E.self) { … }` returns, as a function: Swift
/// 6.0's `#require(throws:)` returns nothing, so tests that read the error did not build with
/// Debian's Swift 6.0.3 (scripts/cross-check.sh, docs/cross-platform.md).
public func requireThrows<E: Error>(
  _ type: E.Type, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) throws -> E {
  do {
    try body()
  } catch let error as E {
    return error
  } catch {
    Issue.record("expected \(E.self), got \(error)", sourceLocation: sourceLocation)
    throw error
  }
  Issue.record("expected \(E.self), none was thrown", sourceLocation: sourceLocation)
  throw RequireThrowsFailure()
}

/// Thrown by ``requireThrows(_:sourceLocation:_:)`` when nothing was thrown.
public struct RequireThrowsFailure: Error {}
