/* The AVX2 block kernel of gic_conv2d_s16 (compiled for AVX2 per function; run-time dispatch). */
#include "internal.h"

#if GIC_HAVE_X86
#include <immintrin.h>
#include <string.h>

#define GIC_AVX2 __attribute__((target("avx2")))

/*
 * Requantization of 8 channels (spec §2.2): vpmuldq forms the exact 64-bit products of the even
 * and the odd lanes; the rounding term 2^(s−1) comes from vpsllvq (a count of −1, i.e. ≥ 64,
 * gives 0 for s = 0); AVX2 has no 64-bit arithmetic shift, so negative values are shifted as
 * ~(~v >> s), which equals floor(v / 2^s). Clamping in 64 bits, then packing to int16.
 */
typedef struct gic_rq8 {
  __m256i m, m_odd, s_even, s_odd, r_even, r_odd, lo, hi;
} gic_rq8;

GIC_AVX2 static inline __attribute__((always_inline)) gic_rq8 gic_rq8_load(
    const int32_t *m, const int32_t *s, int32_t lo, int32_t hi) {
  const __m256i one = _mm256_set1_epi64x(1);
  gic_rq8 c;
  c.m = _mm256_loadu_si256((const __m256i *)m);
  const __m256i sv = _mm256_loadu_si256((const __m256i *)s);
  /* 64-bit lanes: the even channels' (low halves) and the odd channels' multipliers/shifts. */
  c.m_odd = _mm256_srli_epi64(c.m, 32);
  c.s_even = _mm256_and_si256(sv, _mm256_set1_epi64x(0xFFFFFFFF));
  c.s_odd = _mm256_srli_epi64(sv, 32);
  c.r_even = _mm256_sllv_epi64(one, _mm256_sub_epi64(c.s_even, one));
  c.r_odd = _mm256_sllv_epi64(one, _mm256_sub_epi64(c.s_odd, one));
  c.lo = _mm256_set1_epi64x(lo);
  c.hi = _mm256_set1_epi64x(hi);
  return c;
}

GIC_AVX2 static inline __attribute__((always_inline)) __m128i gic_rq8_apply(
    const gic_rq8 *c, __m256i a) {
  const __m256i zero = _mm256_setzero_si256();
  __m256i v[2];
  v[0] = _mm256_add_epi64(_mm256_mul_epi32(a, c->m), c->r_even);
  v[1] = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), c->m_odd), c->r_odd);
  for (int h = 0; h < 2; h++) {
    const __m256i sign = _mm256_cmpgt_epi64(zero, v[h]);
    __m256i t = _mm256_xor_si256(v[h], sign);
    t = _mm256_srlv_epi64(t, h == 0 ? c->s_even : c->s_odd);
    t = _mm256_xor_si256(t, sign);
    t = _mm256_blendv_epi8(t, c->lo, _mm256_cmpgt_epi64(c->lo, t));
    t = _mm256_blendv_epi8(t, c->hi, _mm256_cmpgt_epi64(t, c->hi));
    v[h] = t;
  }
  /* Low 32 bits of each even lane, the odd lanes shifted into the high halves. */
  const __m256i q = _mm256_blend_epi32(v[0], _mm256_slli_epi64(v[1], 32), 0xAA);
  return _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
}

/*
 * n pixels × 16 output channels in 2·n ymm accumulators (`wide`), or × the block's first 8
 * channels in n accumulators when no more are valid (small C_out, e.g. a decoder's last layer).
 * Per channel pair: the weight vectors (8 channels × the pair each), one broadcast of the
 * pixel's pair, and vpmaddwd, whose 32-bit lane sums w[o, c]·x_c + w[o, c+1]·x_(c+1) wrap
 * exactly like the portable path's sums.
 */
