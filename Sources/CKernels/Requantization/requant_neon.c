/* gic_requant_s32_s16's NEON path (aarch64 builds; chosen at build time). */
#include "../internal.h"

#if GIC_HAVE_NEON
/*
 * 8 channels at a time (gic_rq8n_apply, bit-exact with gic_requant1), the tail channels
 * portable.
 */
void gic_requant_neon(
    const int32_t *acc, ptrdiff_t acc_stride, int16_t *out, ptrdiff_t out_stride, size_t pixels,
    int channels, const int32_t *m, const int32_t *s, int32_t lo, int32_t hi) {
  const int full = channels / 8 * 8;
  for (int c = 0; c < full; c += 8) {
    const gic_rq8n k = gic_rq8n_load(m + c, s + c, lo, hi);
    for (size_t p = 0; p < pixels; p++) {
      const int32_t *a = acc + p * acc_stride + c;
      vst1q_s16(out + p * out_stride + c, gic_rq8n_apply(&k, vld1q_s32(a), vld1q_s32(a + 4)));
    }
  }
  gic_requant_channels(acc, acc_stride, out, out_stride, pixels, full, channels, m, s, lo, hi);
}

#endif
