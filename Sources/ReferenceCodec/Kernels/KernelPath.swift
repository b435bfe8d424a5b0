import CKernels

/// Which implementation of the fast kernels (`PackedConvolution`, `PackedGDN`) runs.
///
/// Every path is bit-exact: each returns exactly the values of the plain reference kernels in
/// `Graph/` (spec/integer-ops.md §7), so the choice only changes speed. Tests run every path in
/// `available` and compare.
public enum KernelPath: Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// The process default (`KernelPath.resolvedDefault`): AVX2 where the CPU has it, unless the
  /// environment variable `GIC_KERNELS=scalar` (read once, on first use) forces the portable path.
  case automatic
  /// The portable C implementation.
  case portable
  /// The AVX2 implementation (x86-64); the portable one where the CPU or build lacks AVX2.
  case avx2

  /// The paths this process can run, `.portable` first.
  public static var available: [KernelPath] {
    gic_kernels_have_avx2() != 0 ? [.portable, .avx2] : [.portable]
  }

  /// The path `.automatic` runs in this process.
  public static var resolvedDefault: KernelPath {
    gic_kernels_default_path() == Int32(GIC_KERNEL_PATH_AVX2) ? .avx2 : .portable
  }

  /// The path a call with `self` actually runs: never `.automatic`, never an unavailable one.
  public var resolved: KernelPath {
    gic_kernels_resolve_path(code) == Int32(GIC_KERNEL_PATH_AVX2) ? .avx2 : .portable
  }

  public var description: String {
    switch self {
    case .automatic: "automatic"
    case .portable: "portable"
    case .avx2: "avx2"
    }
  }

  var code: Int32 {
    switch self {
    case .automatic: Int32(GIC_KERNEL_PATH_AUTOMATIC)
    case .portable: Int32(GIC_KERNEL_PATH_PORTABLE)
    case .avx2: Int32(GIC_KERNEL_PATH_AVX2)
    }
  }
}
