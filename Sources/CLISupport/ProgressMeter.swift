import Foundation
import WeightFormat

/// Reports progress on stderr for inputs over 100 MB: a rewritten line on a terminal, a line per
/// 10% otherwise.
public final class ProgressMeter: @unchecked Sendable {
  public static let threshold: UInt64 = 100_000_000
  public let label: String
  public let enabled: Bool
  private var lastStep = -1
  private var shown = false
  private let isTerminal = SystemCalls.isTerminal(2)

  public init(label: String, enabled: Bool) {
    self.label = label
    self.enabled = enabled
  }

  public func update(done: UInt64, total: UInt64) {
    guard enabled, total > Self.threshold else { return }
    let percent = Int(done * 100 / max(total, 1))
    let step = isTerminal ? percent : percent / 10
    guard step != lastStep else { return }
    lastStep = step
    shown = true
    let mb = String(format: "%.1f / %.1f MB", Double(done) / 1e6, Double(total) / 1e6)
    let text = "\(label): \(percent)% (\(mb))"
    FileHandle.standardError.write(Data((isTerminal ? "\r\(text)" : "\(text)\n").utf8))
  }

  public func finish() {
    if shown && isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
  }
}
