import Foundation
import WeightFormat

/// A tool's own error (a refused combination of inputs, a failed check): a ``GICError`` with a
/// `tool.…` or other code and a message that already names its file.
public struct ToolError: GICError {
  public var code: String
  public var description: String

  /// - Parameters:
  ///   - message: the whole message, naming the file it concerns.
  ///   - code: the stable code, such as `tool.sizeMismatch`.
  public init(_ message: String, code: String) {
    self.code = code
    description = message
  }
}

/// The version both tools report.
public enum ToolVersion {
  /// The package's version (ReferenceCodec's `version`).
  public static let string = "0.1.0"
}

/// Seconds since `start`.
public func seconds(since start: DispatchTime) -> Double {
  Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}
