import WeightFormat

/// A `.gic` bitstream: header and entropy-coded substreams (spec/bitstream.md).
///
/// Parsing checks every field before anything is allocated from it; serializing a parsed
/// bitstream gives back the same bytes (the encoding is canonical).
public struct Bitstream: Sendable, Equatable {
  /// The 4-byte magic at offset 0.
  public static let magic: [UInt8] = [0x89, 0x47, 0x49, 0x43]
  /// The version this implementation writes, except for streams with a detail substream.
  public static let version = (major: UInt8(1), minor: UInt8(0))
  /// The minor version of a profile-3 stream with a detail substream (spec/bitstream.md §7.5).
  public static let detailMinor = UInt8(1)
  /// The minor version of a profile-3 stream with a gains substream (spec/bitstream.md §7.6)
  /// and perhaps a residual substream (§7.7).
  public static let gainsMinor = UInt8(2)
  /// The minor version of a profile-3 stream with signed gains (flags bit 2, spec/bitstream.md
  /// §7.6, version 1.3).
  public static let signedGainsMinor = UInt8(3)
  /// The most substreams a bitstream may declare.
  public static let maxSubstreams = 16
  /// The largest substream length accepted (spec/bitstream.md §5).
  public static let maxSubstreamLength = 1 << 30

  /// The codec profile a bitstream was made for (spec/bitstream.md §3): a codec profile of the
  /// package's one profile enum, recorded as its ``ModelProfile/bitstreamCode``.
  public typealias Profile = ModelProfile

  public var major: UInt8 = Bitstream.version.major
  public var minor: UInt8 = Bitstream.version.minor
  public var profile: Profile
  /// The source image was grayscale: decoders write a grayscale picture (spec §6).
  public var grayscale: Bool
  /// The first 8 bytes of the SHA-256 model digest of the container the stream was made with.
  public var modelDigestPrefix: [UInt8]
  public var width: Int
  public var height: Int
  /// The rate index (profiles with rate control; 0 otherwise).
  public var rateIndex: Int
  /// Reverse-process steps (profiles with a sampler; 0 otherwise).
  public var steps: Int
  /// The sampler's noise seed, when noise is injected.
  public var seed: UInt64?
  /// The gains substream's codes are signed, −1 … 4 (flags bit 2, spec/bitstream.md §7.6;
  /// minor version 3 or more, profile 3 with four or five substreams).
  public var signedGains = false
  /// The entropy-coded substreams, in order.
  public var substreams: [[UInt8]]

  public init(
    profile: Profile, grayscale: Bool, modelDigestPrefix: [UInt8], width: Int, height: Int,
    rateIndex: Int = 0, steps: Int = 0, seed: UInt64? = nil, substreams: [[UInt8]]
  ) {
    self.profile = profile
    self.grayscale = grayscale
    self.modelDigestPrefix = modelDigestPrefix
    self.width = width
    self.height = height
    self.rateIndex = rateIndex
    self.steps = steps
    self.seed = seed
    self.substreams = substreams
  }

  /// The stream with `detail` as its third substream and the minor version that signals it
  /// (spec/bitstream.md §2, §7.5).
  ///
  /// - Precondition: a profile-3 stream of two substreams.
  public func addingDetail(_ detail: [UInt8]) -> Bitstream {
    appendingStage(detail, after: 2, minor: Self.detailMinor)
  }

  /// The stream with `gains` as its fourth substream and the minor version that signals it
  /// (spec/bitstream.md §2, §7.6): 3 with flags bit 2 when `signed`, else 2.
  ///
  /// - Precondition: a profile-3 stream of three substreams (the third the detail substream).
  public func addingGains(_ gains: [UInt8], signed: Bool = false) -> Bitstream {
    var s = appendingStage(
      gains, after: 3, minor: signed ? Self.signedGainsMinor : Self.gainsMinor)
    s.signedGains = signed
    return s
  }

  /// The stream with `residual` as its fifth substream (spec/bitstream.md §7.7).
  ///
  /// - Precondition: a profile-3 stream of four substreams (the fourth the gains substream).
  public func addingResidual(_ residual: [UInt8]) -> Bitstream {
    appendingStage(residual, after: 4, minor: Self.gainsMinor)
  }

  /// The stream with one more detail-stage substream after `count` substreams, at `minor` or
  /// above.
  private func appendingStage(_ bytes: [UInt8], after count: Int, minor stageMinor: UInt8)
    -> Bitstream
  {
    precondition(
      profile == .gicV1 && substreams.count == count,
      "a profile-3 stream of \(count) substreams")
    var s = self
    s.minor = max(minor, stageMinor)
    s.substreams.append(bytes)
    return s
  }

