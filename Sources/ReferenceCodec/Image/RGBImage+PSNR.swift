import Foundation

extension RGBImage {
  /// The distortion between two pictures of the same size over their 8-bit samples: mean squared
  /// error and PSNR in dB (+∞ for identical pictures); nil when the sizes differ.
  ///
  /// A report, not part of coding: the only floating point here is the final division and log.
  public func distortion(to other: RGBImage) -> (psnr: Double, mse: Double)? {
    guard width == other.width, height == other.height else { return nil }
    var sum = 0
    for i in pixels.indices {
      let d = Int(pixels[i]) - Int(other.pixels[i])
      sum += d * d
    }
    let mse = Double(sum) / Double(pixels.count)
    return (mse == 0 ? Double.infinity : 10 * log10(255 * 255 / mse), mse)
  }
}
