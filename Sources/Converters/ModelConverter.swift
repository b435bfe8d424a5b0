import Foundation
import WeightFormat

/// Converts NumPy exports (`.npz` state dicts or single `.npy` arrays) into `.gicw` containers.
public enum ModelConverter {
  /// What a conversion did.
  public struct Report: Sendable, Codable {
    public var input: String
    public var output: String
    public var profile: String
    public var tensors: Int
    public var dataBytes: UInt64
    public var fileBytes: Int
    public var modelDigest: String
    public var seconds: Double
    /// What the conversion did that the input did not say, such as entropy tables computed
    /// because the export has empty ones.
    public var notes: [String] = []
  }

  /// Progress of a long conversion: bytes read so far of the total.
  public typealias Progress = @Sendable (_ done: UInt64, _ total: UInt64) -> Void

  /// Progress of calibration: calibration images done of the total.
  public typealias CalibrationProgress = @Sendable (_ done: Int, _ total: Int) -> Void

  /// Reads `inputPath`, applies the profile and writes `outputPath` atomically.
  ///
  /// - Parameters:
  ///   - inputPath: the `.npz` or `.npy` export.
  ///   - outputPath: the container to write.
  ///   - profile: a profile name or `auto` (detect from the array names and shapes).
  ///   - calibration: images for the codec profiles' activation ranges.
  ///   - threads: worker threads for calibration.
  ///   - progress: called as input bytes are consumed.
  ///   - metadata: more metadata entries to store (provenance, the user's `--metadata`); keys
  ///     must not collide with the profile's own.
  ///   - calibrationProgress: called after each calibration image.
  ///   - activationBounds: clamp bounds (1 … 32767) for calibrated activations by value name,
  ///     overriding the profile's (codec profiles only; every name must exist).
  /// - Returns: what was written.
  /// - Throws: ``LocatedError`` for a malformed input or output, ``ConverterError`` otherwise.
  public static func convert(
    inputPath: String, outputPath: String, profile: String = "auto",
    calibration: [CalibrationImage] = [], threads: Int = 1, progress: Progress = { _, _ in },
    metadata: [String: MetadataValue] = [:],
    calibrationProgress: CalibrationProgress = { _, _ in },
    activationBounds: [String: Int] = [:]
  ) throws -> Report {
    let start = DispatchTime.now()
    var specs: [StreamingWeightFileWriter.TensorSpec] = []
    var npz: StateDictFile?
    var npy: NumPyArray?
    let kind = try InputFile.kind(of: inputPath)
    switch kind {
    case .npz, .safetensors, .pytorch:
      let file = try StateDictFile.open(inputPath, kind: kind)
      do {
        try file?.forEachSpec { name, dtype, shape in
          specs.append(.init(name: name, dtype: dtype, shape: shape))
        }
      } catch { throw LocatedError.located(error, path: inputPath) }
      npz = file
    case .npy:
      let array = try readArrays(inputPath)[0].array
      specs.append(
        .init(name: tensorName(forNPY: inputPath), dtype: array.dtype, shape: array.shape))
      npy = array
    case .gicw:
      throw ConverterError.profileMismatch(
        profile: profile, reason: "\(inputPath) is already a .gicw container")
    }
    let chosen = try ConversionProfile.resolve(
      profile,
      shapes: Dictionary(specs.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a }))
    if let (name, bound) = activationBounds.first(where: {
      !(1...GraphQuantizer.maxActivationBound).contains($0.value)
    }) {
      throw ConverterError.profileMismatch(
        profile: chosen.rawValue,
        reason: "--activation-bound \(name)=\(bound): a bound must be 1 … 32767")
    }
    if !chosen.isCodec, !activationBounds.isEmpty {
      throw ConverterError.profileMismatch(
        profile: chosen.rawValue,
        reason:
          "--activation-bound applies to codec profiles only (this one stores arrays as they are)")
    }
    if chosen.isCodec {
      guard let npz else {
        throw ConverterError.profileMismatch(
          profile: chosen.rawValue,
          reason: "a codec profile needs a whole state dict (.npz, .safetensors, .pth)")
      }
      return try convertCodec(
        npz, profile: chosen, inputPath: inputPath, outputPath: outputPath,
        calibration: calibration, threads: threads, start: start, metadata: metadata,
        calibrationProgress: calibrationProgress, activationBounds: activationBounds)
    }
    var extra = CompressAITableProfile()
    var arrays: [String: NumPyArray] = [:]
    var notes: [String] = []
    if chosen == .compressaiTables {
      let needed = CompressAITableProfile.neededArrays(names: specs.map(\.name))
      do {
        if let npz {
          try npz.forEachArray(only: needed) { name, array in arrays[name] = array }
        } else if let npy {
          arrays[specs[0].name] = npy
        }
      } catch { throw LocatedError.located(error, path: inputPath) }
      let filled = CompressAITables.treatingEmptyTablesAsAbsent(arrays)
      notes = filled.notes
      do { extra = try CompressAITableProfile(arrays: filled.arrays) } catch {
        throw ConverterError.profileMismatch(profile: chosen.rawValue, reason: "\(error)")
      }
    }
    // A derived tensor already in the input (an extracted container converted again) must hold
    // exactly the derived values; it is then replaced, with its quantization parameters.
    var derivedNames = Set<String>()
    for (spec, data) in extra.tensors {
      derivedNames.insert(spec.name)
      guard let i = specs.firstIndex(where: { $0.name == spec.name }) else {
        specs.append(spec)
        continue
      }
      guard let existing = arrays[spec.name], existing.dtype == spec.dtype,
        existing.shape == spec.shape,
        existing.data == data
      else {
        throw ConverterError.profileMismatch(
          profile: chosen.rawValue,
          reason: "the input's \(spec.name) differs from the values derived from the scale table")
      }
      specs[i] = spec
    }
    let writer: StreamingWeightFileWriter
    do {
      writer = try StreamingWeightFileWriter(
        path: outputPath,
        metadata: metadata.merging([CodecModelSchema.Key.profile: .string(chosen.rawValue)]) {
          $1
        },
        tensors: specs,
        cdfTables: extra.cdfTables)
      for (spec, data) in extra.tensors {
        try data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
          try writer.write(tensor: spec.name, data: b)
        }
      }
    } catch { throw LocatedError.located(error, path: inputPath) }
    let total = specs.reduce(UInt64(0)) {
      $0 + UInt64($1.dtype.itemSize * (Tensor.elementCount($1.shape) ?? 0))
    }

    if let npy, !derivedNames.contains(specs[0].name) {
      do {
        try npy.data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
          try writer.write(tensor: specs[0].name, data: b)
        }
      } catch { throw LocatedError.located(error, path: outputPath) }
    } else if let npz {
      try streamMembers(
        npz, into: writer, specs: specs, skipping: derivedNames, inputPath: inputPath,
        progress: progress)
    }
    let digest: [UInt8]
    do { digest = try writer.finish() } catch {
      throw LocatedError.located(error, path: outputPath)
    }
    let attributes = try? FileManager.default.attributesOfItem(atPath: outputPath)
    let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    return Report(
      input: inputPath, output: outputPath, profile: chosen.rawValue, tensors: specs.count,
      dataBytes: total, fileBytes: size, modelDigest: hexString(digest), seconds: seconds,
      notes: notes)
  }

  /// The profile `auto` picks for a `.npz` file, from its array names and shapes.
  public static func detectProfile(inputPath: String) throws -> ConversionProfile {
    try resolveProfile(inputPath: inputPath, profile: "auto")
  }

  /// Converts a state dict with a codec profile: reads every array, calibrates, quantizes and
  /// writes the codec model.
  static func convertCodec(
    _ npz: StateDictFile, profile: ConversionProfile, inputPath: String, outputPath: String,
    calibration: [CalibrationImage], threads: Int, start: DispatchTime,
    metadata: [String: MetadataValue], calibrationProgress: CalibrationProgress,
    activationBounds: [String: Int] = [:]
  ) throws -> Report {
    var read: [String: NumPyArray] = [:]
    do { try npz.forEachArray { name, array in read[name] = array } } catch {
      throw LocatedError.located(error, path: inputPath)
    }
    let (arrays, notes) = CompressAITables.treatingEmptyTablesAsAbsent(read)
    let output: HyperpriorConversion.Output
    let shapes = arrays.mapValues(\.shape)
    if profile == .gicV1 {
      if let problem = ProfileDetection.mismatch(profile, shapes: shapes) {
        throw ConverterError.profileMismatch(
          profile: profile.rawValue,
          reason: "the arrays are not a gic-v1 export (python/gicv1/export.py): \(problem)")
      }
      output = try GICv1Conversion.convert(
        arrays: arrays, calibration: calibration, threads: threads,
        activationBounds: activationBounds, progress: calibrationProgress)
    } else if profile == .bmshj2018Factorized {
      if let problem = ProfileDetection.mismatch(profile, shapes: shapes) {
        throw ConverterError.profileMismatch(
          profile: profile.rawValue,
          reason: "the arrays are not a CompressAI bmshj2018-factorized state dict: \(problem)")
      }
      output = try FactorizedConversion.convert(
        arrays: arrays, calibration: calibration, threads: threads,
        activationBounds: activationBounds, progress: calibrationProgress)
    } else {
      let kind: HyperpriorArchitecture.Kind =
        [.mbt2018Mean, .mbt2018, .cheng2020Anchor, .cheng2020Attn].contains(profile)
        ? profile : .bmshj2018Hyperprior
      if let problem = ProfileDetection.mismatch(profile, shapes: shapes) {
        throw ConverterError.profileMismatch(
          profile: profile.rawValue,
          reason: "the arrays are not a CompressAI \(kind.rawValue) state dict: \(problem)")
      }
      output = try HyperpriorConversion.convert(
        kind: kind, arrays: arrays, calibration: calibration, threads: threads,
        activationBounds: activationBounds, progress: calibrationProgress)
    }
    var writer = WeightFileWriter()
    let digest: [UInt8]
    do {
      for (key, value) in output.metadata.merging(metadata, uniquingKeysWith: { a, _ in a }) {
        try writer.setMetadata(key, value)
      }
      for tensor in output.tensors { try writer.add(tensor) }
      for (name, table) in output.cdfTables { try writer.add(table, named: name) }
      digest = try writer.write(to: outputPath)
    } catch { throw LocatedError.located(error, path: outputPath) }
    let attributes = try? FileManager.default.attributesOfItem(atPath: outputPath)
    let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    return Report(
      input: inputPath, output: outputPath, profile: profile.rawValue,
      tensors: output.tensors.count,
      dataBytes: output.tensors.reduce(0) { $0 + UInt64($1.data.count) }, fileBytes: size,
      modelDigest: hexString(digest), seconds: seconds, notes: notes)
  }

  /// Reads every array of a `.npy` or `.npz` file, in file order.
  public static func readArrays(_ path: String, progress: Progress = { _, _ in }) throws
    -> [(name: String, array: NumPyArray)]
  {
    var arrays: [(name: String, array: NumPyArray)] = []
    switch try InputFile.kind(of: path) {
    case .npy:
      let bytes = try InputFile.map(path)
      do { arrays.append((tensorName(forNPY: path), try NPYReader.read(bytes))) } catch {
        throw LocatedError.located(error, path: path)
      }
    case .npz, .safetensors, .pytorch:
      do {
        guard let reader = try StateDictFile.open(path, kind: try InputFile.kind(of: path)) else {
          return []
        }
        let size = reader.totalBytes
        try reader.forEachArray(
          progress: { progress($0, size) }, { name, array in arrays.append((name, array)) })
      } catch {
        throw LocatedError.located(error, path: path)
      }
    case .gicw:
      throw ConverterError.profileMismatch(
        profile: "any", reason: "\(path) is already a .gicw container")
    }
    return arrays
  }

  /// The tensor name for a lone `.npy` file: its base name without the extension.
  static func tensorName(forNPY path: String) -> String {
    let base = path.split(separator: "/").last.map(String.init) ?? path
    return base.lowercased().hasSuffix(".npy") ? String(base.dropLast(4)) : base
  }

  /// Writes the tensors of a container back to a `.npz` that `numpy.load` reads.
  ///
  /// Tensors come back bit-identical (little-endian, C order). With `cdfTables`, a CDF table `t`
  /// also becomes three int32 arrays: `t.gicw.cdf` (rows padded with zeros), `t.gicw.cdf_length`
  /// and `t.gicw.offset`. Quantization parameters have no `.npz` representation and are not
  /// exported.
  ///
  /// - Returns: The number of arrays written.
  public static func extract(modelPath: String, outputPath: String, cdfTables: Bool = false) throws
    -> Int
  {
    let file: WeightFile
    do { file = try WeightFile.open(path: modelPath) } catch {
      throw LocatedError.located(error, path: modelPath)
    }
    var npz = NPZWriter()
    var names = Set<String>()
    func add(_ name: String, _ dtype: DType, _ shape: [Int], _ data: Data) throws {
      guard names.insert(name).inserted else {
        throw ConverterError.outputFailed(
          path: outputPath, reason: "two arrays would be named \(name) in the .npz")
      }
      npz.add(name: name, dtype: dtype, shape: shape, data: data)
    }
    for t in file.tensors { try add(t.name, t.dtype, t.shape, file.data(of: t)) }
    if cdfTables {
      for c in file.cdfTables {
        let t = c.table
        func int32Data(_ values: [Int32]) -> Data {
          values.map(\.littleEndian).withUnsafeBytes { Data($0) }
        }
        try add(
          c.name + ".gicw.cdf", .int32, [t.count, t.stride],
          int32Data(t.cdf.map { Int32(bitPattern: $0) }))
        try add(
          c.name + ".gicw.cdf_length", .int32, [t.count],
          int32Data(t.lengths.map { Int32(bitPattern: $0) }))
        try add(c.name + ".gicw.offset", .int32, [t.count], int32Data(t.offsets))
      }
    }
    try npz.write(to: outputPath)
    return names.count
  }
}
