import CLISupport
import Foundation
import ReferenceCodec
import WeightFormat

/// What encode, decode and info report about a bitstream of `bytes` bytes.
struct StreamSummary: Encodable {
  var profile: String
  var width: Int
  var height: Int
  var grayscale: Bool
  var rateIndex: Int
  var steps: Int
  var seed: UInt64?
  /// Bytes of the detail substream (spec/bitstream.md §7.5); absent without one.
  var detailBytes: Int?
  /// Bytes of the gains substream (spec/bitstream.md §7.6); absent without one.
  var gainsBytes: Int?
  /// Bytes of the residual substream (spec/bitstream.md §7.7); absent without one.
  var residualBytes: Int?
  var bytes: Int
  var bpp: Double

  init(_ s: Bitstream, bytes: Int) {
    (profile, width, height, grayscale) = (s.profile.name, s.width, s.height, s.grayscale)
    (rateIndex, steps, seed) = (s.rateIndex, s.steps, s.seed)
    detailBytes = s.detailSubstream?.count
    gainsBytes = s.gainsSubstream?.count
    residualBytes = s.residualSubstream?.count
    self.bytes = bytes
    bpp = Double(bytes * 8) / Double(s.width * s.height)
  }
}

/// What encode and decode report about their run.
struct RunSummary: Encodable {
  var input: String
  var output: String
  var threads: Int
  var seconds: Double
}

/// Reading the subcommands' input files, with messages that name the file.
enum ToolInput {
  /// Reads and decodes a PNG.
  ///
  /// - Parameter path: the PNG file.
  /// - Returns: the decoded picture.
  /// - Throws: ``LocatedError`` naming the file.
  static func readPNG(_ path: String) throws -> PNGDecoded {
    do { return try PNGCodec.read(path: path) } catch { throw LocatedError(path: path, error) }
  }

  /// Reads and parses a `.gic` bitstream.
  ///
  /// - Parameter path: the bitstream file.
  /// - Returns: the parsed bitstream and its size in bytes.
  /// - Throws: ``LocatedError`` or ``ToolError`` naming the file.
  static func readBitstream(_ path: String) throws -> (stream: Bitstream, bytes: Int) {
    let bytes = [UInt8](try ToolFiles.read(path))
    // The container's magic starts with the stream's (0x89 "GIC"): say what the file is.
    if bytes.starts(with: WeightFile.magic) {
      throw ToolError(
        "\(path) is a .gicw model container, not a .gic bitstream: 'gic-ref model \(path)' "
          + "describes it, and encode and decode take it as -m",
        code: "input.modelContainer")
    }
    do { return (try Bitstream(parsing: bytes), bytes.count) } catch {
      throw LocatedError(path: path, error)
    }
  }
}