  /// The detail substream (spec/bitstream.md §7.5), when the stream has one.
  public var detailSubstream: [UInt8]? {
    profile == .gicV1 && minor >= Self.detailMinor
      && (3...(minor >= Self.gainsMinor ? 5 : 3)).contains(substreams.count)
      ? substreams[2] : nil
  }

  /// The gains substream (spec/bitstream.md §7.6), when the stream has one.
  public var gainsSubstream: [UInt8]? {
    profile == .gicV1 && minor >= Self.gainsMinor && (4...5).contains(substreams.count)
      ? substreams[3] : nil
  }

  /// The residual substream (spec/bitstream.md §7.7), when the stream has one.
  public var residualSubstream: [UInt8]? {
    profile == .gicV1 && minor >= Self.gainsMinor && substreams.count == 5 ? substreams[4] : nil
  }

  /// The bytes of the detail stages' substreams (§7.5 – §7.7): 0 without them.
  public var detailStageBytes: Int {
    (detailSubstream?.count ?? 0) + (gainsSubstream?.count ?? 0)
      + (residualSubstream?.count ?? 0)
  }

  /// The bytes before the first substream.
  public var headerLength: Int { serializedHeader().count }

  /// The whole bitstream.
  ///
  /// - Precondition: the fields are within the ranges of spec/bitstream.md §2.
  public func serialized() -> [UInt8] {
    var out = serializedHeader()
    for s in substreams { out += s }
    return out
  }

  func serializedHeader() -> [UInt8] {
    precondition(modelDigestPrefix.count == 8, "8-byte digest prefix")
    precondition((1...65536).contains(width) && (1...65536).contains(height), "size")
    precondition((0...65535).contains(rateIndex) && (0...255).contains(steps), "parameters")
    precondition((1...Self.maxSubstreams).contains(substreams.count), "substream count")
    var out = Self.magic
    guard let code = profile.bitstreamCode else {
      preconditionFailure("profile \(profile.name) is not a codec profile")
    }
    out += [major, minor, code]
    precondition(
      !signedGains
        || (profile == .gicV1 && minor >= Self.signedGainsMinor
          && (4...5).contains(substreams.count)),
      "signed gains: a profile-3 stream of minor version 3 with gains")
    out.append((grayscale ? 1 : 0) | (seed != nil ? 2 : 0) | (signedGains ? 4 : 0))
    out += modelDigestPrefix
    func u16(_ v: Int) { out += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    u16(width - 1)
    u16(height - 1)
    u16(rateIndex)
    out.append(UInt8(steps))
    out.append(UInt8(substreams.count))
    if let seed {
      for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: seed >> (8 * UInt64(k)))) }
    }
    for s in substreams {
      var v = s.count
      repeat {
        let byte = UInt8(v & 0x7F)
        v >>= 7
        out.append(v == 0 ? byte : byte | 0x80)
      } while v != 0
    }
    return out
  }

  /// Parses a bitstream, checking every field (spec/bitstream.md §2–§5).
  ///
  /// - Throws: ``BitstreamError`` naming the field and offset at fault.
  public init(parsing bytes: [UInt8]) throws(BitstreamError) {
    var at = 0
    func need(_ n: Int, _ field: String) throws(BitstreamError) {
      guard bytes.count - at >= n else {
        throw .truncated(field: field, offset: at, length: bytes.count)
      }
    }
    try need(4, "magic")
    guard Array(bytes[0..<4]) == Self.magic else { throw .badMagic }
    at = 4
    try need(20, "header")
    major = bytes[4]
    minor = bytes[5]
    guard major == Self.version.major else {
      throw .unsupportedVersion(major: Int(major), minor: Int(minor))
    }
    guard let p = Profile(bitstreamCode: bytes[6]) else {
      throw .invalidField(field: "profile", offset: 6, reason: "unknown profile \(bytes[6])")
    }
    profile = p
    let flags = bytes[7]
    guard flags & ~(minor >= Self.signedGainsMinor ? 7 : 3) == 0 else {
      throw .invalidField(
        field: "flags", offset: 7, reason: "reserved bits set (0x\(String(flags, radix: 16)))")
    }
    grayscale = flags & 1 != 0
    signedGains = flags & 4 != 0
    modelDigestPrefix = Array(bytes[8..<16])
    func u16(_ o: Int) -> Int { Int(ByteOrder.littleEndian(UInt16.self, from: bytes, at: o)) }
    width = u16(16) + 1
    height = u16(18) + 1
    rateIndex = u16(20)
    steps = Int(bytes[22])
    let count = Int(bytes[23])
    at = 24
    guard (1...Self.maxSubstreams).contains(count) else {
      throw .invalidField(
        field: "substream count", offset: 23, reason: "\(count), expected 1…\(Self.maxSubstreams)")
    }
    guard !signedGains || (profile == .gicV1 && (4...5).contains(count)) else {
      throw .invalidField(
        field: "flags", offset: 7,
        reason: "signed gains (bit 2) without a gains substream: profile \(profile.name), "
          + "\(count) substreams (spec/bitstream.md §2.2)")
    }
    if flags & 2 != 0 {
      try need(8, "seed")
      seed = ByteOrder.littleEndian(UInt64.self, from: bytes, at: at)
      at += 8
    } else {
      seed = nil
    }
    var lengths: [Int] = []
    for k in 0..<count {
      let start = at
      var value = 0
      var shift = 0
      while true {
        try need(1, "substream \(k) length")
        let byte = bytes[at]
        at += 1
        value |= Int(byte & 0x7F) << shift
        if byte & 0x80 == 0 {
          guard byte != 0 || shift == 0 else {
            throw .invalidField(
              field: "substream \(k) length", offset: start,
              reason: "not the shortest encoding (spec/bitstream.md §2)")
          }
          break
        }
        shift += 7
        guard shift <= 28 else {
          throw .invalidField(
            field: "substream \(k) length", offset: start, reason: "longer than 5 bytes")
        }
      }
      guard value <= Self.maxSubstreamLength else {
        throw .invalidField(
          field: "substream \(k) length", offset: start,
          reason: "\(value) bytes exceeds the limit \(Self.maxSubstreamLength)")
      }
      lengths.append(value)
    }
    let total = lengths.reduce(0, +)
    guard bytes.count - at == total else {
      if bytes.count - at < total {
        throw .truncated(field: "substreams", offset: at, length: bytes.count)
      }
      throw .trailingBytes(offset: at + total, count: bytes.count - at - total)
    }
    var streams: [[UInt8]] = []
    for n in lengths {
      streams.append(Array(bytes[at..<(at + n)]))
      at += n
    }
    substreams = streams
  }
}

