import ArgumentParser
import ReferenceCodec

/// `--max-memory` and `--max-pixels`: what one picture may cost (docs/robustness.md §5).
///
/// A picture, or a model, whose needs exceed them is refused with an error saying what it would
/// need, before anything large is allocated.
struct BudgetOptions: ParsableArguments {
  @Option(
    name: .customLong("max-memory"),
    help: ArgumentHelp(
      "The most working memory one picture may need: bytes, or a number with K, M, G or T "
        + "(powers of 1024; default 8G).", valueName: "size"))
  var maxMemory: String?

  @Option(
    name: .customLong("max-pixels"),
    help: ArgumentHelp(
      "The most padded pixels one picture may have (default 67108864, 8192 × 8192).",
      valueName: "n"))
  var maxPixels: Int?

  func validate() throws {
    if let maxMemory, Self.bytes(maxMemory) == nil {
      throw ValidationError(
        "--max-memory \(maxMemory): expected bytes or a number with K, M, G or T, such as 4G")
    }
    if let maxPixels, maxPixels < 1 {
      throw ValidationError("--max-pixels must be at least 1")
    }
  }

  /// The budget the options ask for.
  var budget: ResourceBudget {
    ResourceBudget(
      maxMemory: maxMemory.flatMap(Self.bytes) ?? ResourceBudget.defaultMaxMemory,
      maxPixels: maxPixels ?? ResourceBudget.defaultMaxPixels)
  }

  /// `text` as a byte count: digits with an optional K, M, G or T (KiB … TiB); nil otherwise.
  static func bytes(_ text: String) -> Int? {
    let units: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
    var digits = Substring(text)
    var shift = 0
    if let last = text.last?.uppercased().first, let s = units[last] {
      shift = s
      digits = digits.dropLast()
    }
    guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let n = Int(digits), n >= 1,
      n <= Int.max >> shift
    else { return nil }
    return n << shift
  }
}
