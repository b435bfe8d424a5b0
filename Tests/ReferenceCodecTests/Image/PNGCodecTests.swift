import Foundation
import Testing
import WeightFormat

@testable import ReferenceCodec

@Suite("PNG decoding: the committed corpus")
struct ImagePNGCorpusTests {
  @Test func expectationsCoverEveryFixture() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: PNGFixtures.root.path)
      .filter { $0 != "expected.json" }.sorted()
    #expect(files.count >= 20)
    #expect(files == PNGFixtures.expected.keys.sorted())
  }

  @Test(arguments: PNGFixtures.valid)
  func validFixtureDecodes(name: String) throws {
    let e = try #require(PNGFixtures.expected[name])
    let decoded = try PNGCodec.decode(PNGFixtures.bytes(name))
    #expect(decoded.image.width == e.width)
    #expect(decoded.image.height == e.height)
    #expect(decoded.image.pixels.count == decoded.image.width * decoded.image.height * 3)
    #expect(decoded.sourceFormat.rawValue == e.sourceFormat)
    #expect(decoded.sourceBitDepth == e.sourceBitDepth)
    #expect(decoded.droppedAlpha == e.droppedAlpha)
    #expect(decoded.ignoredChunks == e.ignoredChunks)
    #expect(PNGFixtures.sha256(decoded.image.pixels) == e.rgbSHA256)
    #expect(try PNGCodec.read(path: PNGFixtures.path(name)) == decoded)
  }

  @Test(arguments: PNGFixtures.refused)
  func refusedFixtureThrowsItsCode(name: String) throws {
    let code = try #require(PNGFixtures.expected[name]?.error)
    let data = try PNGFixtures.bytes(name)
    do {
      let decoded = try PNGCodec.decode(data)
      Issue.record("\(name) decoded to \(decoded.image.width)×\(decoded.image.height)")
    } catch {
      #expect(error.code == code, "\(error)")
      #expect(!error.description.isEmpty)
    }
  }
}

@Suite("PNG decoding: libpng behaviour")
struct ImageLibpngBehaviourTests {
  /// libpng's header report, without decoding.
  private func libpngHeader(_ data: [UInt8]) throws(ImageError) -> LibPNG.Header? {
    var header: LibPNG.Header?
    _ = try LibPNG.read(data) { h in
      header = h
      return nil
    }
    return header
  }

  /// libpng's own decoding of `data` to `format` (no stripping, no replication).
  private func libpngSamples(_ data: [UInt8], format: UInt32) throws(ImageError) -> [UInt8] {
    let samples = try LibPNG.read(data) { h in
      let n = h.width * h.height * LibPNG.channels(format)
      return LibPNG.ReadPlan(format: format, capacity: n, finish: { _ in n })
    }
    return samples ?? []
  }

  @Test(arguments: ["rgb_16bit.png", "gray_16bit.png"])
  func sixteenBitIsReportedLinearAndRefused(name: String) throws {
    let data = try PNGFixtures.bytes(name)
    // The simplified API reports 16-bit files with PNG_FORMAT_FLAG_LINEAR (and would reduce
    // them to 8 bits as linear light re-encoded to sRGB if asked for an 8-bit format).
    let header = try #require(try libpngHeader(data))
    #expect(header.format & LibPNG.Flag.linear != 0)
    #expect(throws: ImageError.unsupportedBitDepth(bitDepth: 16)) { try PNGCodec.decode(data) }
  }

  @Test(arguments: ["gray_8bit.png", "gray_4bit.png", "gray_trns.png"])
  func grayReplicationMatchesLibpngGrayToRGB(name: String) throws {
    let data = try PNGFixtures.bytes(name)
    let decoded = try PNGCodec.decode(data)
    // Asking libpng for RGB (its png_set_gray_to_rgb) gives R = G = B = the gray sample.
    let format = LibPNG.Flag.color | (decoded.droppedAlpha ? LibPNG.Flag.alpha : 0)
    let libpng = try libpngSamples(data, format: format)
    let channels = LibPNG.channels(format)
    for i in 0..<decoded.image.width * decoded.image.height {
      let ours = decoded.image.pixels[3 * i..<3 * i + 3]
      #expect(ours.elementsEqual(libpng[channels * i..<channels * i + 3]), "pixel \(i)")
      #expect(Set(ours).count == 1, "pixel \(i) is not gray")
    }
  }

