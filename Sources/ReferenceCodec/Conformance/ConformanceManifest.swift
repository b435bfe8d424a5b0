import Foundation
import WeightFormat

/// The index of a conformance vector set (spec/conformance.md §3): `manifest.json`.
public struct ConformanceManifest: Codable, Sendable, Equatable {
  /// A model the vectors use.
  public struct Model: Codable, Sendable, Equatable {
    /// Path of the `.gicw` inside the set.
    public var file: String
    public var profile: String
    /// The container's model digest (spec/container.md §6), hexadecimal.
    public var modelDigest: String
    /// SHA-256 of the file's bytes.
    public var sha256: String

    /// The entry of the model stored at `file` in the set, with bytes `data`, loaded as `codec`.
    public init(file: String, data: Data, codec: HyperpriorCodec) {
      self.file = file
      profile = codec.profile.name
      modelDigest = codec.modelDigest
      sha256 = SHA256Hex.of(data)
    }
  }

  /// The coding parameters recorded in a vector's bitstream header.
  public struct Parameters: Codable, Sendable, Equatable {
    public var profile: String
    public var width: Int
    public var height: Int
    public var grayscale: Bool
    public var rateIndex: Int
    public var steps: Int
    /// The sampler seed as decimal text (JSON numbers lose 64-bit precision), or nil.
    public var seed: String?
    /// true when the stream has a detail substream (spec/bitstream.md §7.5); nil (absent from
    /// the JSON) otherwise, so the manifests of streams without one are as before.
    public var detail: Bool?
    /// true when the stream has a gains substream (spec/bitstream.md §7.6); nil (absent from
    /// the JSON) otherwise.
    public var gains: Bool?
    /// true when the stream has a residual substream (spec/bitstream.md §7.7); nil (absent from
    /// the JSON) otherwise.
    public var residual: Bool?

    /// The parameters in `stream`'s header.
    public init(_ stream: Bitstream) {
      (profile, width, height) = (stream.profile.name, stream.width, stream.height)
      (grayscale, rateIndex, steps) = (stream.grayscale, stream.rateIndex, stream.steps)
      seed = stream.seed.map { String($0) }
      detail = stream.detailSubstream != nil ? true : nil
      gains = stream.gainsSubstream != nil ? true : nil
      residual = stream.residualSubstream != nil ? true : nil
    }
  }

  /// One conformance vector.
  public struct Vector: Codable, Sendable, Equatable {
    public var id: String
    /// Path of the model file inside the set.
    public var model: String
    public var modelDigest: String
    public var bitstream: String
    public var bitstreamSha256: String
    /// The picture the bitstream was encoded from (informative).
    public var source: String?
    public var parameters: Parameters
    /// SHA-256 and MD5 of the decoded 8-bit RGB samples (R G B interleaved, rows top to bottom).
    public var decodedRgbSha256: String
    public var decodedRgbMd5: String
    public var decodedBytes: Int

    public init(
      id: String, model: String, modelDigest: String, bitstream: String, bitstreamSha256: String,
      source: String?, parameters: Parameters, decodedRgbSha256: String, decodedRgbMd5: String,
      decodedBytes: Int
    ) {
      self.id = id
      self.model = model
      self.modelDigest = modelDigest
      self.bitstream = bitstream
      self.bitstreamSha256 = bitstreamSha256
      self.source = source
      self.parameters = parameters
      self.decodedRgbSha256 = decodedRgbSha256
      self.decodedRgbMd5 = decodedRgbMd5
      self.decodedBytes = decodedBytes
    }
  }

  public var format: String = "gic-conformance"
  public var version: Int = 1
  public var bitstreamVersion: String
  public var models: [Model]
  public var vectors: [Vector]

  public init(bitstreamVersion: String, models: [Model], vectors: [Vector]) {
    self.bitstreamVersion = bitstreamVersion
    self.models = models
    self.vectors = vectors
  }

  /// The manifest's canonical JSON: sorted keys, two-space indentation, trailing newline.
  public func serialized() -> Data {
    var data = JSONText.encode(self) ?? Data()
    data.append(0x0A)
    return data
  }

  /// The largest manifest read: 16 MiB (a directory's `manifest.json` is refused from its size,
  /// unread).
  public static let maxBytes = 16 << 20

  /// Parses a manifest.
  ///
  /// - Throws: ``ConformanceError/invalidManifest(reason:)`` naming what is wrong.
  public init(parsing data: Data) throws(ConformanceError) {
    guard data.count <= Self.maxBytes else {
      throw .invalidManifest(reason: "manifest.json is larger than 16 MiB")
    }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    do { self = try decoder.decode(ConformanceManifest.self, from: data) } catch {
      throw .invalidManifest(reason: Self.describe(error))
    }
    guard format == "gic-conformance" else {
      throw .invalidManifest(reason: "format is \(format), expected gic-conformance")
    }
    guard version == 1 else {
      throw .invalidManifest(reason: "manifest version \(version) is not supported (1)")
    }
    var ids = Set<String>()
    for v in vectors {
      guard ids.insert(v.id).inserted else {
        throw .invalidManifest(reason: "vector id \(v.id) appears twice")
      }
      // The range check comes first: it bounds the product below (a manifest with width and
      // height of 2^32 made it overflow and trap; found while writing the FuzzManifest target).
      guard (1...65536).contains(v.parameters.width), (1...65536).contains(v.parameters.height)
      else {
        throw .invalidManifest(
          reason: "vector \(v.id): size \(v.parameters.width)×\(v.parameters.height) is outside "
            + "1…65536")
      }
      guard v.decodedBytes == v.parameters.width * v.parameters.height * 3 else {
        throw .invalidManifest(reason: "vector \(v.id): decoded_bytes does not match the size")
      }
    }
  }

  static func describe(_ error: any Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, let context):
      "missing field \(path(context.codingPath + [key]))"
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
      "wrong type at \(path(context.codingPath))"
    case DecodingError.dataCorrupted(let context):
      "not valid JSON\(context.codingPath.isEmpty ? "" : " at \(path(context.codingPath))")"
    default:
      "\(error)"
    }
  }

  static func path(_ keys: [any CodingKey]) -> String {
    keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
  }
}

/// Why a conformance set could not be read or verified.
public enum ConformanceError: Error, Sendable, Equatable {
  case invalidManifest(reason: String)
  case missingFile(path: String)
  /// A file of a set directory resolves (through a symbolic link) to a place outside the set.
  case outsideSet(path: String)

  /// A stable identifier of the error kind.
  public var code: String { "conformance." + caseName(of: self) }
}

extension ConformanceError: GICError {
  public var description: String {
    switch self {
    case .invalidManifest(let reason): "conformance manifest is invalid: \(reason)"
    case .missingFile(let path): "conformance set has no file \(path)"
    case .outsideSet(let path):
      "conformance set file \(path) leads outside the set directory (a symbolic link); refused"
    }
  }
}
