import Foundation
import ReferenceCodec
import Testing

/// Inputs that crashed or exhausted a fuzz target, with the typed error each must now give.
///
/// docs/robustness.md lists the findings. The files live in `Fixtures/regression/<target>/`;
/// scripts/fuzz.sh also replays them through the fuzz targets' corpora.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/regression")

  static func bytes(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: root.appendingPathComponent(path)))
  }

  /// FuzzPNG, out of memory: a chunk longer than the file made libpng allocate its length.
  ///
  /// A 65-byte file whose iTXt chunk declares 1,157,627,924 bytes made libpng allocate that
  /// much in `png_read_info` before noticing the file had ended. A chunk
  /// before the image data that runs past the end of the file is now refused before libpng sees
  /// it.
  @Test func pngChunkLongerThanTheFile() throws {
    let data = try Self.bytes("png/itxt-declares-1157627924-bytes.png")
    #expect(data.count == 65)
    #expect(
      throws: ImageError.malformed(
        message: "iTXt chunk at offset 33 declares 1157627924 bytes, but the file ends 24 bytes "
          + "after its header")
    ) { try PNGCodec.decode(data) }
  }

  /// The same defect in every ancillary chunk position: a valid file with a chunk spliced in
  /// before IDAT that claims up to 2^31 − 1 bytes is refused, whatever its type.
  @Test(arguments: ["tEXt", "zTXt", "iTXt", "eXIf", "sPLT", "prIv"])
  func anyChunkBeforeTheImageDataMustFit(type: String) throws {
    let valid = try PNGFixtures.bytes("rgb_1x1.png")
    let length: [UInt8] = [0x7F, 0xFF, 0xFF, 0xFF]
    let spliced = Array(valid[0..<33]) + length + Array(type.utf8) + [1, 2, 3] + valid[33...]
    expectThrows {
      try PNGCodec.decode(spliced)
    } matching: { error in
      guard case .malformed(let message) = error as? ImageError else { return false }
      return message.hasPrefix("\(type) chunk at offset 33 declares 2147483647 bytes")
    }
    #expect(try PNGCodec.decode(valid).image.width == 1)
  }

  /// Arithmetic overflow in the manifest parser on huge picture sizes.
  ///
  /// A vector whose width and height are 2^32 made the `decoded_bytes` check compute
  /// width × height × 3 before the range check, and trap. Found while writing the FuzzManifest
  /// target (the fuzzer itself had not reached it after 1.2 million executions); the input is
  /// hand-made. The range is now checked first.
  @Test func manifestSizeProductOverflow() throws {
    let data = Data(try Self.bytes("manifest/size-product-overflows.json"))
    #expect(
      throws: ConformanceError.invalidManifest(
        reason: "vector bmshj2018-hyperprior-N64-M96-flat-64x48: size 4294967296×4294967296 is "
          + "outside 1…65536")
    ) { try ConformanceManifest(parsing: data) }
  }

  /// Every size at and around the limits, including products that overflow Int, is a typed
  /// refusal or a success, never a trap.
  @Test func manifestSizesAroundTheLimits() throws {
    let template = String(
      decoding: try Self.bytes("manifest/size-product-overflows.json"), as: UTF8.self)
    let sizes = [0, 1, 65535, 65536, 65537, 1 << 31, 1 << 32, Int.max, Int.min, -1]
    for width in sizes {
      for height in sizes {
        let text =
          template
          .replacingOccurrences(of: "\"width\": 4294967296", with: "\"width\": \(width)")
          .replacingOccurrences(of: "\"height\": 4294967296", with: "\"height\": \(height)")
        let valid = (1...65536).contains(width) && (1...65536).contains(height)
        do {
          _ = try ConformanceManifest(parsing: Data(text.utf8))
          Issue.record("\(width)×\(height) was accepted (decoded_bytes is 9216)")
        } catch {
          guard case .invalidManifest(let reason) = error else {
            Issue.record("\(error)")
            continue
          }
          #expect(reason.contains(valid ? "decoded_bytes" : "is outside 1…65536"), "\(reason)")
        }
      }
    }
  }
}
