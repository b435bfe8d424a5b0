/* gic_requant_s32_s16: the portable path and the dispatch. */
#include "../internal.h"

void gic_requant_s32_s16(
    const int32_t *acc, ptrdiff_t acc_stride, int16_t *out, ptrdiff_t out_stride, size_t pixels,
    int channels, const int32_t *m, const int32_t *s, int32_t lo, int32_t hi, int path) {
#if GIC_HAVE_X86
  /* The AVX-512 VNNI path requantizes with the AVX2 code (every VNNI CPU has AVX2). */
  const int resolved = gic_kernels_resolve_path(path);
  if (resolved == GIC_KERNEL_PATH_AVX2 || resolved == GIC_KERNEL_PATH_AVX512VNNI) {
    gic_requant_avx2(acc, acc_stride, out, out_stride, pixels, channels, m, s, lo, hi);
    return;
  }
#elif GIC_HAVE_NEON
  if (gic_kernels_resolve_path(path) == GIC_KERNEL_PATH_NEON) {
    gic_requant_neon(acc, acc_stride, out, out_stride, pixels, channels, m, s, lo, hi);
    return;
  }
#else
  (void)path;
#endif
  gic_requant_channels(acc, acc_stride, out, out_stride, pixels, 0, channels, m, s, lo, hi);
}
