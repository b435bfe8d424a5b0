import Converters
import Foundation
import Testing

@Suite("Random damage to real NumPy files")
struct MutationTests {
  /// The valid fixtures' file names.
  ///
  /// A closure inside the `@Test` arguments crashed Swift
  /// 6.0.3's type checker on arm64 (scripts/cross-check.sh), so the list is a property.
  static let validNames = Fixtures.names("valid").filter { $0 != "expected.json" }

  /// Every mutation either reads or fails with a typed error: never a crash or a hang.
  @Test(
    "byte flips, overwrites and truncations end in a result or a typed error",
    arguments: validNames)
  func mutations(name: String) throws {
    let original = try Fixtures.data("valid", name)
    var rng = SplitMix64(seed: name.utf8.reduce(0x5EED) { $0 &* 31 &+ UInt64($1) })
    var accepted = 0
    var refused = 0
    for round in 0..<150 {
      var bytes = original
      switch round % 3 {
      case 0:
        let i = Int.random(in: 0..<bytes.count, using: &rng)
        bytes[bytes.startIndex + i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
      case 1:
        for _ in 0..<4 {
          let i = Int.random(in: 0..<bytes.count, using: &rng)
          bytes[bytes.startIndex + i] = UInt8.random(in: 0...255, using: &rng)
        }
      default:
        bytes = bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng))
      }
      do {
        if name.hasSuffix(".npy") {
          _ = try NPYReader.read(bytes)
        } else {
          _ = try NPZReader(bytes).readAll()
        }
        accepted += 1
      } catch is NPYError {
        refused += 1
      } catch is NPZError {
        refused += 1
      }
    }
    #expect(accepted + refused == 150)
    #expect(refused > 0)
  }
}
