import CKernels

/// Which implementation of the fast kernels (`PackedConvolution`, `PackedGDN`) runs.
///
/// Every path is bit-exact: each returns exactly the values of the plain reference kernels in
/// `Graph/` (spec/integer-ops.md §7), so the choice only changes speed. Tests run every path in
/// `available` and compare.
public enum KernelPath: Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// The process default (`KernelPath.resolvedDefault`): AVX-512 VNNI, else AVX2, where the CPU
  /// has it, NEON on arm64, unless the environment variable `GIC_KERNELS` (read once, on first
  /// use) forces another: `scalar` or `portable`, `avx2`, `avx512vnni` (or `vnni`).
  case automatic
  /// The portable C implementation.
  case portable
  /// The AVX2 implementation (x86-64); the portable one where the CPU or build lacks AVX2.
  case avx2
  /// The NEON implementation (arm64 builds, where NEON is always present); the portable one
  /// elsewhere.
  case neon
  /// The AVX-512 VNNI implementation (x86-64 CPUs with AVX-512 F, BW, VL and VNNI): the
  /// convolutions' multiply–accumulate (and GDN's 1×1 convolution) in `vpdpwssd`, the other steps
  /// as `.avx2`. Where the CPU lacks it, the AVX2 path (or the portable one).
  case avx512vnni

  /// The paths this process can run, `.portable` first and the default choice last.
  public static var available: [KernelPath] {
    var paths: [KernelPath] = [.portable]
    if gic_kernels_have_avx2() != 0 { paths.append(.avx2) }
    if gic_kernels_have_avx512vnni() != 0 { paths.append(.avx512vnni) }
    if gic_kernels_have_neon() != 0 { paths.append(.neon) }
    return paths
  }

  /// The path `.automatic` runs in this process.
  public static var resolvedDefault: KernelPath {
    KernelPath(resolvedCode: gic_kernels_default_path())
  }

  /// The path a call with `self` actually runs: never `.automatic`, never an unavailable one.
  public var resolved: KernelPath {
    KernelPath(resolvedCode: gic_kernels_resolve_path(code))
  }

  public var description: String {
    switch self {
    case .automatic: "automatic"
    case .portable: "portable"
    case .avx2: "avx2"
    case .neon: "neon"
    case .avx512vnni: "avx512vnni"
    }
  }

  var code: Int32 {
    switch self {
    case .automatic: Int32(GIC_KERNEL_PATH_AUTOMATIC)
    case .portable: Int32(GIC_KERNEL_PATH_PORTABLE)
    case .avx2: Int32(GIC_KERNEL_PATH_AVX2)
    case .neon: Int32(GIC_KERNEL_PATH_NEON)
    case .avx512vnni: Int32(GIC_KERNEL_PATH_AVX512VNNI)
    }
  }

  /// The path of a resolved code (`gic_kernels_resolve_path`): portable, AVX2, AVX-512 VNNI or
  /// NEON.
  private init(resolvedCode: Int32) {
    switch resolvedCode {
    case Int32(GIC_KERNEL_PATH_AVX2): self = .avx2
    case Int32(GIC_KERNEL_PATH_NEON): self = .neon
    case Int32(GIC_KERNEL_PATH_AVX512VNNI): self = .avx512vnni
    default: self = .portable
    }
  }
}
