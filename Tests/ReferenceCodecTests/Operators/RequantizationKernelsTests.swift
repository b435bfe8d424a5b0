import Foundation
import ReferenceCodec
import Testing

@Suite("Fast requantization kernel, channels-last layout and kernel path selection")
struct RequantizationKernelsTests {
  static let threadCounts = [1, 2, 8]

  @Test("requantization kernel equals IntegerMath.requant over the whole int32 range")
  func requantize() {
    var rng = SplitMix64(seed: 77)
    for channels in [1, 2, 7, 8, 9, 16, 17, 64, 67] {
      let pixels = Int.random(in: 1...40, using: &rng)
      var acc = (0..<(pixels * channels)).map { _ -> Int32 in
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: Int32.random(in: -70_000...70_000, using: &rng)
        case 1: [Int32.min, Int32.max, 0, -1, 1].randomElement(using: &rng)!
        default: Int32.random(in: Int32.min...Int32.max, using: &rng)
        }
      }
      acc[0] = Int32.min
      let multipliers = (0..<channels).map { _ in
        [1, Int32.max, Int32.random(in: 1...Int32.max, using: &rng)].randomElement(using: &rng)!
      }
      let shifts = (0..<channels).map { c -> Int32 in
        c < 3 ? [0, 1, 62][c] : Int32.random(in: 0...62, using: &rng)
      }
      let lo = Int32.random(in: -32767...0, using: &rng)
      let hi = Int32.random(in: lo...32767, using: &rng)
      let stride = channels + Int.random(in: 0...2, using: &rng)
      var expected = [Int16](repeating: 0x5A5A, count: pixels * stride)
      for p in 0..<pixels {
        for c in 0..<channels {
          expected[p * stride + c] = Int16(
            IntegerMath.requant(
              Int64(acc[p * channels + c]), multipliers[c], Int(shifts[c]), lo, hi))
        }
      }
      for path in KernelPath.available + [.automatic] {
        for threads in Self.threadCounts {
          var out = [Int16](repeating: 0x5A5A, count: pixels * stride)
          Requantization.requantize(
            acc, channels: channels, into: &out, stride: stride, multipliers: multipliers,
            shifts: shifts, lo: lo, hi: hi, threads: threads, path: path)
          #expect(out == expected, "\(channels) channels, \(path), \(threads) threads")
        }
      }
    }
  }

  @Test("channels-last conversion round-trips and zeroes the padding channel")
  func channelsLast() {
    var rng = SplitMix64(seed: 5)
    for (c, h, w) in [(1, 1, 1), (3, 2, 5), (4, 3, 3), (17, 4, 1)] {
      let t = ActivationTensor(
        channels: c, height: h, width: w,
        values: (0..<(c * h * w)).map { _ in Int16.random(in: -32767...32767, using: &rng) },
        exponent: 3, lo: -32767, hi: 32767)
      let cl = ChannelsLastActivations(t)
      #expect(cl.channelStride == (c + 1) / 2 * 2)
      #expect(cl.activationTensor == t)
      for y in 0..<h {
        for x in 0..<w {
          for ch in 0..<c { #expect(cl.values[(y * w + x) * cl.channelStride + ch] == t[ch, y, x]) }
          if c % 2 == 1 { #expect(cl.values[(y * w + x) * cl.channelStride + c] == 0) }
        }
      }
    }
  }

  @Test("GIC_KERNELS selects a path; AVX2, AVX-512 VNNI and NEON resolve as documented")
  func pathSelection() {
    let available = KernelPath.available
    #expect(KernelPath.portable.resolved == .portable)
    #expect(KernelPath.automatic.resolved == KernelPath.resolvedDefault)
    #expect(KernelPath.avx2.resolved == (available.contains(.avx2) ? .avx2 : .portable))
    // VNNI falls back to AVX2 (every VNNI CPU has AVX2), then to the portable path.
    let vnni: KernelPath =
      available.contains(.avx512vnni) ? .avx512vnni : available.contains(.avx2) ? .avx2 : .portable
    #expect(KernelPath.avx512vnni.resolved == vnni)
    #expect(!available.contains(.avx512vnni) || available.contains(.avx2))
    // NEON exists in arm64 builds only; on x86-64 `.neon` runs (and is tested as) the portable path.
    #expect(KernelPath.neon.resolved == (available.contains(.neon) ? .neon : .portable))
    #expect(!(available.contains(.avx2) && available.contains(.neon)))
    switch ProcessInfo.processInfo.environment["GIC_KERNELS"] {
    case "scalar", "portable": #expect(KernelPath.resolvedDefault == .portable)
    case "avx2": #expect(KernelPath.resolvedDefault == KernelPath.avx2.resolved)
    case "avx512vnni", "vnni": #expect(KernelPath.resolvedDefault == vnni)
    default: #expect(KernelPath.resolvedDefault == available.last)
    }
  }

  // Every kernel test runs each path of `KernelPath.available`; this one says whether that
  // includes AVX-512 VNNI here (skipped, with the reason, on CPUs without it).
  @Test(
    "the AVX-512 VNNI path runs in every kernel test on this CPU",
    .enabled(
      if: KernelPath.available.contains(.avx512vnni),
      "this CPU lacks AVX-512 F/BW/VL/VNNI: the kernel tests skip that path"))
  func avx512vnniCovered() {
    #expect(KernelPath.avx512vnni.resolved == .avx512vnni)
    #expect(KernelPath.avx512vnni.description == "avx512vnni")
  }
}
