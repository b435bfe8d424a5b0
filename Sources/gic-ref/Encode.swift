import ArgumentParser
import Foundation
import ReferenceCodec
import WeightFormat

/// `gic-ref encode`: PNG → `.gic`.
struct Encode: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Encode a PNG image into a .gic bitstream.",
    discussion: """
      Takes 8-bit PNGs of any size: RGB, RGBA (alpha is dropped, colours kept as stored, nothing
      composited), grayscale (coded as RGB with R = G = B and decoded back to gray) and palette.
      16-bit PNGs are refused. The picture is padded to a multiple of the model's stride (64) by
      repeating its last column and row; the decoder crops the padding away (spec/bitstream.md).
      The output is written to a temporary file and renamed into place.
      """)

  @Argument(help: "The PNG image.")
  var input: String

  @OptionGroup var options: CodecOptions

  @Option(name: .shortAndLong, help: "The .gic file to write (default: the input with .gic).")
  var output: String?

  struct Report: Encodable {
    var input: String
    var output: String
    var width: Int
    var height: Int
    var sourceFormat: String
    var droppedAlpha: Bool
    var bytes: Int
    var payloadBytes: Int
    var bpp: Double
    var modelDigest: String
    var threads: Int
    var seconds: Double
    var encodeSeconds: Double
  }

  func run() throws {
    let start = DispatchTime.now()
    let destination = output ?? Self.defaultOutput(for: input)
    let codec = try options.loadCodec()
    let decoded: PNGDecoded
    do { decoded = try PNGCodec.read(path: input) } catch {
      if case .io = error { throw ToolError("\(error)") }
      throw ToolError("\(input): \(error)")
    }
    let gray = decoded.sourceFormat == .gray || decoded.sourceFormat == .grayAlpha
    let coding = DispatchTime.now()
    let stream = try codec.encode(
      decoded.image, grayscale: gray, threads: max(1, options.threads))
    let encodeSeconds = seconds(since: coding)
    let bytes = stream.serialized()
    do {
      let file = try AtomicFileOutput(path: destination)
      try file.write(bytes)
      try file.commit()
    } catch {
      throw ToolError("\(destination): \(error)")
    }
    let pixels = Double(decoded.image.width * decoded.image.height)
    let report = Report(
      input: input, output: destination, width: decoded.image.width,
      height: decoded.image.height, sourceFormat: decoded.sourceFormat.rawValue,
      droppedAlpha: decoded.droppedAlpha, bytes: bytes.count,
      payloadBytes: stream.substreams.reduce(0) { $0 + $1.count },
      bpp: Double(bytes.count * 8) / pixels, modelDigest: codec.modelDigest,
      threads: max(1, options.threads), seconds: seconds(since: start),
      encodeSeconds: encodeSeconds)
    if options.json {
      print(JSONOutput.encode(report))
    } else if !options.quiet {
      let note = decoded.droppedAlpha ? " (alpha dropped)" : ""
      print(
        "encoded \(input) (\(report.width)×\(report.height), \(report.sourceFormat)\(note)) → "
          + "\(destination): \(report.bytes) bytes, \(String(format: "%.4f", report.bpp)) bpp, "
          + "\(String(format: "%.3f", report.encodeSeconds)) s encoding, "
          + "\(String(format: "%.3f", report.seconds)) s total")
    }
  }

  static func defaultOutput(for input: String) -> String {
    let stem = input.lowercased().hasSuffix(".png") ? String(input.dropLast(4)) : input
    return stem + ".gic"
  }
}
