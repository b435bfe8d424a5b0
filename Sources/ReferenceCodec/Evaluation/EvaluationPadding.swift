/// How `gic-ref eval` brings a picture to the model's stride before coding.
public enum EvaluationPadding: String, Sendable, CaseIterable, Encodable {
  /// gic's normative padding: the encoder repeats the last column and row up to a multiple of
  /// the stride and the decoder crops (spec/bitstream.md); the stream codes the picture's size.
  case gic
  /// CompressAI's `eval_model` convention: zeros around the picture, centred (left = ⌊pad/2⌋,
  /// top likewise), to a multiple of 64 (`compressai.ops.compute_padding(h, w, min_div=64)` and
  /// `F.pad(x, pad, mode="constant", value=0)`); the padded picture is coded and the decoded one
  /// cropped back. Rates stay over the original pixel count.
  case compressai

  /// CompressAI's `min_div`: 2⁶, room for six stride-2 layers.
  public static let compressAIMultiple = 64

  /// `image` padded as this convention asks before it is handed to the encoder, and the offset of
  /// the picture inside it.
  public func padded(_ image: RGBImage) -> (image: RGBImage, left: Int, top: Int) {
    guard self == .compressai else { return (image, 0, 0) }
    let m = Self.compressAIMultiple
    let (w, h) = ((image.width + m - 1) / m * m, (image.height + m - 1) / m * m)
    let (left, top) = ((w - image.width) / 2, (h - image.height) / 2)
    var pixels = [UInt8](repeating: 0, count: w * h * 3)
    let row = image.width * 3
    for y in 0..<image.height {
      let from = y * row
      let to = ((y + top) * w + left) * 3
      pixels[to..<to + row] = image.pixels[from..<from + row]
    }
    return (RGBImage(unchecked: w, height: h, pixels: pixels), left, top)
  }

  /// The `width` × `height` picture at (`left`, `top`) of `image`.
  static func crop(_ image: RGBImage, left: Int, top: Int, width: Int, height: Int) -> RGBImage {
    guard (left, top, width, height) != (0, 0, image.width, image.height) else { return image }
    var pixels: [UInt8] = []
    pixels.reserveCapacity(width * height * 3)
    for y in top..<top + height {
      let from = (y * image.width + left) * 3
      pixels += image.pixels[from..<from + width * 3]
    }
    return RGBImage(unchecked: width, height: height, pixels: pixels)
  }
}
