import CLISupport
import Foundation
import ReferenceCodec

/// Reading the subcommands' input files, with messages that name the file.
enum ToolInput {
  /// Reads and decodes a PNG.
  ///
  /// - Parameter path: the PNG file.
  /// - Returns: the decoded picture.
  /// - Throws: ``ToolError`` naming the file (I/O errors name it already).
  static func readPNG(_ path: String) throws -> PNGDecoded {
    do { return try PNGCodec.read(path: path) } catch {
      if case .io = error { throw ToolError("\(error)") }
      throw ToolError("\(path): \(error)")
    }
  }

  /// Reads and parses a `.gic` bitstream.
  ///
  /// - Parameter path: the bitstream file.
  /// - Returns: the parsed bitstream and its size in bytes.
  /// - Throws: ``ToolError`` naming the file.
  static func readBitstream(_ path: String) throws -> (stream: Bitstream, bytes: Int) {
    let bytes: [UInt8]
    do {
      bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw ToolError("\(path): cannot read file")
    }
    do { return (try Bitstream(parsing: bytes), bytes.count) } catch {
      throw ToolError("\(path): \(error)")
    }
  }
}
