import Foundation
import ReferenceCodec
import Testing

/// ``MSSSIM`` against pytorch-msssim's `ms_ssim(x, y, data_range=1.0)` (float64) on the picture
/// pairs of Fixtures/msssim, written by python/make_msssim_goldens.py.
@Suite struct MSSSIMTests {
  struct Pair: Decodable {
    var name: String
    var width: Int
    var height: Int
    var msSSIM: Double
    var psnr: Double

    enum CodingKeys: String, CodingKey {
      case name, width, height, psnr
      case msSSIM = "ms_ssim"
    }
  }

  struct Goldens: Decodable {
    var pairs: [Pair]
  }

  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/msssim")

  static let goldens: [Pair] = {
    let url = root.appendingPathComponent("goldens.json")
    guard let data = try? Data(contentsOf: url),
      let decoded = try? JSONDecoder().decode(Goldens.self, from: data)
    else { return [] }
    return decoded.pairs
  }()

  static func picture(_ name: String) throws -> RGBImage {
    try PNGCodec.read(path: root.appendingPathComponent(name).path).image
  }

  @Test func goldensAreThere() {
    #expect(Self.goldens.count == 3)
  }

  @Test(arguments: goldens)
  func agreesWithPytorchMSSSIM(_ pair: Pair) throws {
    let a = try Self.picture("\(pair.name)-a.png")
    let b = try Self.picture("\(pair.name)-b.png")
    #expect((a.width, a.height) == (pair.width, pair.height))
    let value = try #require(MSSSIM.value(a, b))
    #expect(abs(value - pair.msSSIM) < 1e-6, "\(pair.name): \(value) vs \(pair.msSSIM)")
    let psnr = try #require(a.distortion(to: b)).psnr
    #expect(abs(psnr - pair.psnr) < 1e-9)
  }

  @Test func identicalPicturesScoreOne() throws {
    let a = try Self.picture("coffee-177x190-a.png")
    let value = try #require(MSSSIM.value(a, a))
    #expect(abs(value - 1) < 1e-12)
  }

  @Test func refusesSmallOrMismatchedPictures() throws {
    let small = try RGBImage(width: 160, height: 200, pixels: [UInt8](repeating: 9, count: 96_000))
    #expect(MSSSIM.value(small, small) == nil)
    let a = try Self.picture("coffee-177x190-a.png")
    let b = try Self.picture("chelsea-161x161-a.png")
    #expect(MSSSIM.value(a, b) == nil)
  }
}

extension MSSSIMTests.Pair: CustomTestStringConvertible {
  var testDescription: String { name }
}
