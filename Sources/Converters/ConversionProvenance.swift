import Foundation
import WeightFormat

/// What `gic-convert` records about where a container came from, in its metadata: the
/// converter's version, the input file's SHA-256 and each calibration image file's SHA-256.
///
/// Deterministic by design: no timestamps, no paths, nothing that depends on where or when the
/// conversion ran, so two conversions of the same files stay byte-identical. The model digest
/// covers metadata (spec/container.md §6), so these entries change the digest; release builds
/// whose digests are published pass `--no-provenance` (scripts/release_*.sh,
/// python/make_conformance.py).
public struct ConversionProvenance: Sendable, Equatable {
  public var converterVersion: String
  public var inputSHA256: String
  public var calibrationSHA256: [String]

  public init(converterVersion: String, inputSHA256: String, calibrationSHA256: [String]) {
    self.converterVersion = converterVersion
    self.inputSHA256 = inputSHA256
    self.calibrationSHA256 = calibrationSHA256
  }

  /// Hashes `input` and the `calibration` files.
  ///
  /// - Throws: ``WeightFormatError/io(path:reason:)`` naming a file that cannot be read.
  public init(converterVersion: String, input: String, calibration: [String]) throws {
    self.converterVersion = converterVersion
    inputSHA256 = try SHA256Hex.ofFile(path: input)
    calibrationSHA256 = try calibration.map { try SHA256Hex.ofFile(path: $0) }
  }

  /// The metadata entries (`gic.provenance.*`); no calibration entry when there is none.
  public var metadata: [String: MetadataValue] {
    var entries: [String: MetadataValue] = [
      CodecModelSchema.Key.converterVersion: .string(converterVersion),
      CodecModelSchema.Key.inputSHA256: .string(inputSHA256),
    ]
    if !calibrationSHA256.isEmpty {
      entries[CodecModelSchema.Key.calibrationSHA256] = .list(
        calibrationSHA256.map { .string($0) })
    }
    return entries
  }
}

/// The user's own metadata, given as `gic-convert --metadata key=value` (repeatable).
public enum UserMetadata {
  /// The longest key accepted.
  public static let maxKeyLength = 64

  /// The entries of `arguments` (`key=value` each) as string metadata.
  ///
  /// A key is 1…64 characters of `a`–`z`, `0`–`9`, `.`, `_` and `-`, starting with a letter,
  /// and must not start with `gic.` (gic's own keys); the value is any text, possibly empty.
  ///
  /// - Throws: ``MetadataArgumentError`` for a malformed argument, a bad or reserved key, or a
  ///   key given twice.
  public static func parse(_ arguments: [String]) throws(MetadataArgumentError)
    -> [String: MetadataValue]
  {
    var entries: [String: MetadataValue] = [:]
    for argument in arguments {
      guard let equals = argument.firstIndex(of: "=") else {
        throw .malformed(argument: argument)
      }
      let key = String(argument[..<equals])
      let value = String(argument[argument.index(after: equals)...])
      try check(key)
      guard entries[key] == nil else { throw .duplicateKey(key: key) }
      entries[key] = .string(value)
    }
    return entries
  }

  /// Checks one key.
  static func check(_ key: String) throws(MetadataArgumentError) {
    let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
    guard let first = key.first, first.isLetter, first.isASCII, key.count <= maxKeyLength,
      key.allSatisfy({ allowed.contains($0) })
    else { throw .badKey(key: key) }
    guard !key.hasPrefix(CodecModelSchema.Key.reservedPrefix) else {
      throw .reservedKey(key: key)
    }
  }
}

/// Why a `--metadata key=value` argument was refused.
public enum MetadataArgumentError: Error, Sendable, Equatable {
  /// The argument has no `=`.
  case malformed(argument: String)
  /// The key is empty, too long, or has characters outside `a`–`z`, `0`–`9`, `.`, `_`, `-`.
  case badKey(key: String)
  /// The key starts with `gic.`, the prefix of the keys gic writes itself.
  case reservedKey(key: String)
  /// The key was given twice.
  case duplicateKey(key: String)
}

extension MetadataArgumentError: GICError {
  /// A stable identifier: `metadata.malformed`, `metadata.badKey`, `metadata.reservedKey`,
  /// `metadata.duplicateKey`.
  public var code: String { "metadata." + caseName(of: self) }

  /// A one-line message naming the argument or key.
  public var description: String {
    switch self {
    case .malformed(let argument):
      "--metadata \(argument): expected key=value"
    case .badKey(let key):
      "--metadata key '\(key)': use 1…\(UserMetadata.maxKeyLength) characters of a-z, 0-9, '.', '_', '-', starting with a letter"
    case .reservedKey(let key):
      "--metadata key '\(key)': keys starting with '\(CodecModelSchema.Key.reservedPrefix)' are gic's own"
    case .duplicateKey(let key):
      "--metadata key '\(key)' is given twice"
    }
  }
}
