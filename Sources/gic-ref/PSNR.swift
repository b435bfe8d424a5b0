import ArgumentParser
import CLISupport
import Foundation
import ReferenceCodec

/// `gic-ref psnr`: compare two PNGs.
struct PSNR: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "psnr",
    abstract: "Print the PSNR (dB) between two PNG images of the same size (8-bit RGB samples).")

  @Argument(help: "The reference PNG.")
  var reference: String

  @Argument(help: "The PNG to compare.")
  var test: String

  @OptionGroup var options: ReportOptions

  struct Report: Encodable {
    var psnr: Double
    var mse: Double
    var width: Int
    var height: Int
  }

  func run() throws {
    let a = try ToolInput.readPNG(reference).image
    let b = try ToolInput.readPNG(test).image
    guard let (psnr, mse) = a.distortion(to: b) else {
      throw ToolError(
        "\(test) is \(b.width)×\(b.height), \(reference) is \(a.width)×\(a.height): sizes differ",
        code: "tool.sizeMismatch")
    }
    // JSON has no infinity: identical images report 999.
    let report = Report(
      psnr: psnr.isFinite ? psnr : 999, mse: mse, width: a.width, height: a.height)
    options.print(report) {
      psnr.isFinite ? String(format: "%.4f dB (MSE %.4f)", psnr, mse) : "identical (PSNR ∞)"
    }
  }
}
