import Foundation
import WeightFormat

/// One line of a batch manifest (JSON Lines, snake-case keys): what became of one picture.
///
/// Every field but `input` and `seconds` is optional: an encode knows no decoded samples, a
/// failed picture only its error, a verified conformance vector no output file.
public struct BatchEntry: Codable, Sendable, Equatable {
  /// A failure: the ``GICError`` code and its one-line message.
  public struct Failure: Codable, Sendable, Equatable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
      self.code = code
      self.message = message
    }

    /// The failure `error` reports (`error` for an error that is not a ``GICError``).
    public init(_ error: any Error) {
      let gic = error as? any GICError
      self.init(code: gic?.code ?? "error", message: "\(error)")
    }
  }

  /// The picture's name in the batch (its path relative to the batch's root).
  public var input: String
  /// SHA-256 of the input file: a rerun skips the picture when it is unchanged.
  public var inputSha256: String?
  /// What the run did, such as `encode rate=0.5` (a rerun with other options codes again).
  public var options: String?
  /// The model's digest (spec/container.md §6).
  public var modelDigest: String?
  /// The output file, relative to the output directory.
  public var output: String?
  /// SHA-256 of the output file.
  public var outputSha256: String?
  /// Size of the bitstream in bytes (header included).
  public var bytes: Int?
  /// Bits per pixel of the bitstream.
  public var bpp: Double?
  public var width: Int?
  public var height: Int?
  /// SHA-256 of the decoded 8-bit RGB samples (R G B interleaved, rows top to bottom), when
  /// the run decoded the picture.
  public var rgbSha256: String?
  /// Wall-clock seconds the picture took (a report figure; it never touches a coded bit).
  public var seconds: Double
  /// Why the picture failed; nil on success.
  public var error: Failure?

  public init(input: String, seconds: Double = 0, error: Failure? = nil) {
    self.input = input
    self.seconds = seconds
    self.error = error
  }

  /// The entry as one line of JSON with a trailing newline (keys sorted, snake case).
  public func line() -> Data {
    var data = JSONText.encode(self, pretty: false) ?? Data("{}".utf8)
    data.append(0x0A)
    return data
  }

  /// Parses one line.
  ///
  /// - Throws: `DecodingError` if it is not a batch entry.
  public init(line: some DataProtocol) throws {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    self = try decoder.decode(BatchEntry.self, from: Data(line))
  }
}