  @Test func everyGrayValueIsKeptExactly() throws {
    // gray_8bit.png is a 16×16 ramp of the values 0…255.
    let decoded = try PNGCodec.decode(PNGFixtures.bytes("gray_8bit.png"))
    let expected = (0..<256).flatMap { v in [UInt8](repeating: UInt8(v), count: 3) }
    #expect(decoded.image.pixels == expected)
  }

  @Test func grayContentInAnyColourTypeCodesAsGray() throws {
    // A gray colour type is gray; so is an RGB file whose every pixel has R = G = B.
    let gray = try PNGCodec.decode(PNGFixtures.bytes("gray_8bit.png"))
    #expect(gray.isGray && gray.hasGrayContent && gray.codesAsGray)
    let asRGB = try PNGCodec.decode(try PNGCodec.encode(gray.image))
    #expect(asRGB.sourceFormat == .rgb)
    #expect(!asRGB.isGray && asRGB.hasGrayContent && asRGB.codesAsGray)
    // One sample off gray in the last pixel makes it colour.
    var tinted = gray.image
    tinted.pixels[tinted.pixels.count - 1] ^= 1
    let colour = try PNGCodec.decode(try PNGCodec.encode(tinted))
    #expect(!colour.hasGrayContent && !colour.codesAsGray)
    let rgb = try PNGCodec.decode(PNGFixtures.bytes("rgb_17x31.png"))
    #expect(!rgb.codesAsGray)
  }

  @Test func transparentPixelsKeepTheirStoredColour() throws {
    let rgba = try PNGCodec.decode(PNGFixtures.bytes("rgba_alpha.png"))
    #expect(rgba.droppedAlpha)
    #expect(Array(rgba.image.pixels[0..<3]) == [200, 100, 50])  // stored with alpha 0
    #expect(Array(rgba.image.pixels[3..<6]) == [10, 20, 30])  // alpha 255
    let ga = try PNGCodec.decode(PNGFixtures.bytes("gray_alpha.png"))
    #expect(Array(ga.image.pixels[0..<6]) == [173, 173, 173, 91, 91, 91])  // alpha 0, 255
    let trns = try PNGCodec.decode(PNGFixtures.bytes("gray_trns.png"))
    #expect(trns.droppedAlpha)
    #expect(Array(trns.image.pixels[0..<3]) == [77, 77, 77])  // the tRNS gray, transparent
  }

  @Test func libpngAloneAppliesGAMAButTheCodecDoesNot() throws {
    let data = try PNGFixtures.bytes("gray_gamma_linear.png")  // the 0…255 ramp, gAMA 1.0
    // Left to itself, the simplified reader re-encodes linear samples to sRGB: 1 becomes 21.
    let raw = try libpngSamples(data, format: 0)
    #expect(raw[1] == 21)
    let decoded = try PNGCodec.decode(data)
    #expect(decoded.ignoredChunks == ["gAMA"])
    #expect(decoded.image.pixels[3..<6].elementsEqual([1, 1, 1]))
  }

  @Test func libpngRefusesABadIHDRCRCByItself() throws {
    let data = try PNGFixtures.bytes("bad_crc_ihdr.png")
    do {
      _ = try libpngHeader(data)
      Issue.record("libpng accepted a bad IHDR CRC")
    } catch {
      guard case .malformed(let message) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(message.contains("CRC"), "\(message)")
    }
    #expect(throws: ImageError.self) { try PNGCodec.decode(data) }
  }

