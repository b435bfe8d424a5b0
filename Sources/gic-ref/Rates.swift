import ArgumentParser
import CLISupport
import Foundation
import ReferenceCodec
import WeightFormat

/// `gic-ref rates`: the file size at every rate index of a gic-v1 model.
struct Rates: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print the coded size of a PNG at every rate index (gic-v1 models).",
    discussion: """
      Runs the analysis transforms once and entropy-codes the latent at each rate index, so the \
      whole rate curve costs little more than one encode. 'bytes' are what 'gic-ref encode --rate' \
      writes for each requested index (it codes at the index among the next 8 with the smallest \
      file, 'coded_index'); 'exact_bytes' the size when coding at exactly that index. Header \
      included; 2 steps, no seed.
      """)

  @Argument(help: "The PNG image.")
  var input: String

  @OptionGroup var options: CodecOptions

  struct Report: Encodable {
    var input: String
    var width: Int
    var height: Int
    var rateIndices: [Int]
    var codedIndices: [Int]
    var bytes: [Int]
    var bpp: [Double]
    var exactBytes: [Int]
  }

  func run() throws {
    let codec = try options.loadCodec()
    guard let rate = codec.rateVariable else {
      throw ToolError(
        "\(options.model): profile \(codec.profile.name) has a fixed rate; 'rates' needs a gic-v1 model",
        code: "tool.profile")
    }
    let decoded = try ToolInput.readPNG(input)
    let analysis = try codec.analyze(decoded.image, threads: max(1, options.threads))
    let pixels = Double(decoded.image.width * decoded.image.height)
    guard let table = try codec.rateTable(analysis, steps: 2) else {
      preconditionFailure("a gic-v1 codec has a rate table")
    }
    let (exact, coded, bytes) = (table.exactBytes, table.codedIndices, table.bytes)
    let report = Report(
      input: input, width: decoded.image.width, height: decoded.image.height,
      rateIndices: Array(0..<rate.rateLevels), codedIndices: coded, bytes: bytes,
      bpp: bytes.map { Double($0 * 8) / pixels }, exactBytes: exact)
    options.report.print(report) {
      (0..<rate.rateLevels).map { r in
        String(
          format: "%3d  %8d bytes  %.4f bpp  (coded at %3d; exactly at %3d: %8d bytes)", r,
          bytes[r], report.bpp[r], coded[r], r, exact[r])
      }.joined(separator: "\n")
    }
  }
}
