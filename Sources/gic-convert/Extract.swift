import ArgumentParser
import Converters

/// `gic-convert extract`: write a container's tensors back to a `.npz`.
struct Extract: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write the tensors of a .gicw container back to a .npz that numpy.load reads.",
    discussion: """
      Tensors come back bit-identical (little-endian, C order), so converting the extracted .npz \
      again gives the same container. With --cdf-tables, each CDF table T is also written as the \
      int32 arrays T.gicw.cdf, T.gicw.cdf_length and T.gicw.offset. Quantization parameters are \
      not exported (inspect shows them).
      """
  )

  @Argument(help: "The .gicw file to read.")
  var model: String

  @Option(name: .shortAndLong, help: "The .npz file to write (default: the model with .npz).")
  var output: String?

  @Flag(help: "Also write every CDF table as three int32 arrays.")
  var cdfTables = false

  @Flag(name: .shortAndLong, help: "Print nothing but errors.")
  var quiet = false

  func run() throws {
    let destination =
      output ?? (model.lowercased().hasSuffix(".gicw") ? String(model.dropLast(5)) : model) + ".npz"
    let count = try ModelConverter.extract(
      modelPath: model, outputPath: destination, cdfTables: cdfTables)
    if !quiet { print("wrote \(destination): \(count) arrays") }
  }
}
