/* Requantization (spec/integer-ops.md §2.2): clamp(rshift(a · m, s), lo, hi) of int32
 * accumulators, one value at a time (portable) and 8 channels at a time (AVX2, NEON). Every kernel
 * with a requantized output uses these; gic_requant_s32_s16 (requant.c) is the stand-alone kernel. */
#ifndef GIC_CKERNELS_REQUANT_H
#define GIC_CKERNELS_REQUANT_H

#include "CKernels.h"

void gic_requant_avx2(
    const int32_t *acc, ptrdiff_t acc_stride, int16_t *out, ptrdiff_t out_stride, size_t pixels,
    int channels, const int32_t *m, const int32_t *s, int32_t lo, int32_t hi);
void gic_requant_neon(
    const int32_t *acc, ptrdiff_t acc_stride, int16_t *out, ptrdiff_t out_stride, size_t pixels,
    int channels, const int32_t *m, const int32_t *s, int32_t lo, int32_t hi);

/* The portable requantization of one value. */
static inline int16_t gic_requant1(int32_t a, int32_t m, int32_t s, int32_t lo, int32_t hi) {
  /* |a| ≤ 2^31 and m < 2^31: |a·m| < 2^62, and adding 2^(s−1) ≤ 2^61 cannot overflow. */
  int64_t v = (int64_t)a * (int64_t)m;
  if (s > 0) v = (v + ((int64_t)1 << (s - 1))) >> s; /* arithmetic shift (two's complement) */
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return (int16_t)v;
}

/* Channels first ..< channels of every pixel, one value at a time: the portable path, and the
 * tail channels of the vector paths. */
static inline void gic_requant_channels(
    const int32_t *acc, ptrdiff_t acc_stride, int16_t *out, ptrdiff_t out_stride, size_t pixels,
    int first, int channels, const int32_t *m, const int32_t *s, int32_t lo, int32_t hi) {
  for (size_t p = 0; p < pixels; p++) {
    for (int c = first; c < channels; c++) {
      out[p * out_stride + c] = gic_requant1(acc[p * acc_stride + c], m[c], s[c], lo, hi);
    }
  }
}

#if GIC_HAVE_X86
#include <immintrin.h>

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
#endif

#if GIC_HAVE_NEON
#include <arm_neon.h>

/*
 * Requantization of 8 channels (spec §2.2) on NEON, bit-exact with gic_requant1: smull/smull2
 * form the exact 64-bit products a·m; srshl by −s is the rounding shift (v + 2^(s−1)) >> s with
 * an arithmetic shift, computed without intermediate overflow (and the identity for s = 0);
 * sqxtn saturates to int32, which changes nothing after the clamp to [lo, hi] ⊂ int32 that
 * follows; the clamped values fit int16, so the final narrowing is exact.
 */
typedef struct gic_rq8n {
  int32x4_t m0, m1, lo, hi;
  /* −s per 64-bit lane: channels 0–1, 2–3, 4–5, 6–7. */
  int64x2_t ns[4];
} gic_rq8n;

static inline __attribute__((always_inline)) gic_rq8n gic_rq8n_load(
    const int32_t *m, const int32_t *s, int32_t lo, int32_t hi) {
  gic_rq8n c;
  c.m0 = vld1q_s32(m);
  c.m1 = vld1q_s32(m + 4);
  const int32x4_t s0 = vld1q_s32(s), s1 = vld1q_s32(s + 4);
  c.ns[0] = vnegq_s64(vmovl_s32(vget_low_s32(s0)));
  c.ns[1] = vnegq_s64(vmovl_high_s32(s0));
  c.ns[2] = vnegq_s64(vmovl_s32(vget_low_s32(s1)));
  c.ns[3] = vnegq_s64(vmovl_high_s32(s1));
  c.lo = vdupq_n_s32(lo);
  c.hi = vdupq_n_s32(hi);
  return c;
}

/* Four channels: a · m rounded, shifted and clamped, in int32 lanes. */
static inline __attribute__((always_inline)) int32x4_t gic_rq4n_apply(
    int32x4_t a, int32x4_t m, int64x2_t ns_lo, int64x2_t ns_hi, int32x4_t lo, int32x4_t hi) {
  const int64x2_t p0 = vrshlq_s64(vmull_s32(vget_low_s32(a), vget_low_s32(m)), ns_lo);
  const int64x2_t p1 = vrshlq_s64(vmull_high_s32(a, m), ns_hi);
  const int32x4_t v = vcombine_s32(vqmovn_s64(p0), vqmovn_s64(p1));
  return vminq_s32(vmaxq_s32(v, lo), hi);
}

static inline __attribute__((always_inline)) int16x8_t gic_rq8n_apply(
    const gic_rq8n *c, int32x4_t a0, int32x4_t a1) {
  const int32x4_t q0 = gic_rq4n_apply(a0, c->m0, c->ns[0], c->ns[1], c->lo, c->hi);
  const int32x4_t q1 = gic_rq4n_apply(a1, c->m1, c->ns[2], c->ns[3], c->lo, c->hi);
  return vcombine_s16(vmovn_s32(q0), vmovn_s32(q1));
}
#endif

#endif
