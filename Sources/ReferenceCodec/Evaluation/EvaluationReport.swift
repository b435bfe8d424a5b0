/// `gic-ref eval`'s output, in the JSON layout of CompressAI's `compressai.utils.eval_model`:
/// `name`, `description` and `results` (one list entry per operating point, each the mean over
/// the pictures), so `python -m compressai.utils.plot -f FILE` reads it unchanged.
///
/// The keys CompressAI does not write (`padding`, `model`, `steps`, `rate_indices`,
/// `target_bpp`, `pictures`, `per_image`) are top-level keys the plot ignores. CompressAI's
/// `--per-image` writes one file per picture (`{"source", "name", "description", "results"}`
/// with one value per key); here each `per_image` entry has `source` (the picture's name) and
/// `results` with one list entry per operating point.
public struct EvaluationReport: Encodable, Sendable {
  /// CompressAI's `results`: parallel lists, one entry per operating point.
  public struct Results: Encodable, Sendable, Equatable {
    public var bpp: [Double] = []
    public var psnrRGB: [Double] = []
    public var msSSIMRGB: [Double] = []
    public var encodingTime: [Double] = []
    public var decodingTime: [Double] = []

    enum CodingKeys: String, CodingKey {
      case bpp
      case psnrRGB = "psnr-rgb"
      case msSSIMRGB = "ms-ssim-rgb"
      case encodingTime = "encoding_time"
      case decodingTime = "decoding_time"
    }

    public init() {}

    /// Appends one operating point's measures.
    public mutating func append(_ m: Evaluator.Measure) {
      bpp.append(m.bpp)
      psnrRGB.append(m.psnr)
      msSSIMRGB.append(m.msSSIM)
      encodingTime.append(m.encodingTime)
      decodingTime.append(m.decodingTime)
    }
  }

  /// One picture's results (with `--per-image`).
  public struct PictureResults: Encodable, Sendable {
    public var source: String
    public var results: Results

    public init(source: String, results: Results) {
      self.source = source
      self.results = results
    }
  }

  /// The model evaluated.
  public struct ModelSummary: Encodable, Sendable {
    public var path: String
    public var profile: String
    public var digest: String

    public init(path: String, profile: String, digest: String) {
      self.path = path
      self.profile = profile
      self.digest = digest
    }
  }

  public var name: String
  /// `Inference (gic-ref, padding <padding>)`, after CompressAI's `Inference (<coder>)`.
  public var description: String
  public var padding: EvaluationPadding
  public var model: ModelSummary
  public var steps: Int?
  public var rateIndices: [Int]?
  public var targetBpp: [Double]?
  public var pictures: [String]
  public var results: Results
  public var perImage: [PictureResults]?

  public init(
    name: String, padding: EvaluationPadding, model: ModelSummary, steps: Int?,
    points: [Evaluator.Point], pictures: [String], results: Results,
    perImage: [PictureResults]?
  ) {
    self.name = name
    description = "Inference (gic-ref, padding \(padding.rawValue))"
    self.padding = padding
    self.model = model
    self.steps = steps
    rateIndices = points.compactMap { if case .rateIndex(let r) = $0 { r } else { nil } }
    targetBpp = points.compactMap {
      if case .targetBitsPerPixel(let b) = $0 { b } else { nil }
    }
    if rateIndices?.isEmpty == true { rateIndices = nil }
    if targetBpp?.isEmpty == true { targetBpp = nil }
    self.pictures = pictures
    self.results = results
    self.perImage = perImage
  }
}
