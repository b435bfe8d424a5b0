import Foundation
import WeightFormat

/// Reports progress on stderr: for inputs over 100 MB, a rewritten line on a terminal and a line
/// per 10% otherwise; for batches (``pictures(done:total:)``), pictures done, rate and time left
/// on a terminal only.
///
/// Implementation note: `@unchecked Sendable` because callers serialize their calls (a batch
/// reports under its own lock).
public final class ProgressMeter: @unchecked Sendable {
  public static let threshold: UInt64 = 100_000_000
  public let label: String
  public let enabled: Bool
  private var lastStep = -1
  private var shown = false
  private let isTerminal = SystemCalls.isTerminal(2)
  private let start = DispatchTime.now()

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

  /// Shows `done` of `total` pictures, the rate since the meter was made and the time left, on
  /// a rewritten line when stderr is a terminal; nothing otherwise.
  public func pictures(done: Int, total: Int) {
    guard enabled, isTerminal else { return }
    shown = true
    let elapsed = seconds(since: start)
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    let left = rate > 0 ? Int((Double(total - done) / rate).rounded()) : 0
    let text =
      "\(label): \(done)/\(total) pictures, "
      + String(format: "%.1f/s, %d:%02d left", rate, left / 60, left % 60)
    FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
  }

  public func finish() {
    if shown && isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
  }
}
