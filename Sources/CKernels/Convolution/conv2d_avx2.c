/* The AVX2 block kernel of gic_conv2d_s16 (compiled for AVX2 per function; run-time dispatch). */
#include "../internal.h"

#if GIC_HAVE_X86
#include <immintrin.h>
#include <string.h>

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

#endif
