/// An append-only little-endian byte buffer used to build container sections.
struct ByteWriter {
  var bytes: [UInt8] = []

  mutating func append(_ v: UInt8) { bytes.append(v) }
  mutating func append(_ v: UInt16) { appendLE(UInt64(v), count: 2) }
  mutating func append(_ v: UInt32) { appendLE(UInt64(v), count: 4) }
  mutating func append(_ v: UInt64) { appendLE(v, count: 8) }
  mutating func append(_ v: Int32) { append(UInt32(bitPattern: v)) }
  mutating func append(_ v: Int64) { append(UInt64(bitPattern: v)) }
  mutating func append(contentsOf b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

  /// Appends zero bytes up to the next multiple of 64.
  mutating func padTo64() {
    let pad = (64 - bytes.count % 64) % 64
    bytes.append(contentsOf: repeatElement(0, count: pad))
  }

  private mutating func appendLE(_ v: UInt64, count: Int) {
    for i in 0..<count { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
  }
}

/// Rounds `x` up to a multiple of 64.
@inline(__always) func align64(_ x: UInt64) -> UInt64 { (x &+ 63) & ~63 }
