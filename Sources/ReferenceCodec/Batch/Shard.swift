import Foundation
import WeightFormat

/// One of `count` disjoint parts of a set of named items (pictures, conformance vectors), chosen
/// by a stable hash of each name so every item lands in exactly one shard on every machine.
///
/// An item named `name` belongs to shard `k` when the first 8 bytes of the SHA-256 of the name's
/// UTF-8 bytes, read as a big-endian integer, are `k` modulo `count`; in Python,
/// `int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % count`. (Swift's
/// `Hasher` is seeded per process and would differ between machines.)
public struct Shard: Sendable, Equatable, CustomStringConvertible {
  /// The shard's number, 0 ..< `count`.
  public var index: Int
  /// How many shards the set is split into.
  public var count: Int

  /// The whole set as one shard.
  public static let all = Shard(uncheckedIndex: 0, count: 1)

  init(uncheckedIndex index: Int, count: Int) {
    self.index = index
    self.count = count
  }

  /// Parses `i/n` (0 ≤ i < n).
  ///
  /// - Throws: ``BatchError/badShard(text:)`` if the text is not of that form.
  public init(parsing text: String) throws(BatchError) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1,
      (0..<n).contains(i)
    else { throw .badShard(text: text) }
    self.init(uncheckedIndex: i, count: n)
  }

  /// The shard, among `count`, that the item `name` belongs to.
  public static func bucket(of name: String, count: Int) -> Int {
    precondition(count >= 1, "at least one shard")
    let digest = SHA256Hex.of(Data(name.utf8))
    guard let value = UInt64(digest.prefix(16), radix: 16) else {
      preconditionFailure("SHA-256 text is hexadecimal")
    }
    return Int(value % UInt64(count))
  }

  /// Whether the item `name` belongs to this shard.
  public func contains(_ name: String) -> Bool {
    count == 1 || Self.bucket(of: name, count: count) == index
  }

  /// `i/n`.
  public var description: String { "\(index)/\(count)" }
}