  @Test func truncatedDataGivesLibpngsMessage() throws {
    let data = try PNGFixtures.bytes("truncated_idat.png")
    expectThrows {
      try PNGCodec.decode(data)
    } matching: { error in
      guard case .malformed(let message) = error as? ImageError else { return false }
      return !message.isEmpty && !message.contains("without a message")
    }
    // Every prefix that cuts into the signature, the header or the image data (IDAT CRC
    // included) is refused with a typed error, never a crash. The simplified reader stops after
    // the last row and never reads IEND: a file that loses only IEND still decodes, complete.
    let full = try PNGFixtures.bytes("interlaced_rgb.png")
    let iend = full.count - 12
    #expect(full[iend + 4..<iend + 8].elementsEqual("IEND".utf8))
    let image = try PNGCodec.decode(full).image
    for length in 0..<full.count {
      let prefix = Array(full[0..<length])
      if length < iend {
        #expect(throws: ImageError.self, "prefix \(length)") { try PNGCodec.decode(prefix) }
      } else {
        #expect(try PNGCodec.decode(prefix).image == image, "prefix \(length)")
      }
    }
  }

  @Test func corruptBytesNeverCrash() throws {
    let full = try PNGFixtures.bytes("rgb_17x31.png")
    var rng = SplitMix64(seed: 7)
    for _ in 0..<300 {
      var data = full
      for _ in 0..<Int.random(in: 1...4, using: &rng) {
        data[Int.random(in: 8..<data.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
      }
      do {
        let decoded = try PNGCodec.decode(data)
        #expect(decoded.image.pixels.count == 17 * 31 * 3)
      } catch {
        #expect(error.code.hasPrefix("image."))
      }
    }
  }
}

@Suite("PNG limits")
struct ImageLimitTests {
  @Test func constants() {
    #expect(PNGCodec.maxDimension == 65535)
    #expect(PNGCodec.maxPixels == 67_108_864)
  }

  @Test func limitsAreCheckedOnTheHeader() throws {
    #expect(throws: Never.self) { try PNGCodec.checkLimits(width: 8192, height: 8192) }
    #expect(throws: Never.self) { try PNGCodec.checkLimits(width: 65535, height: 1024) }
    #expect(throws: Never.self) { try PNGCodec.checkLimits(width: 1, height: 65535) }
    #expect(throws: ImageError.tooManyPixels(width: 8192, height: 8193)) {
      try PNGCodec.checkLimits(width: 8192, height: 8193)
    }
    #expect(throws: ImageError.dimensionsOutOfRange(width: 65536, height: 1)) {
      try PNGCodec.checkLimits(width: 65536, height: 1)
    }
    #expect(throws: ImageError.dimensionsOutOfRange(width: 0, height: 5)) {
      try PNGCodec.checkLimits(width: 0, height: 5)
    }
    // 70000 × 70000 would ask for 14.7 GB: refused from the header, before libpng runs.
    #expect(throws: ImageError.dimensionsOutOfRange(width: 70000, height: 70000)) {
      try PNGCodec.decode(PNGFixtures.bytes("huge_70000x70000.png"))
    }
    #expect(throws: ImageError.tooManyPixels(width: 9000, height: 9000)) {
      try PNGCodec.decode(PNGFixtures.bytes("pixels_9000x9000.png"))
    }
  }

  @Test func encoderRefusesWhatTheDecoderWould() throws {
    let wide = try RGBImage(
      width: 65536, height: 1, pixels: [UInt8](repeating: 0, count: 65536 * 3))
    #expect(throws: ImageError.dimensionsOutOfRange(width: 65536, height: 1)) {
      try PNGCodec.encode(wide)
    }
  }
}

@Suite("PNG encoding")
struct ImageEncodingTests {
  private func randomImage(width: Int, height: Int, _ rng: inout SplitMix64) throws -> RGBImage {
    try RGBImage(
      width: width, height: height,
      pixels: (0..<width * height * 3).map { _ in UInt8.random(in: 0...255, using: &rng) })
  }