/// Why a bitstream could not be parsed or decoded.
///
/// ``description`` is a one-line message naming the field and byte offset; ``code``
/// (`bitstream.badMagic`, …) a stable identifier.
public enum BitstreamError: Error, Sendable, Equatable {
  case badMagic
  case unsupportedVersion(major: Int, minor: Int)
  case truncated(field: String, offset: Int, length: Int)
  case trailingBytes(offset: Int, count: Int)
  case invalidField(field: String, offset: Int, reason: String)
  /// The stream was made with another model.
  case modelMismatch(stream: String, model: String)
  /// The stream's profile or parameters do not fit the model.
  case incompatible(reason: String)
  /// A substream decoded to a value its syntax does not allow, or broke spec/entropy-coding.md
  /// §6; `offset` is the byte within the substream.
  case damagedSubstream(substream: String, offset: Int, reason: String)

  /// A stable identifier of the error kind.
  public var code: String {
    switch self {
    case .badMagic: "bitstream.badMagic"
    default: "bitstream." + caseName(of: self)
    }
  }
}

extension BitstreamError: GICError {
  /// A one-line message naming what is wrong and where.
  public var description: String {
    switch self {
    case .badMagic:
      "not a gic bitstream (the first 4 bytes are not 89 47 49 43)"
    case .unsupportedVersion(let major, let minor):
      "bitstream version \(major).\(minor) is not supported (this decoder reads major version \(Bitstream.version.major))"
    case .truncated(let field, let offset, let length):
      "bitstream is truncated: \(field) at byte \(offset) runs past the end (\(length) bytes)"
    case .trailingBytes(let offset, let count):
      "bitstream has \(count) unexpected bytes after the last substream, at byte \(offset)"
    case .invalidField(let field, let offset, let reason):
      "bitstream field \(field) at byte \(offset) is invalid: \(reason)"
    case .modelMismatch(let stream, let model):
      "bitstream was made with model \(stream)…, but the model given is \(model)…; decode with the model the stream was encoded with"
    case .incompatible(let reason):
      "bitstream does not fit the model: \(reason)"
    case .damagedSubstream(let substream, let offset, let reason):
      "bitstream substream \(substream) is damaged at byte \(offset) of the substream: \(reason)"
    }
  }
}
