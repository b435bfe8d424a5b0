/* gic_requant_s32_s16's AVX2 path (compiled for AVX2 per function; run-time dispatch). */
#include "../internal.h"

#if GIC_HAVE_X86
/* gic_requant_s32_s16's AVX2 path: 8 channels at a time, the tail channels portable. */
GIC_AVX2 void gic_requant_avx2(
    const int32_t *acc, ptrdiff_t acc_stride, int16_t *out, ptrdiff_t out_stride, size_t pixels,
    int channels, const int32_t *m, const int32_t *s, int32_t lo, int32_t hi) {
  const int full = channels / 8 * 8;
  for (int c = 0; c < full; c += 8) {
    const gic_rq8 k = gic_rq8_load(m + c, s + c, lo, hi);
    for (size_t p = 0; p < pixels; p++) {
      const __m256i a = _mm256_loadu_si256((const __m256i *)(acc + p * acc_stride + c));
      _mm_storeu_si128((__m128i *)(out + p * out_stride + c), gic_rq8_apply(&k, a));
    }
  }
  gic_requant_channels(acc, acc_stride, out, out_stride, pixels, full, channels, m, s, lo, hi);
}

#endif