  @Test func randomImagesRoundTrip() throws {
    var rng = SplitMix64(seed: 2024)
    var shapes = [(1, 1), (1, 300), (300, 1), (2, 2), (255, 3)]
    for _ in 0..<40 {
      shapes.append((Int.random(in: 1...64, using: &rng), Int.random(in: 1...64, using: &rng)))
    }
    for (w, h) in shapes {
      let image = try randomImage(width: w, height: h, &rng)
      let decoded = try PNGCodec.decode(PNGCodec.encode(image))
      #expect(decoded.image == image, "\(w)×\(h)")
      #expect(decoded.sourceFormat == .rgb)
      #expect(decoded.sourceBitDepth == 8)
      #expect(!decoded.droppedAlpha)
      #expect(decoded.ignoredChunks.isEmpty)
    }
  }

  @Test func smoothImagesRoundTrip() throws {
    // Compressible content exercises libpng's filters and longer zlib matches.
    let (w, h) = (301, 203)
    var pixels: [UInt8] = []
    for y in 0..<h {
      for x in 0..<w { pixels += [UInt8(x & 255), UInt8(y & 255), UInt8((x + y) / 2 & 255)] }
    }
    let image = try RGBImage(width: w, height: h, pixels: pixels)
    let png = try PNGCodec.encode(image)
    #expect(png.count < pixels.count / 10)
    #expect(try PNGCodec.decode(png).image == image)
  }

  @Test func encodingIsDeterministicAndHasNoTimeChunk() throws {
    var rng = SplitMix64(seed: 99)
    let image = try randomImage(width: 37, height: 23, &rng)
    let first = try PNGCodec.encode(image)
    let second = try PNGCodec.encode(image)
    #expect(first == second)
    #expect(Array(first[0..<8]) == PNGHeader.signature)
    #expect(PNGFixtures.chunkTypes(first) == ["IHDR", "sRGB", "IDAT", "IEND"])
  }

  @Test func fixturesReencodeToTheSamePixels() throws {
    for name in PNGFixtures.valid {
      let decoded = try PNGCodec.decode(PNGFixtures.bytes(name))
      #expect(try PNGCodec.decode(PNGCodec.encode(decoded.image)).image == decoded.image, "\(name)")
    }
  }

  @Test func invalidImagesAreRefused() throws {
    #expect(throws: ImageError.self) { try RGBImage(width: 0, height: 1, pixels: []) }
    #expect(throws: ImageError.self) { try RGBImage(width: 2, height: 2, pixels: [1, 2, 3]) }
    #expect(throws: ImageError.self) {
      try RGBImage(width: Int.max, height: 2, pixels: [])
    }
    var image = try RGBImage(width: 1, height: 1, pixels: [1, 2, 3])
    image.pixels.append(4)
    expectThrows {
      try PNGCodec.encode(image)
    } matching: {
      ($0 as? ImageError)?.code == "image.invalidImage"
    }
  }
}

@Suite("PNG files")
struct ImageFileTests {
  private let image: RGBImage

  init() throws {
    var rng = SplitMix64(seed: 5)
    image = try RGBImage(
      width: 9, height: 4, pixels: (0..<108).map { _ in UInt8.random(in: 0...255, using: &rng) })
  }

  @Test func writeThenRead() throws {
    let dir = try ScratchDirectory()
    defer { dir.remove() }
    let path = dir.path + "/out.png"
    try PNGCodec.write(image, to: path)
    #expect(try dir.entries() == ["out.png"])
    #expect(try PNGCodec.read(path: path).image == image)
    let written = try Data(contentsOf: URL(fileURLWithPath: path))
    #expect(try Array(written) == PNGCodec.encode(image))
  }

