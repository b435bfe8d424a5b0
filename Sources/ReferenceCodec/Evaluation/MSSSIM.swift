import Foundation

/// The multi-scale structural similarity (MS-SSIM) of two RGB pictures, as pytorch-msssim's
/// `ms_ssim(x, y, data_range=1.0)` computes it with x, y the 8-bit samples divided by 255.
///
/// pytorch-msssim's defaults, followed step by step: an 11-tap Gaussian window (σ = 1.5, made in
/// float32 and normalised there), applied separably (rows, then columns) without padding; SSIM
/// constants C1 = (0.01)², C2 = (0.03)²; five levels weighted 0.0448, 0.2856, 0.3001, 0.2363,
/// 0.1333; between levels a 2×2 average pool with padding `side % 2` on each odd side, the
/// padded zeros counted (divisor 4); relu of each level's contrast-structure mean and of the
/// last level's SSIM; the weighted product per channel, then the mean over R, G, B. This is
/// what CompressAI's `eval_model` reports as `ms-ssim-rgb`.
///
/// Implementation note: this is evaluation, not coding: it runs in `Double` (floating point is
/// allowed here because no coded bit or decoded pixel depends on it). It agrees with
/// pytorch-msssim in float64 to about 1e-12 (Tests/ReferenceCodecTests/Evaluation).
public enum MSSSIM {
  /// The level weights (Wang, Simoncelli and Bovik 2003), pytorch-msssim's defaults.
  public static let weights = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]

  /// The smallest picture side pytorch-msssim accepts: it asserts side > (11 − 1)·2⁴ = 160.
  public static let minimumSide = 161

  /// The 11-tap Gaussian window exactly as pytorch-msssim's `_fspecial_gauss_1d(11, 1.5)` makes
  /// it in float32 with torch 2.x (these are its float32 values, written out).
  ///
  /// Implementation note: computed here with a correctly rounded `exp`, two taps (±1, ±4) come
  /// out one float32 ulp away from torch's, and since the SSIM variances are differences of
  /// nearly equal sums, that moves MS-SSIM by about 2e-6. Written out, the window is torch's and
  /// the agreement is about 1e-12.
  static let window: [Double] = {
    let half: [Float] = [
      0.0010283803567290306, 0.0075987582094967365, 0.036000773310661316,
      0.10936068743467331, 0.21300552785396576, 0.26601171493530273,
    ]
    return (half + half.dropLast().reversed()).map(Double.init)
  }()

  /// The MS-SSIM of `a` and `b`, in 0…1 (1 for identical pictures).
  ///
  /// - Returns: nil if the sizes differ or a side is below ``minimumSide`` (pytorch-msssim
  ///   refuses such pictures).
  public static func value(_ a: RGBImage, _ b: RGBImage) -> Double? {
    guard a.width == b.width, a.height == b.height,
      min(a.width, a.height) >= minimumSide
    else { return nil }
    var total = 0.0
    for channel in 0..<3 {
      total += value(
        Plane(a, channel: channel), Plane(b, channel: channel))
    }
    return total / 3
  }

  /// The MS-SSIM of one channel.
  static func value(_ x: Plane, _ y: Plane) -> Double {
    var (x, y) = (x, y)
    var product = 1.0
    for level in weights.indices {
      let (ssim, cs) = similarity(x, y)
      if level < weights.count - 1 {
        product *= pow(max(cs, 0), weights[level])
        (x, y) = (x.pooled(), y.pooled())
      } else {
        product *= pow(max(ssim, 0), weights[level])
      }
    }
    return product
  }

  /// The mean SSIM and mean contrast-structure term of two planes (pytorch-msssim's `_ssim`).
  static func similarity(_ x: Plane, _ y: Plane) -> (ssim: Double, cs: Double) {
    let c1 = 0.01 * 0.01
    let c2 = 0.03 * 0.03
    let mu1 = x.filtered()
    let mu2 = y.filtered()
    let xx = x.map { $0 * $0 }.filtered()
    let yy = y.map { $0 * $0 }.filtered()
    let xy = x.combined(y, *).filtered()
    var ssimSum = 0.0
    var csSum = 0.0
    for i in mu1.values.indices {
      let (m1, m2) = (mu1.values[i], mu2.values[i])
      let (m1s, m2s, m12) = (m1 * m1, m2 * m2, m1 * m2)
      let s1 = xx.values[i] - m1s
      let s2 = yy.values[i] - m2s
      let s12 = xy.values[i] - m12
      let cs = (2 * s12 + c2) / (s1 + s2 + c2)
      csSum += cs
      ssimSum += (2 * m12 + c1) / (m1s + m2s + c1) * cs
    }
    let n = Double(mu1.values.count)
    return (ssimSum / n, csSum / n)
  }
}

extension MSSSIM {
  /// One channel of a picture, row-major, as `Double`s.
  struct Plane {
    var width: Int
    var height: Int
    var values: [Double]

    init(width: Int, height: Int, values: [Double]) {
      (self.width, self.height, self.values) = (width, height, values)
    }

    /// Channel `channel` of `image`, samples divided by 255 (data range 1).
    init(_ image: RGBImage, channel: Int) {
      let count = image.width * image.height
      self.init(
        width: image.width, height: image.height,
        values: (0..<count).map { Double(image.pixels[$0 * 3 + channel]) / 255 })
    }

    func map(_ f: (Double) -> Double) -> Plane {
      Plane(width: width, height: height, values: values.map(f))
    }

    func combined(_ other: Plane, _ f: (Double, Double) -> Double) -> Plane {
      Plane(
        width: width, height: height,
        values: zip(values, other.values).map { f($0, $1) })
    }

    /// The Gaussian window applied along the rows' direction (height) and then the columns'
    /// (width), "valid" (no padding); a side shorter than the window is left unfiltered, as
    /// pytorch-msssim's `gaussian_filter` does.
    func filtered() -> Plane {
      let w = MSSSIM.window
      var out = self
      if height >= w.count {
        let h2 = height - w.count + 1
        var v = [Double](repeating: 0, count: h2 * width)
        for r in 0..<h2 {
          for c in 0..<width {
            var s = 0.0
            for k in w.indices { s += values[(r + k) * width + c] * w[k] }
            v[r * width + c] = s
          }
        }
        out = Plane(width: width, height: h2, values: v)
      }
      guard out.width >= w.count else { return out }
      let w2 = out.width - w.count + 1
      var v = [Double](repeating: 0, count: out.height * w2)
      for r in 0..<out.height {
        for c in 0..<w2 {
          var s = 0.0
          for k in w.indices { s += out.values[r * out.width + c + k] * w[k] }
          v[r * w2 + c] = s
        }
      }
      return Plane(width: w2, height: out.height, values: v)
    }

    /// `avg_pool2d(kernel_size=2, padding=side % 2)`: the padded zeros count (divisor 4).
    func pooled() -> Plane {
      let (pr, pc) = (height % 2, width % 2)
      let (h2, w2) = ((height + 2 * pr - 2) / 2 + 1, (width + 2 * pc - 2) / 2 + 1)
      var v = [Double](repeating: 0, count: h2 * w2)
      for r in 0..<h2 {
        for c in 0..<w2 {
          var s = 0.0
          for dr in 0..<2 {
            let row = 2 * r + dr - pr
            guard row >= 0, row < height else { continue }
            for dc in 0..<2 {
              let col = 2 * c + dc - pc
              guard col >= 0, col < width else { continue }
              s += values[row * width + col]
            }
          }
          v[r * w2 + c] = s / 4
        }
      }
      return Plane(width: w2, height: h2, values: v)
    }
  }
}
