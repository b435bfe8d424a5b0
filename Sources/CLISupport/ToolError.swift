import Foundation

/// An error message that already names its file: printed as is after `error:`.
public struct ToolError: Error, CustomStringConvertible {
  public var description: String

  public init(_ message: String) { description = message }
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