GIC_AVX2 static inline __attribute__((always_inline)) void gic_block_n(
    const gic_conv_block *b, const int n, const int wide) {
  __m256i acc[GIC_AVX2_PIXELS][2];
  const __m256i bias0 = _mm256_loadu_si256((const __m256i *)b->bias);
  const __m256i bias1 = _mm256_loadu_si256((const __m256i *)(b->bias + 8));
  for (int k = 0; k < n; k++) {
    acc[k][0] = bias0;
    acc[k][1] = bias1;
  }
  const ptrdiff_t px = b->in_pixel;
  for (int r = 0; r < b->rows; r++) {
    const int16_t *ip = b->in + r * b->in_row;
    const int16_t *wp = b->w + r * b->w_row;
    for (int j = 0; j < b->run; j++) {
      const __m256i w0 = _mm256_loadu_si256((const __m256i *)(wp + 32 * j));
      const __m256i w1 = wide ? _mm256_loadu_si256((const __m256i *)(wp + 32 * j + 16)) : w0;
      for (int k = 0; k < n; k++) {
        int32_t pair;
        memcpy(&pair, ip + k * px + 2 * j, sizeof pair);
        const __m256i x = _mm256_set1_epi32(pair);
        acc[k][0] = _mm256_add_epi32(acc[k][0], _mm256_madd_epi16(x, w0));
        if (wide) acc[k][1] = _mm256_add_epi32(acc[k][1], _mm256_madd_epi16(x, w1));
      }
    }
  }
  if (b->out16 != NULL) {
    const gic_rq8 c0 = gic_rq8_load(b->m, b->s, b->lo, b->hi);
    const gic_rq8 c1 = gic_rq8_load(b->m + 8, b->s + 8, b->lo, b->hi);
    for (int k = 0; k < n; k++) {
      int16_t *out = b->out16 + k * b->out_pixel;
      const __m128i q0 = gic_rq8_apply(&c0, acc[k][0]);
      const __m128i q1 = wide ? gic_rq8_apply(&c1, acc[k][1]) : q0;
      if (b->valid == GIC_CONV_BLOCK) {
        _mm_storeu_si128((__m128i *)out, q0);
        _mm_storeu_si128((__m128i *)(out + 8), q1);
      } else {
        int16_t lanes[GIC_CONV_BLOCK];
        _mm_storeu_si128((__m128i *)lanes, q0);
        _mm_storeu_si128((__m128i *)(lanes + 8), q1);
        memcpy(out, lanes, (size_t)b->valid * sizeof(int16_t));
      }
    }
  } else if (b->valid == GIC_CONV_BLOCK) {
    for (int k = 0; k < n; k++) {
      int32_t *out = b->out + k * b->out_pixel;
      _mm256_storeu_si256((__m256i *)out, acc[k][0]);
      _mm256_storeu_si256((__m256i *)(out + 8), acc[k][1]);
    }
  } else {
    /* Store exactly the valid channels: the next ones may be another pixel's (or thread's). */
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(b->valid), lane);
    const __m256i mask1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(b->valid - 8), lane);
    for (int k = 0; k < n; k++) {
      int32_t *out = b->out + k * b->out_pixel;
      _mm256_maskstore_epi32(out, mask0, acc[k][0]);
      if (wide) _mm256_maskstore_epi32(out + 8, mask1, acc[k][1]);
    }
  }
}

GIC_AVX2 void gic_conv_block_avx2(const gic_conv_block *b, int n) {
  if (b->valid > 8) {
    switch (n) {
    case 1: gic_block_n(b, 1, 1); break;
    case 2: gic_block_n(b, 2, 1); break;
    case 3: gic_block_n(b, 3, 1); break;
    case 4: gic_block_n(b, 4, 1); break;
    case 5: gic_block_n(b, 5, 1); break;
    default: gic_block_n(b, 6, 1); break;
    }
  } else {
    switch (n) {
    case 1: gic_block_n(b, 1, 0); break;
    case 2: gic_block_n(b, 2, 0); break;
    case 3: gic_block_n(b, 3, 0); break;
    case 4: gic_block_n(b, 4, 0); break;
    case 5: gic_block_n(b, 5, 0); break;
    default: gic_block_n(b, 6, 0); break;
    }
  }
}

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
  for (size_t p = 0; p < pixels; p++) {
    for (int c = full; c < channels; c++) {
      out[p * out_stride + c] = gic_requant1(acc[p * acc_stride + c], m[c], s[c], lo, hi);
    }
  }
}

#endif
