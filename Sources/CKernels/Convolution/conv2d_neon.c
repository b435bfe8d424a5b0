/* The NEON block kernel of gic_conv2d_s16 (aarch64 builds; chosen at build time). */
#include "../internal.h"

#if GIC_HAVE_NEON
#include <arm_neon.h>
#include <string.h>

/*
 * n pixels × 16 output channels in 4·n int32x4 accumulators (`wide`), or × the block's first 8
 * channels in 2·n when no more are valid. Per channel pair: ld2 splits the packed weights
 * [w(o, c), w(o, c+1) for o in the block] into the c and c+1 weights of 8 channels each, and
 * smlal/smlal2 by element add w(o, c)·x_c and w(o, c+1)·x_(c+1) to the accumulators. Each
 * product is exact in int32 (|w·x| ≤ 2^30) and the adds wrap modulo 2^32, so the sums equal the
 * portable path's (the same terms, summed modulo 2^32 in another order).
 */
static inline __attribute__((always_inline)) void gic_block_neon_n(
    const gic_conv_block *b, const int n, const int wide) {
  int32x4_t acc[GIC_NEON_PIXELS][4];
  const int32x4_t bias[4] = {
      vld1q_s32(b->bias), vld1q_s32(b->bias + 4), vld1q_s32(b->bias + 8),
      vld1q_s32(b->bias + 12)};
  for (int k = 0; k < n; k++) {
    for (int q = 0; q < 4; q++) acc[k][q] = bias[q];
  }
  const ptrdiff_t px = b->in_pixel;
  for (int r = 0; r < b->rows; r++) {
    const int16_t *ip = b->in + r * b->in_row;
    const int16_t *wp = b->w + r * b->w_row;
    for (int j = 0; j < b->run; j++) {
      /* w0.val[0]: w(o, c) for o = 0…7, w0.val[1]: w(o, c + 1); w1 likewise for o = 8…15. */
      const int16x8x2_t w0 = vld2q_s16(wp + 32 * j);
      const int16x8x2_t w1 = wide ? vld2q_s16(wp + 32 * j + 16) : w0;
      for (int k = 0; k < n; k++) {
        int32_t pair;
        memcpy(&pair, ip + k * px + 2 * j, sizeof pair);
        /* Lane 0: x_c, lane 1: x_(c+1) (little-endian). */
        const int16x4_t x = vreinterpret_s16_s32(vdup_n_s32(pair));
        acc[k][0] = vmlal_lane_s16(acc[k][0], vget_low_s16(w0.val[0]), x, 0);
        acc[k][0] = vmlal_lane_s16(acc[k][0], vget_low_s16(w0.val[1]), x, 1);
        acc[k][1] = vmlal_high_lane_s16(acc[k][1], w0.val[0], x, 0);
        acc[k][1] = vmlal_high_lane_s16(acc[k][1], w0.val[1], x, 1);
        if (wide) {
          acc[k][2] = vmlal_lane_s16(acc[k][2], vget_low_s16(w1.val[0]), x, 0);
          acc[k][2] = vmlal_lane_s16(acc[k][2], vget_low_s16(w1.val[1]), x, 1);
          acc[k][3] = vmlal_high_lane_s16(acc[k][3], w1.val[0], x, 0);
          acc[k][3] = vmlal_high_lane_s16(acc[k][3], w1.val[1], x, 1);
        }
      }
    }
  }
  if (b->out16 != NULL) {
    const gic_rq8n c0 = gic_rq8n_load(b->m, b->s, b->lo, b->hi);
    const gic_rq8n c1 = gic_rq8n_load(b->m + 8, b->s + 8, b->lo, b->hi);
    for (int k = 0; k < n; k++) {
      int16_t *out = b->out16 + k * b->out_pixel;
      const int16x8_t q0 = gic_rq8n_apply(&c0, acc[k][0], acc[k][1]);
      const int16x8_t q1 = wide ? gic_rq8n_apply(&c1, acc[k][2], acc[k][3]) : q0;
      if (b->valid == GIC_CONV_BLOCK) {
        vst1q_s16(out, q0);
        vst1q_s16(out + 8, q1);
      } else {
        /* Store exactly the valid channels: the next ones may be another pixel's (or thread's). */
        int16_t lanes[GIC_CONV_BLOCK];
        vst1q_s16(lanes, q0);
        vst1q_s16(lanes + 8, q1);
        memcpy(out, lanes, (size_t)b->valid * sizeof(int16_t));
      }
    }
  } else {
    for (int k = 0; k < n; k++) {
      int32_t *out = b->out + k * b->out_pixel;
      if (b->valid == GIC_CONV_BLOCK) {
        for (int q = 0; q < 4; q++) vst1q_s32(out + 4 * q, acc[k][q]);
      } else {
        int32_t lanes[GIC_CONV_BLOCK];
        for (int q = 0; q < 4; q++) vst1q_s32(lanes + 4 * q, acc[k][q]);
        memcpy(out, lanes, (size_t)b->valid * sizeof(int32_t));
      }
    }
  }
}

void gic_conv_block_neon(const gic_conv_block *b, int n) {
  if (b->valid > 8) {
    switch (n) {
    case 1: gic_block_neon_n(b, 1, 1); break;
    case 2: gic_block_neon_n(b, 2, 1); break;
    case 3: gic_block_neon_n(b, 3, 1); break;
    default: gic_block_neon_n(b, 4, 1); break;
    }
  } else {
    switch (n) {
    case 1: gic_block_neon_n(b, 1, 0); break;
    case 2: gic_block_neon_n(b, 2, 0); break;
    case 3: gic_block_neon_n(b, 3, 0); break;
    default: gic_block_neon_n(b, 4, 0); break;
    }
  }
}

#endif
