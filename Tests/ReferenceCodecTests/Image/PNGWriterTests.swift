import Testing
import WeightFormat

@testable import ReferenceCodec

@Suite("PNG writing: bands deflated in parallel")
struct PNGWriterTests {
  /// Heights around the band height (first band only, exact bands, a short last band).
  static let heights = [1, 31, 32, 33, 64, 100]

  @Test(arguments: heights)
  func sameBytesForEveryThreadCountAndRoundTrips(height: Int) throws {
    var rng = SplitMix64(seed: UInt64(height))
    let image = try photoLike(width: 53, height: height, &rng)
    let one = try PNGCodec.encode(image, threads: 1)
    for threads in [2, 3, 8] { #expect(try PNGCodec.encode(image, threads: threads) == one) }
    #expect(try PNGCodec.decode(one).image == image)
    #expect(PNGFixtures.chunkTypes(one) == ["IHDR", "sRGB", "IDAT", "IEND"])
  }

  @Test(arguments: heights)
  func grayRoundTripsForEveryThreadCount(height: Int) throws {
    var rng = SplitMix64(seed: UInt64(height) &+ 7)
    let image = try photoLike(width: 29, height: height, &rng)
    let one = try PNGCodec.encodeGray(image, threads: 1)
    #expect(try PNGCodec.encodeGray(image, threads: 4) == one)
    let decoded = try PNGCodec.decode(one)
    #expect(decoded.sourceFormat == .gray)
    for i in 0..<(image.width * height) {
      let sum =
        Int(image.pixels[3 * i]) + Int(image.pixels[3 * i + 1])
        + Int(image.pixels[3 * i + 2])
      #expect(decoded.image.pixels[3 * i] == UInt8((sum + 1) / 3))
    }
  }

  /// Flat and periodic content (an untrained model's output looks like this) takes the LZ77
  /// fallback: far smaller than run-length coding alone could make it.
  @Test func periodicContentStaysSmall() throws {
    let (w, h) = (256, 96)
    var pixels: [UInt8] = []
    for y in 0..<h {
      for x in 0..<w { pixels += [UInt8((x % 4) * 60), UInt8((y % 4) * 60), 128] }
    }
    let image = try RGBImage(width: w, height: h, pixels: pixels)
    let png = try PNGCodec.encode(image, threads: 2)
    #expect(png.count < pixels.count / 50)
    #expect(try PNGCodec.decode(png).image == image)
  }

  /// A smooth gradient with noise: every filter predictor case and real deflate blocks.
  private func photoLike(width: Int, height: Int, _ rng: inout SplitMix64) throws -> RGBImage {
    var pixels: [UInt8] = []
    for y in 0..<height {
      for x in 0..<width {
        for c in 0..<3 {
          let noise = Int(rng.next() % 9) - 4
          pixels.append(UInt8(clamping: (x * 3 + y * 2 + c * 40) % 256 + noise))
        }
      }
    }
    return try RGBImage(width: width, height: height, pixels: pixels)
  }
}
