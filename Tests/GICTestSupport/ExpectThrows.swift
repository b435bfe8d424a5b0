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
