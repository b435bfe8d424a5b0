/// A name that compares and hashes by its UTF-8 bytes, as spec/container.md §1 requires.
///
/// Swift's `String` equality follows Unicode canonical equivalence, so `"x\u{E9}"` and
/// `"xe\u{301}"` are equal strings; in a container they are two different names. Every map and
/// comparison of names in this module goes through this type or ``ContainerRules/sameName(_:_:)``.
struct ByteName: Hashable, Sendable {
  let string: String
  let bytes: [UInt8]

  init(_ string: String) {
    self.string = string
    self.bytes = Array(string.utf8)
  }

  static func == (a: ByteName, b: ByteName) -> Bool { a.bytes == b.bytes }
  func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
}
