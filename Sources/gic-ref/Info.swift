import ArgumentParser
import CLISupport
import Foundation
import ReferenceCodec
import WeightFormat

/// `gic-ref info`: print a bitstream's header.
struct Info: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print the header of a .gic bitstream (spec/bitstream.md).")

  @Argument(help: "The .gic bitstream.")
  var input: String

  @OptionGroup var options: ReportOptions

  struct Report: Encodable {
    var input: String
    var version: String
    var modelDigestPrefix: String
    var headerBytes: Int
    var substreamBytes: [Int]
  }

  func run() throws {
    let (s, count) = try ToolInput.readBitstream(input)
    let summary = StreamSummary(s, bytes: count)
    let report = Report(
      input: input, version: "\(s.major).\(s.minor)",
      modelDigestPrefix: hexString(s.modelDigestPrefix), headerBytes: s.headerLength,
      substreamBytes: s.substreams.map(\.count))
    options.print(summary, report) {
      [
        "\(input): gic bitstream \(report.version), profile \(summary.profile)",
        "  picture     \(s.width)×\(s.height)\(s.grayscale ? ", grayscale source" : "")",
        "  model       \(report.modelDigestPrefix)… (first 8 bytes of the model digest)",
        "  parameters  rate index \(s.rateIndex), steps \(s.steps), seed \(s.seed.map(String.init) ?? "none")",
        "  bytes       \(count) = header \(s.headerLength) + substreams \(report.substreamBytes.map(String.init).joined(separator: " + "))",
        "  rate        \(String(format: "%.4f", summary.bpp)) bpp",
      ].joined(separator: "\n")
    }
  }
}
