import Foundation
import WeightFormat

/// What `gic-convert inspect` reports about a `.gicw`, `.npz` or `.npy` file.
///
/// Encodes to the JSON of `inspect --json` (snake_case keys, NumPy dtype names).
public struct Inspection: Encodable, Sendable {
  public struct TensorInfo: Encodable, Sendable {
    public var name: String
    public var dtype: String
    public var shape: [Int]
    public var bytes: Int
    /// SHA-256 of the little-endian, C-order element bytes.
    public var sha256: String
    public var quantization: QuantizationInfo?
  }

  public struct QuantizationInfo: Encodable, Sendable {
    /// `per_tensor` or `per_axis`.
    public var kind: String
    public var axis: Int?
    public var multipliers: [Int32]
    public var shifts: [Int32]
    public var zeroPoints: [Int32]
  }

  public struct CDFTableInfo: Encodable, Sendable {
    public var name: String
    public var precision: Int
    public var distributions: Int
    public var stride: Int
    public var sha256: String
  }

  public var file: String
  /// `gicw`, `npz` or `npy`.
  public var format: String
  public var version: String
  public var fileBytes: Int
  public var modelDigest: String?
  /// Metadata entries, except the stored graphs (`gic.graph.*`), which are in ``graphs``.
  public var metadata: [String: MetadataJSON]
  /// The stored graphs, with named fields (``GraphInfo``).
  public var graphs: [GraphInfo] = []
  public var tensors: [TensorInfo]
  public var cdfTables: [CDFTableInfo]
  /// For a `.npz` or `.npy` file, what `gic-convert convert --profile auto` would make of it.
  public var conversion: ProfileDetection?

  /// Inspects the file at `path`, recognised by its magic bytes.
  public static func inspect(path: String) throws -> Inspection {
    let kind = try InputFile.kind(of: path)
    if kind == .gicw {
      let bytes = try InputFile.map(path)
      let file: WeightFile
      do { file = try WeightFile(bytes: bytes) } catch {
        throw LocatedError.located(error, path: path)
      }
      return Inspection(file: file, path: path)
    }
    // One array at a time: only its digest is kept.
    var tensors: [TensorInfo] = []
    func describe(_ name: String, _ array: NumPyArray) {
      tensors.append(
        TensorInfo(
          name: name, dtype: array.dtype.name, shape: array.shape, bytes: array.data.count,
          sha256: SHA256Hex.of(array.data), quantization: nil))
    }
    if kind == .npz {
      // Each member hashed as it inflates, never held whole (issue #17).
      do {
        try NPZReader(path: path).forEachDigest { name, header, sha256 in
          tensors.append(
            TensorInfo(
              name: name, dtype: header.dtype.name, shape: header.shape,
              bytes: Int(header.dataLength), sha256: sha256, quantization: nil))
        }
      } catch { throw LocatedError.located(error, path: path) }
    } else if let file = try StateDictFile.open(path, kind: kind) {
      do { try file.forEachArray { name, array in describe(name, array) } } catch {
        throw LocatedError.located(error, path: path)
      }
    } else {
      for (name, array) in try ModelConverter.readArrays(path) { describe(name, array) }
    }
    let size =
      (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.intValue ?? 0
    var inspection = Inspection(
      file: path, format: "\(kind)", version: "", fileBytes: size,
      modelDigest: nil, metadata: [:], tensors: tensors, cdfTables: [])
    inspection.conversion = ProfileDetection.detect(
      shapes: Dictionary(tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a }))
    return inspection
  }

  init(
    file: String, format: String, version: String, fileBytes: Int, modelDigest: String?,
    metadata: [String: MetadataJSON], tensors: [TensorInfo], cdfTables: [CDFTableInfo]
  ) {
    self.file = file
    self.format = format
    self.version = version
    self.fileBytes = fileBytes
    self.modelDigest = modelDigest
    self.metadata = metadata
    self.tensors = tensors
    self.cdfTables = cdfTables
  }

  init(file: WeightFile, path: String) {
    let graphs = GraphInfo.all(in: file)
    let graphKeys = Set(graphs.map { GraphDescription.metadataKey($0.name) })
    self.init(
      file: path, format: "gicw", version: "\(file.major).\(file.minor)",
      fileBytes: file.fileLength, modelDigest: file.modelDigestHex,
      metadata: Dictionary(
        uniqueKeysWithValues: file.metadata.filter { !graphKeys.contains($0.key) }.map {
          ($0.key, MetadataJSON($0.value))
        }),
      tensors: file.tensors.map { t in
        TensorInfo(
          name: t.name, dtype: t.dtype.name, shape: t.shape, bytes: Int(t.dataLength),
          sha256: hexString(t.sha256), quantization: t.quantization.map(QuantizationInfo.init))
      },
      cdfTables: file.cdfTables.map {
        CDFTableInfo(
          name: $0.name, precision: $0.table.precision, distributions: $0.table.count,
          stride: $0.table.stride, sha256: hexString($0.sha256))
      })
    self.graphs = graphs
  }

  /// The report as human-readable text.
  public func text() -> String {
    var lines: [String] = []
    lines.append("file:         \(file) (\(fileBytes) bytes)")
    lines.append("format:       \(format)\(version.isEmpty ? "" : " " + version)")
    if let modelDigest { lines.append("model digest: \(modelDigest)") }
    if !metadata.isEmpty {
      lines.append("metadata:")
      for key in metadata.keys.sorted() { lines.append("  \(key) = \(metadata[key]?.text ?? "")") }
    }
    if !graphs.isEmpty {
      lines.append("graphs:")
      lines += graphs.flatMap(\.textLines)
    }
    let total = tensors.reduce(0) { $0 + $1.bytes }
    lines.append("tensors:      \(tensors.count) (\(total) data bytes)")
    let nameWidth = min(60, tensors.map(\.name.count).max() ?? 4)
    for t in tensors {
      let shape =
        "(" + t.shape.map(String.init).joined(separator: ", ") + (t.shape.count == 1 ? ",)" : ")")
      var line =
        "  " + t.name.padding(toLength: max(nameWidth, t.name.count), withPad: " ", startingAt: 0)
      line += "  " + t.dtype.padding(toLength: 7, withPad: " ", startingAt: 0)
      line += "  " + shape.padding(toLength: max(18, shape.count), withPad: " ", startingAt: 0)
      line += "  " + String(t.sha256.prefix(16))
      if let q = t.quantization {
        line += "  quantized \(q.kind)" + (q.axis.map { " axis \($0)" } ?? "")
      }
      lines.append(line)
    }
    if !cdfTables.isEmpty {
      lines.append("cdf tables:   \(cdfTables.count)")
      for c in cdfTables {
        lines.append(
          "  \(c.name)  \(c.distributions) distributions × \(c.stride) entries, precision \(c.precision)  "
            + String(c.sha256.prefix(16)))
      }
    }
    if let conversion {
      if let profile = conversion.profile {
        lines.append("converts as: \(profile) (--profile auto)")
      } else {
        lines.append("converts as: refused by --profile auto: \(conversion.refusal ?? "")")
      }
    }
    return lines.joined(separator: "\n")
  }
}

extension Inspection.QuantizationInfo {
  init(_ q: Quantization) {
    let p = q.parameters
    switch q {
    case .perTensor:
      kind = "per_tensor"
      axis = nil
    case .perAxis(let a, _):
      kind = "per_axis"
      axis = a
    }
    multipliers = p.map(\.multiplier)
    shifts = p.map(\.shift)
    zeroPoints = p.map(\.zeroPoint)
  }
}