  @Test func failedWritesLeaveNothingBehind() throws {
    let dir = try ScratchDirectory()
    defer { dir.remove() }
    // A directory that does not exist.
    expectThrows {
      try PNGCodec.write(image, to: dir.path + "/missing/out.png")
    } matching: {
      ($0 as? ImageError)?.code == "image.io"
    }
    #expect(try dir.entries().isEmpty)
    // A destination that is a directory: the rename fails after the bytes were written.
    try FileManager.default.createDirectory(
      atPath: dir.path + "/taken.png", withIntermediateDirectories: false)
    expectThrows {
      try PNGCodec.write(image, to: dir.path + "/taken.png")
    } matching: {
      ($0 as? ImageError)?.code == "image.io"
    }
    #expect(try dir.entries() == ["taken.png"])
    // A read-only directory (not enforced for root, who may write anywhere).
    if SystemCalls.userID != 0 {
      let locked = dir.path + "/locked"
      try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
      let manager = FileManager.default
      try manager.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked)
      defer { try? manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked) }
      #expect(throws: ImageError.self) { try PNGCodec.write(image, to: locked + "/out.png") }
      #expect(try FileManager.default.contentsOfDirectory(atPath: locked).isEmpty)
    }
  }

  @Test func failedEncodingLeavesAnExistingFileUntouched() throws {
    let dir = try ScratchDirectory()
    defer { dir.remove() }
    let path = dir.path + "/keep.png"
    try PNGCodec.write(image, to: path)
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    var broken = image
    broken.pixels.removeLast()
    #expect(throws: ImageError.self) { try PNGCodec.write(broken, to: path) }
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    #expect(try dir.entries() == ["keep.png"])
  }

  @Test func unreadablePathsThrowIO() throws {
    let dir = try ScratchDirectory()
    defer { dir.remove() }
    expectThrows {
      try PNGCodec.read(path: dir.path + "/absent.png")
    } matching: {
      ($0 as? ImageError)?.code == "image.io"
    }
    expectThrows {
      try PNGCodec.read(path: dir.path)
    } matching: {
      ($0 as? ImageError)?.code == "image.io"
    }
  }
}

@Suite("PNG errors")
struct ImageErrorTests {
  @Test func codesAndMessages() {
    let cases: [(ImageError, String)] = [
      (.notPNG, "image.notPNG"),
      (.badHeader(reason: "r"), "image.badHeader"),
      (.dimensionsOutOfRange(width: 0, height: 1), "image.dimensionsOutOfRange"),
      (.tooManyPixels(width: 9000, height: 9000), "image.tooManyPixels"),
      (.unsupportedBitDepth(bitDepth: 16), "image.unsupportedBitDepth"),
      (.malformed(message: "m"), "image.malformed"),
      (.encodingFailed(message: "m"), "image.encodingFailed"),
      (.invalidImage(reason: "r"), "image.invalidImage"),
      (.io(path: "p", reason: "r"), "image.io"),
    ]
    for (error, code) in cases {
      #expect(error.code == code)
      #expect(!error.description.isEmpty && !error.description.contains("\n"))
    }
  }

  @Test func headerIsCheckedBeforeLibpngRuns() throws {
    #expect(PNGHeader.crc32("IEND".utf8) == 0xAE42_6082)
    let iendFirst =
      PNGHeader.signature + [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
      + [UInt8](repeating: 0, count: 13)
    expectThrows {
      try PNGCodec.decode(iendFirst)
    } matching: {
      ($0 as? ImageError)?.code == "image.badHeader"
    }
    #expect(throws: ImageError.notPNG) { try PNGCodec.decode(Array("GIF89a\u{1}\u{0}".utf8)) }
    #expect(throws: ImageError.notPNG) { try PNGCodec.decode(Array(PNGHeader.signature[0..<7])) }
  }

  @Test func colourSpaceChunksAreStrippedBeforeIDATOnly() throws {
    let plain = try PNGFixtures.bytes("rgb_17x31.png")
    #expect(PNGHeader.strippingColorSpaceChunks(plain).data == plain)
    let tagged = try PNGFixtures.bytes("rgb_gamma_chrm.png")
    let (stripped, names) = PNGHeader.strippingColorSpaceChunks(tagged)
    #expect(names == ["cHRM", "gAMA"])
    #expect(PNGFixtures.chunkTypes(stripped) == ["IHDR", "IDAT", "IEND"])
    #expect(stripped.count == tagged.count - (12 + 32) - (12 + 4))
  }
}
