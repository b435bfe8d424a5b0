import WeightFormat

/// Why `gic-ref eval` cannot evaluate a picture.
public enum EvaluationError: Error, Sendable, Equatable {
  /// MS-SSIM needs both sides at least ``MSSSIM/minimumSide`` pixels (pytorch-msssim refuses
  /// smaller pictures, so CompressAI's `eval_model` cannot report them either).
  case pictureTooSmall(name: String, width: Int, height: Int)
  /// The decoded picture's size differs from the source's (a codec bug).
  case sizeMismatch(name: String)
}

extension EvaluationError: GICError {
  /// A stable identifier: `eval.pictureTooSmall`, `eval.sizeMismatch`.
  public var code: String { "eval." + caseName(of: self) }

  /// A one-line message naming the picture.
  public var description: String {
    switch self {
    case .pictureTooSmall(let name, let width, let height):
      "\(name): \(width)×\(height) is too small for MS-SSIM "
        + "(both sides must be at least \(MSSSIM.minimumSide) pixels, as pytorch-msssim asks)"
    case .sizeMismatch(let name):
      "\(name): the decoded picture's size differs from the source's"
    }
  }
}
