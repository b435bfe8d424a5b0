import Testing
import WeightFormat

@Suite("Errors: one protocol, a stable code and a message naming the file once")
struct GICErrorTests {
  @Test("LocatedError keeps the underlying code and prefixes the path unless the error names it")
  func located() {
    let format = LocatedError(path: "m.gicw", WeightFormatError.badMagic)
    #expect(format.code == "gicw.badMagic")
    #expect(format.description == "m.gicw: \(WeightFormatError.badMagic)")
    let io = LocatedError(
      path: "m.gicw", WeightFormatError.io(path: "m.gicw", reason: "no such file"))
    #expect(io.code == "gicw.io")
    #expect(io.description == "m.gicw: no such file")
    let other = LocatedError(path: "n.gicw", WeightFormatError.io(path: "m.gicw", reason: "gone"))
    #expect(other.description == "n.gicw: m.gicw: gone")
    #expect(LocatedError.attaching("x", to: format) is LocatedError)
    struct Plain: Error {}
    #expect(LocatedError.attaching("x", to: Plain()) is Plain)
  }

  @Test("the accumulator bound: max over rows of |b| + Σ|w| · X; GDN's U clamps to 32767")
  func accumulatorBound() {
    #expect(
      AccumulatorBound.worst(biases: [-5, 3], absoluteSums: [10, 12], inputBound: 255)
        == 3 + 12 * 255)
    #expect(AccumulatorBound.worst(biases: [], absoluteSums: [], inputBound: 7) == 0)
    #expect(AccumulatorBound.shiftedSquare(32767, shift: 15) == 32766)
    #expect(AccumulatorBound.shiftedSquare(3, shift: 1) == 5)
    #expect(AccumulatorBound.gdnSquare(32767, shift: 0) == 32767)
    #expect(AccumulatorBound.gdnSquare(-100, shift: 2) == 2500)
  }

  @Test("ByteOrder reads little- and big-endian integers at any offset of any collection")
  func byteOrder() {
    let bytes: [UInt8] = [0xFF, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]
    #expect(ByteOrder.littleEndian(UInt32.self, from: bytes, at: 1) == 0x0403_0201)
    #expect(ByteOrder.bigEndian(UInt32.self, from: bytes, at: 1) == 0x0102_0304)
    #expect(ByteOrder.littleEndian(UInt64.self, from: bytes, at: 1) == 0x0807_0605_0403_0201)
    #expect(ByteOrder.littleEndian(UInt16.self, from: bytes[4...], at: 1) == 0x0605)
  }
}
