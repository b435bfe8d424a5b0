import ArgumentParser
import CLISupport
import Converters

/// `gic-convert inspect`: describe a `.gicw`, `.npz` or `.npy` file.
struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List the format, model digest, metadata and tensors of a .gicw, .npz or .npy file.",
    discussion: """
      The kind is taken from the extension, else the magic bytes. Each tensor is listed with its NumPy dtype \
      name, shape, quantization and the SHA-256 of its little-endian, C-order bytes. With --json \
      the report is {"file", "format", "version", "file_bytes", "model_digest", "metadata", \
      "graphs", "tensors": [{"name", "dtype", "shape", "bytes", "sha256", "quantization"}], \
      "cdf_tables"}; the stored graphs (gic.graph.*, positional lists in the container) are in \
      "graphs" with named fields: [{"name", "inputs": [{"name", "channels", "exponent", "lo", \
      "hi"}], "outputs", "nodes": [{"op", "inputs", "output", "attributes": {name: value}, \
      "parameters": [{"name", "dtype", "shape"}]}]}]. For a .npz or .npy file, "conversion" says \
      what --profile auto makes of it: {"profile" (null when refused), "architecture" (the \
      compressai.zoo model the keys look like, or null), "ignored_arrays" (empty when a profile is \
      chosen: every array is read or stored; on refusal, the arrays no profile reads), "refusal"}.
      """
  )

  @Argument(help: "The file to inspect.")
  var file: String

  @OptionGroup var options: ReportOptions

  func run() throws {
    let report = try Inspection.inspect(path: file)
    options.print(report) { report.text() }
  }
}
