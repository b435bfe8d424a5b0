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
  }

  /// Progress of a long conversion: bytes read so far of the total.
  public typealias Progress = @Sendable (_ done: UInt64, _ total: UInt64) -> Void

  /// Reads `inputPath`, applies the profile and writes `outputPath` atomically.
  ///
  /// - Parameters:
  ///   - profile: a profile name or `auto` (detect from the array names).
  ///   - progress: called as input bytes are consumed.
  /// - Throws: ``LocatedError`` for a malformed input or output, ``ConverterError`` otherwise.
  public static func convert(
    inputPath: String, outputPath: String, profile: String = "auto",
    progress: Progress = { _, _ in }
  ) throws -> Report {
    let start = DispatchTime.now()
    let arrays = try readArrays(inputPath, progress: progress)
    let names = arrays.map(\.name)
    let chosen = try ConversionProfile.resolve(profile, names: names)
    var writer = WeightFileWriter()
    var total: UInt64 = 0
    do {
      for (name, array) in arrays {
        try writer.add(array.tensor(named: name))
        total += UInt64(array.data.count)
      }
    } catch {
      throw LocatedError(path: inputPath, error)
    }
    do {
      try writer.setMetadata("gic.profile", .string(chosen.rawValue))
      let digest = try writer.write(to: outputPath)
      let attributes = try? FileManager.default.attributesOfItem(atPath: outputPath)
      let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
      return Report(
        input: inputPath, output: outputPath, profile: chosen.rawValue, tensors: names.count,
        dataBytes: total, fileBytes: size, modelDigest: hexString(digest), seconds: seconds)
    } catch {
      throw LocatedError(path: outputPath, error)
    }
  }

  /// Reads every array of a `.npy` or `.npz` file, in file order.
  public static func readArrays(_ path: String, progress: Progress = { _, _ in }) throws
    -> [(name: String, array: NumPyArray)]
  {
    var arrays: [(name: String, array: NumPyArray)] = []
    switch try InputFile.open(path) {
    case .npy(let bytes):
      do { arrays.append((tensorName(forNPY: path), try NPYReader.read(bytes))) } catch {
        throw LocatedError(path: path, error)
      }
    case .npz(let bytes):
      do {
        let reader = try NPZReader(bytes)
        let size = reader.totalUncompressedBytes
        try reader.forEachArray(progress: { progress($0, size) }) { name, array in
          arrays.append((name, array))
        }
      } catch {
        throw LocatedError(path: path, error)
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
  /// Tensors come back bit-identical (little-endian, C order). A CDF table `t` becomes three
  /// int32 arrays in CompressAI's naming: `t._quantized_cdf`, `t._cdf_length`, `t._offset`.
  /// Quantization parameters have no `.npz` representation and are not exported.
  public static func extract(modelPath: String, outputPath: String) throws -> Int {
    let file: WeightFile
    do { file = try WeightFile.open(path: modelPath) } catch { throw LocatedError(path: modelPath, error) }
    var npz = NPZWriter()
    for t in file.tensors {
      npz.add(name: t.name, dtype: t.dtype, shape: t.shape, data: file.data(of: t))
    }
    for c in file.cdfTables {
      let t = c.table
      func int32Data(_ values: [Int32]) -> Data {
        values.map(\.littleEndian).withUnsafeBytes { Data($0) }
      }
      npz.add(
        name: c.name + "._quantized_cdf", dtype: .int32, shape: [t.count, t.stride],
        data: int32Data(t.cdf.map { Int32(bitPattern: $0) }))
      npz.add(
        name: c.name + "._cdf_length", dtype: .int32, shape: [t.count],
        data: int32Data(t.lengths.map { Int32(bitPattern: $0) }))
      npz.add(name: c.name + "._offset", dtype: .int32, shape: [t.count], data: int32Data(t.offsets))
    }
    try npz.write(to: outputPath)
    return file.tensors.count + 3 * file.cdfTables.count
  }
}
