import WeightFormat

/// The most one picture may cost: working memory and pixels (docs/robustness.md §5).
///
/// A model is a program from a stranger: two zero-weight 1×1 convolutions widening g_s to
/// 65,536 channels pass every container and accumulator check, yet decoding a 768 × 512 stream
/// with them would ask for 48 GiB at once. The codec therefore computes, from the graphs, what a
/// picture of a given size needs (``HyperpriorCodec/needs(width:height:for:)``) and refuses the
/// picture — or, when even the smallest picture is too much, the model — before allocating.
public struct ResourceBudget: Sendable, Equatable {
  /// The most working memory one picture may need, in bytes (activations, symbols, pictures).
  public var maxMemory: Int
  /// The most padded pixels one picture may have.
  public var maxPixels: Int
  /// The most live activation memory one band of a transform may take: a transform whose whole
  /// run needs more runs in horizontal bands (the values do not change), so that its memory
  /// grows with the picture's width, not its area (docs/robustness.md §5).
  public var bandBytes: Int
  /// The most multiply-adds a banded run may do, as a multiple of the whole run's (halos are
  /// computed twice); a transform whose bands would do more runs whole, so that a crafted
  /// model's wide rows cannot multiply the work (its memory is then the whole run's, which the
  /// budget judges).
  public var maxBandWork: Int

  /// 8 GiB: a laptop's memory, well above the 0.5–0.7 GiB the shipped models need at the largest
  /// picture the format allows (8192 × 8192, 2^26 padded pixels; 3–5 GiB before their
  /// transforms ran in bands).
  public static let defaultMaxMemory = 8 << 30
  /// 2^26 pixels (8192 × 8192), the coded-size limit of the format.
  public static let defaultMaxPixels = HyperpriorCodec.maxPaddedPixels
  /// The defaults.
  public static let standard = ResourceBudget()

  /// 128 MiB: the shipped models run pictures of a few megapixels whole (a whole 768 × 512 decode
  /// needs 20–27 MiB) and larger ones in bands, so an 8192 × 8192 picture decodes within 1 GB.
  public static let defaultBandBytes = 128 << 20

  public init(
    maxMemory: Int = defaultMaxMemory, maxPixels: Int = defaultMaxPixels,
    bandBytes: Int = defaultBandBytes, maxBandWork: Int = 2
  ) {
    self.maxMemory = maxMemory
    self.maxPixels = maxPixels
    self.bandBytes = bandBytes
    self.maxBandWork = maxBandWork
  }
}

/// What coding one picture of a given (padded) size needs, computed from the graphs.
public struct ResourceNeeds: Sendable, Equatable, Encodable {
  /// The padded size.
  public var width: Int
  public var height: Int
  /// Peak working memory in bytes (saturating at `Int.max`): live activations (each released
  /// after its last use, as the engine does), entropy symbols and rows, and the picture.
  public var memory: Int
  /// Multiply-accumulate operations of the networks that run (saturating).
  public var multiplyAccumulates: Int
}

/// Why a picture or a model is refused before anything large is allocated.
public enum ResourceError: Error, Sendable, Equatable {
  /// The padded picture has more pixels than the budget allows.
  case tooManyPixels(width: Int, height: Int, limit: Int)
  /// Coding the picture would need more memory than the budget allows.
  case memoryExceeded(work: String, needs: ResourceNeeds, limit: Int)
  /// A graph's intermediate size is out of range for this picture (empty, beyond 2^30 on a side
  /// or beyond 2^34 pixels).
  case sizeOutOfRange(graph: String, width: Int, height: Int)

  public var code: String { "resource." + caseName(of: self) }
}

extension ResourceError: GICError {
  public var description: String {
    switch self {
    case .tooManyPixels(let w, let h, let limit):
      "a \(w)×\(h) padded picture has \(w * h) pixels, more than the limit of \(limit) "
        + "(--max-pixels)"
    case .memoryExceeded(let work, let needs, let limit):
      "\(work) a \(needs.width)×\(needs.height) padded picture with this model would need "
        + "\(ByteCount(needs.memory)) of memory and \(Self.giga(needs.multiplyAccumulates)) GMAC, "
        + "more than the limit of \(ByteCount(limit)) (--max-memory)"
    case .sizeOutOfRange(let graph, let w, let h):
      "graph \(graph): an intermediate value of a \(w)×\(h) picture would be empty or larger "
        + "than 2^30 on a side or 2^34 pixels"
    }
  }

  // Floating point only to format a message; no coded bit depends on it.
  static func giga(_ n: Int) -> String {
    n == .max ? "more than 9.2e9" : String(Double(n) / 1e9, fractionDigits: 1)
  }
}

/// A byte count as people read it: `512 MiB`, `48.0 GiB` (floating point for the text only;
/// the budget itself compares integers).
struct ByteCount: CustomStringConvertible {
  var bytes: Int
  init(_ bytes: Int) { self.bytes = bytes }

  var description: String {
    if bytes == .max { return "more than 8 EiB" }
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    if unit == 0 { return "\(bytes) bytes" }
    let rounded = value.rounded()
    return value == rounded
      ? "\(Int(rounded)) \(units[unit])" : "\(String(value, fractionDigits: 1)) \(units[unit])"
  }
}

extension String {
  /// `value` with `fractionDigits` digits after the point (no Foundation).
  init(_ value: Double, fractionDigits: Int) {
    var scale = 1.0
    for _ in 0..<fractionDigits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = scaled / Int(scale)
    let fraction = String(scaled % Int(scale))
    self =
      fractionDigits == 0
      ? "\(whole)"
      : "\(whole)." + String(repeating: "0", count: fractionDigits - fraction.count) + fraction
  }
}

/// Arithmetic that saturates at `Int.max` instead of trapping (sizes from untrusted models).
enum Saturating {
  static func product(_ factors: Int...) -> Int {
    var p = 1
    for f in factors {
      precondition(f >= 0, "sizes are not negative")
      let (r, overflow) = p.multipliedReportingOverflow(by: f)
      if overflow { return .max }
      p = r
    }
    return p
  }

  static func sum(_ terms: Int...) -> Int { terms.reduce(0, add) }

  static func add(_ a: Int, _ b: Int) -> Int {
    let (r, overflow) = a.addingReportingOverflow(b)
    return overflow ? .max : r
  }
}
