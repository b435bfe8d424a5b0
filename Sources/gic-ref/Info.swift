import ArgumentParser
import CLISupport
import Foundation
import ReferenceCodec

/// `gic-ref info`: print a bitstream's header.
struct Info: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print the header of a .gic bitstream (spec/bitstream.md).")

  @Argument(help: "The .gic bitstream.")
  var input: String

  @Flag(help: "Print JSON.")
  var json = false

  struct Report: Encodable {
    var input: String
    var version: String
    var profile: String
    var width: Int
    var height: Int
    var grayscale: Bool
    var modelDigestPrefix: String
    var rateIndex: Int
    var steps: Int
    var seed: UInt64?
    var headerBytes: Int
    var substreamBytes: [Int]
    var bytes: Int
    var bpp: Double
  }

  func run() throws {
    let (s, count) = try ToolInput.readBitstream(input)
    let report = Report(
      input: input, version: "\(s.major).\(s.minor)", profile: s.profile.name, width: s.width,
      height: s.height, grayscale: s.grayscale,
      modelDigestPrefix: s.modelDigestPrefix.map { String(format: "%02x", $0) }.joined(),
      rateIndex: s.rateIndex, steps: s.steps, seed: s.seed, headerBytes: s.headerLength,
      substreamBytes: s.substreams.map(\.count), bytes: count,
      bpp: Double(count * 8) / Double(s.width * s.height))
    if json {
      print(JSONOutput.encode(report))
      return
    }
    print("\(input): gic bitstream \(report.version), profile \(report.profile)")
    print("  picture     \(s.width)×\(s.height)\(s.grayscale ? ", grayscale source" : "")")
    print("  model       \(report.modelDigestPrefix)… (first 8 bytes of the model digest)")
    print(
      "  parameters  rate index \(s.rateIndex), steps \(s.steps), seed \(s.seed.map(String.init) ?? "none")"
    )
    print(
      "  bytes       \(count) = header \(s.headerLength) + substreams \(report.substreamBytes.map(String.init).joined(separator: " + "))"
    )
    print("  rate        \(String(format: "%.4f", report.bpp)) bpp")
  }
}
