import Foundation
import WeightFormat

/// `gic-ref eval`'s work: codes pictures at several operating points and measures rate,
/// distortion and time as CompressAI's `compressai.utils.eval_model` does.
///
/// Per picture and point: the 8-bit RGB picture is padded as ``padding`` says, encoded (timed:
/// `encoding_time`), serialized, decoded (timed: `decoding_time`) and cropped back; `bpp` is the
/// whole `.gic` file's bits (header included) over the original pixel count; `psnr-rgb` is
/// 10·log10(255² / MSE) over the R, G, B samples (CompressAI's `psnr` on 8-bit values, 999 for
/// identical pictures since JSON has no infinity); `ms-ssim-rgb` is ``MSSSIM``.
///
/// Implementation note: floating point here measures the codec, it is not on the coding path:
/// every coded bit and decoded pixel still comes from the integer codec.
public struct Evaluator: Sendable {
  /// One operating point: the fixed rate of a profile without rate control, a gic-v1 rate index,
  /// or a gic-v1 target rate (the rate index whose file comes closest).
  public enum Point: Sendable, Equatable {
    case fixed
    case rateIndex(Int)
    case targetBitsPerPixel(Double)
  }

  /// What one coding of one picture measured.
  public struct Measure: Sendable, Equatable {
    public var bpp: Double
    public var psnr: Double
    public var msSSIM: Double
    public var encodingTime: Double
    public var decodingTime: Double
  }

  public let codec: HyperpriorCodec
  public var padding: EvaluationPadding
  /// Reverse-process steps (gic-v1; nil for the fixed-rate profiles).
  public var steps: Int?
  public var threads: Int

  public init(codec: HyperpriorCodec, padding: EvaluationPadding, steps: Int?, threads: Int) {
    self.codec = codec
    self.padding = padding
    self.steps = steps
    self.threads = max(1, threads)
  }

  /// Codes `image` at `point` and measures it.
  ///
  /// - Throws: ``EvaluationError`` if the picture is too small for MS-SSIM; the codec's errors.
  public func measure(_ image: RGBImage, grayscale: Bool, name: String, at point: Point) throws
    -> Measure
  {
    guard min(image.width, image.height) >= MSSSIM.minimumSide else {
      throw EvaluationError.pictureTooSmall(name: name, width: image.width, height: image.height)
    }
    let (padded, left, top) = padding.padded(image)
    let start = DispatchTime.now()
    let stream: Bitstream
    switch point {
    case .fixed:
      stream = try codec.encode(padded, grayscale: grayscale, threads: threads)
    case .rateIndex(let r):
      stream = try codec.encode(
        padded, grayscale: grayscale, rateIndex: r, steps: steps ?? 0, threads: threads)
    case .targetBitsPerPixel(let b):
      stream = try codec.encode(
        padded, grayscale: grayscale, targetBitsPerPixel: b, steps: steps ?? 0, threads: threads)
    }
    let bytes = stream.serialized()
    let encodingTime = Self.seconds(since: start)
    let decodeStart = DispatchTime.now()
    let decoded = try codec.decode(try Bitstream(parsing: bytes), threads: threads)
    let decodingTime = Self.seconds(since: decodeStart)
    let output = EvaluationPadding.crop(
      decoded, left: left, top: top, width: image.width, height: image.height)
    guard let (psnr, _) = image.distortion(to: output), let msSSIM = MSSSIM.value(image, output)
    else { throw EvaluationError.sizeMismatch(name: name) }
    return Measure(
      bpp: Double(bytes.count * 8) / Double(image.width * image.height),
      psnr: psnr.isFinite ? psnr : 999, msSSIM: msSSIM, encodingTime: encodingTime,
      decodingTime: decodingTime)
  }

  /// The mean of each measure over `measures` (one list entry of CompressAI's results).
  public static func mean(_ measures: [Measure]) -> Measure {
    let n = Double(max(measures.count, 1))
    func average(_ f: (Measure) -> Double) -> Double { measures.reduce(0) { $0 + f($1) } / n }
    return Measure(
      bpp: average(\.bpp), psnr: average(\.psnr), msSSIM: average(\.msSSIM),
      encodingTime: average(\.encodingTime), decodingTime: average(\.decodingTime))
  }

  static func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
  }
}
