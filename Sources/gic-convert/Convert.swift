import ArgumentParser
import CLISupport
import Converters
import Foundation
import ReferenceCodec

/// `gic-convert convert`: NumPy export → `.gicw`.
struct Convert: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Convert a .npz state dict or a .npy array into a .gicw container.",
    discussion: """
      Profiles: 'raw' stores every array as-is (dtype, shape and bytes). 'compressai-tables' also \
      stores each CompressAI entropy model's CDF table as a first-class table (copied from \
      _quantized_cdf, or computed from the parameters) and a Gaussian conditional's integer \
      scale thresholds. 'bmshj2018-hyperprior', 'mbt2018-mean', 'bmshj2018-factorized', \
      'mbt2018', 'cheng2020-anchor' and 'cheng2020-attn' make codec models for gic-ref from \
      CompressAI ScaleHyperprior / MeanScaleHyperprior / FactorizedPrior / \
      JointAutoregressiveHierarchicalPriors / Cheng2020Anchor / Cheng2020Attention state dicts \
      (any N, M): int16 \
      weights per output channel, int32 accumulators with a recorded overflow bound, activation \
      formats calibrated on real images, CompressAI's CDF tables (spec/integer-ops.md). 'gic-v1' \
      converts python/gicv1 exports. 'auto' (the default) picks a profile only when it accounts \
      for every array: a codec profile when the keys and shapes are exactly those it reads, 'raw' \
      or 'compressai-tables' when the arrays are no CompressAI image model; a compressai.zoo model \
      whose arrays a profile does not read exactly is refused with \
      a message naming the architecture and the arrays no profile reads ('gic-convert inspect' \
      says what a file converts as). Empty entropy tables (an export made without update()) \
      are computed from the parameters, with a note.

      Calibration images (codec profiles): --calibration PNG files or directories of PNGs; by \
      default the calibration split of data/images/manifest.json under the current directory.

      The output is written to a temporary file and renamed into place, so a failed conversion \
      never leaves a partial file. Progress is shown on stderr for inputs over 100 MB, and for \
      calibration on a terminal.

      Provenance: the container's metadata records the converter version \
      (gic.provenance.converter_version), the input file's SHA-256 (gic.provenance.input_sha256) \
      and each calibration image file's SHA-256 (gic.provenance.calibration_sha256); no times or \
      paths, so conversions stay byte-identical. The model digest covers metadata: \
      --no-provenance leaves these out, as the release scripts do to keep published digests.

      --metadata key=value (repeatable) adds the user's own entries; keys starting with 'gic.' \
      are refused.
      """
  )

  @Argument(help: "The NumPy export: a .npz (np.savez / np.savez_compressed) or a .npy file.")
  var input: String

  @Option(name: .shortAndLong, help: "The .gicw file to write (default: the input with .gicw).")
  var output: String?

  @Option(
    help: ArgumentHelp(
      "Converter profile: "
        + (["auto"] + ConversionProfile.allCases.map(\.rawValue)).joined(separator: ", ") + "."))
  var profile: String = "auto"

  @Option(
    help: ArgumentHelp(
      "Calibration image (PNG) or directory of PNGs, for codec profiles; repeatable.",
      valueName: "path"))
  var calibration: [String] = []

  @Option(
    help: ArgumentHelp(
      "Also store this metadata entry (a string); repeatable. Keys: a-z 0-9 . _ -, not gic.*.",
      valueName: "key=value"))
  var metadata: [String] = []

  @Flag(
    name: .customLong("no-provenance"),
    help: "Do not record the converter version and input/calibration SHA-256 (release builds).")
  var noProvenance = false

  @Option(
    name: .customLong("activation-bound"),
    help: ArgumentHelp(
      "Clamp bound (1 … 32767) of one calibrated activation of a codec model, e.g. g_s.4=32767; "
        + "repeatable. A wider bound gives the activation more bits and the convolutions that "
        + "read it fewer weight bits (the int32 accumulator proof, spec/integer-ops.md §3). "
        + "Default: 4095, and the profile's own choices (gic-v1: wider in g_s).",
      valueName: "value=bound"))
  var activationBound: [String] = []

  @Option(help: "Worker threads for calibration.")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  @OptionGroup var options: ReportOptions

  func run() throws {
    let destination = output ?? Self.defaultOutput(for: input)
    let meter = ProgressMeter(label: "converting", enabled: !options.quiet)
    var entries = try UserMetadata.parse(metadata)
    let bounds = try Self.parseBounds(activationBound)
    let files = try CalibrationSet.files(
      paths: calibration, needed: { try CalibrationSet.needsCalibration(input, profile: profile) })
    let images = try CalibrationSet.images(files: files)
    if !noProvenance {
      let provenance = try ConversionProvenance(
        converterVersion: ToolVersion.string, input: input, calibration: files)
      entries.merge(provenance.metadata) { $1 }
    }
    // Calibration progress on a terminal only, and never with --json or --quiet.
    let calibrating = ProgressMeter(label: "calibrating", enabled: !options.quiet && !options.json)
    let report = try ModelConverter.convert(
      inputPath: input, outputPath: destination, profile: profile, calibration: images,
      threads: max(1, threads),
      progress: { done, total in meter.update(done: done, total: total) }, metadata: entries,
      calibrationProgress: { done, total in calibrating.pictures(done: done, total: total) },
      activationBounds: bounds)
    calibrating.finish()
    meter.finish()
    try Self.checkAsDecoder(destination)
    if !options.quiet {
      for note in report.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
    }
    options.print(report) {
      "wrote \(report.output): \(report.tensors) tensors, \(report.fileBytes) bytes, profile "
        + "\(report.profile), model digest \(report.modelDigest) "
        + "(\(String(format: "%.2f", report.seconds)) s)"
    }
  }

  /// The converter's own check: loads the written model exactly as gic-ref does
  /// (``ReferenceCodec/openModel(path:)``: the container, and for codec profiles every graph,
  /// table and accumulator bound, recomputed by the decoder and compared with the recorded one).
  ///
  /// - Throws: ``ConverterError/outputRefused(path:reason:)``, after removing the file.
  static func checkAsDecoder(_ path: String) throws {
    do { _ = try ReferenceCodec.openModel(path: path) } catch {
      try? FileManager.default.removeItem(atPath: path)
      throw ConverterError.outputRefused(path: path, reason: error.underlying.description)
    }
  }

  /// `value=bound` pairs of `--activation-bound`; the range is checked by the converter.
  static func parseBounds(_ items: [String]) throws -> [String: Int] {
    var bounds: [String: Int] = [:]
    for item in items {
      let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2, !parts[0].isEmpty, let bound = Int(parts[1]) else {
        throw ToolError(
          "--activation-bound \(item): expected value=bound, e.g. g_s.4=32767",
          code: "usage.activation-bound")
      }
      guard bounds.updateValue(bound, forKey: parts[0]) == nil else {
        throw ToolError(
          "--activation-bound names \(parts[0]) twice", code: "usage.activation-bound")
      }
    }
    return bounds
  }

  static func defaultOutput(for input: String) -> String {
    let lower = input.lowercased()
    let stem =
      lower.hasSuffix(".npz") || lower.hasSuffix(".npy") ? String(input.dropLast(4)) : input
    return stem + ".gicw"
  }
}
