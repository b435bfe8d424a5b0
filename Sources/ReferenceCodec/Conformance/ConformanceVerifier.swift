import Foundation
import WeightFormat

/// Decodes every vector of a conformance set and compares the pictures (spec/conformance.md §4).
public enum ConformanceVerifier {
  /// The outcome of one vector.
  public struct Result: Sendable, Encodable, Equatable {
    public enum Status: String, Sendable, Encodable {
      case pass
      /// The decoded picture, the bitstream or the model differs from the manifest.
      case mismatch
      /// The vector could not be decoded (a typed error; a damaged or missing file).
      case error
    }
    public var id: String
    public var status: Status
    /// What differs, or the error; empty on success.
    public var detail: String
    /// Wall-clock time of the vector (a report figure; decoding itself is integer-only).
    public var seconds: Double
  }

  /// Verifies every vector, in manifest order.
  ///
  /// - Parameters:
  ///   - manifest: the set's manifest.
  ///   - file: the bytes of a file of the set by its relative path (throws if missing).
  ///   - threads: decoder threads (the pictures do not depend on it).
  ///   - path: the kernel implementation (the pictures do not depend on it).
  ///   - budget: what one picture may cost (a vector over it is an error, not an abort).
  ///   - progress: called after each vector with (done, total, result).
  /// - Returns: one result per vector.
  public static func verify(
    _ manifest: ConformanceManifest, file: (String) throws -> Data, threads: Int = 1,
    path: KernelPath = .automatic, budget: ResourceBudget = .standard,
    progress: (Int, Int, Result) -> Void = { _, _, _ in }
  ) -> [Result] {
    var loaded: [String: HyperpriorCodec] = [:]
    var failures: [String: String] = [:]
    func codec(for model: String, digest: String) -> (HyperpriorCodec?, String) {
      if let c = loaded[model] {
        return c.modelDigest == digest
          ? (c, "")
          : (nil, "model \(model) has digest \(c.modelDigest), the vector expects \(digest)")
      }
      if let f = failures[model] { return (nil, f) }
      do {
        // Every model must be listed with its SHA-256: an unlisted one would skip the check.
        guard let entry = manifest.models.first(where: { $0.file == model }) else {
          let reason = "model \(model) is not listed under models with its SHA-256"
          failures[model] = reason
          return (nil, reason)
        }
        let data = try file(model)
        if SHA256Hex.of(data) != entry.sha256 {
          let reason = "model file \(model) differs from the manifest (SHA-256)"
          failures[model] = reason
          return (nil, reason)
        }
        let c = try HyperpriorCodec(file: try WeightFile(bytes: data), budget: budget)
        loaded[model] = c
        return codec(for: model, digest: digest)
      } catch {
        let reason = "\(model): \(error)"
        failures[model] = reason
        return (nil, reason)
      }
    }
    var results: [Result] = []
    for (k, v) in manifest.vectors.enumerated() {
      let start = DispatchTime.now()
      var result = Result(id: v.id, status: .pass, detail: "", seconds: 0)
      let (c, reason) = codec(for: v.model, digest: v.modelDigest)
      if let c {
        do {
          let bytes = try file(v.bitstream)
          if SHA256Hex.of(bytes) != v.bitstreamSha256 {
            result.status = .mismatch
            result.detail = "bitstream \(v.bitstream) differs from the manifest (SHA-256)"
          } else {
            let stream = try Bitstream(parsing: [UInt8](bytes))
            let image = try c.decode(stream, threads: threads, path: path)
            let pixels = Data(image.pixels)
            let sha = SHA256Hex.of(pixels)
            let md5 = MD5Hex.of(pixels)
            if sha != v.decodedRgbSha256 || md5 != v.decodedRgbMd5 {
              result.status = .mismatch
              result.detail =
                "decoded RGB SHA-256 \(sha) (MD5 \(md5)), expected \(v.decodedRgbSha256)"
            }
          }
        } catch {
          result.status = .error
          result.detail = "\(error)"
        }
      } else {
        result.status =
          reason.contains("differs") || reason.contains("expects") ? .mismatch : .error
        result.detail = reason
      }
      // Wall-clock time for the report only; it never touches a decoded sample.
      result.seconds =
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
      results.append(result)
      progress(k + 1, manifest.vectors.count, result)
    }
    return results
  }
}
