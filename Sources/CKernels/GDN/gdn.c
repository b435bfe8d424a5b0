/*
 * gic_gdn_s16 and gic_isqrt_s32: GDN and inverse GDN (spec/integer-ops.md §5), portable, AVX2
 * and NEON paths (the AVX2 functions are compiled for AVX2 per function, run-time dispatch; the
 * NEON ones exist in aarch64 builds).
 *
 * A band of pixels goes through four flat passes over channels-last arrays that share one
 * layout (pixel stride 2·ceil(C/2)): squares u, the norms n by gic_conv2d_s16 (the band is a
 * 1 × pixels image, γ a 1×1 convolution), then r = isqrt(max(n, 0)) and the output step. The
 * arithmetic is integer-only; every step is exact (see each function), so both paths return
 * the reference values.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "../internal.h"

#if GIC_HAVE_X86
#include <immintrin.h>
#elif GIC_HAVE_NEON
#include <arm_neon.h>
#endif

/*
 * isqrt(max(n, 0)), the largest r with r² ≤ max(n, 0), by the bitwise (digit-by-digit) method:
 * 16 steps, one per result bit, with rem < 2^31 and root + bit < 2^31 throughout. Integer-only
 * and branchless.
 */
static inline int32_t gic_isqrt1(int32_t n) {
  uint32_t rem = n > 0 ? (uint32_t)n : 0;
  uint32_t root = 0;
  for (int k = 15; k >= 0; k--) {
    const uint32_t bit = (uint32_t)1 << (2 * k);
    const uint32_t t = root + bit;
    const uint32_t ge = 0u - (uint32_t)(rem >= t);
    rem -= t & ge;
    root = (root >> 1) + (bit & ge);
  }
  return (int32_t)root;
}

/* min(rshift(x², t), 32767): x² ≤ 2^30 and the rounding term ≤ 2^29, so int32 is exact. */
static inline int16_t gic_square1(int16_t x, int32_t t) {
  int32_t v = (int32_t)x * (int32_t)x;
  if (t > 0) v = (v + (1 << (t - 1))) >> t;
  return (int16_t)(v > 32767 ? 32767 : v);
}

/* rdiv(a, d) (spec §2.4), d > 0 and 2·|a| + d < 2^63: a / d rounded half away from zero. */
static inline int64_t gic_rdiv1(int64_t a, int64_t d) {
  const uint64_t mag = a < 0 ? 0 - (uint64_t)a : (uint64_t)a;
  const uint64_t q = (2 * mag + (uint64_t)d) / (2 * (uint64_t)d);
  return a < 0 ? -(int64_t)q : (int64_t)q;
}

/* GDN's output step: clamp(rdiv(x · m, max(r, 1) · 2^s), lo, hi), |x·m| < 2^46, s ≤ 46. */
static inline int16_t gic_gdn_forward1(
    int16_t x, int32_t r, int32_t m, int32_t s, int32_t lo, int32_t hi) {
  const int64_t d = (int64_t)(r > 1 ? r : 1) << s;
  int64_t v = gic_rdiv1((int64_t)x * (int64_t)m, d);
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return (int16_t)v;
}

/* Values per block of the portable square roots (two small stack arrays). */
#define GIC_ISQRT_BLOCK 64

/*
 * gic_isqrt1 over an array, a block at a time with the 16 steps outside the loop over the block's
 * values: the inner loops are plain elementwise selects that compilers turn into SIMD compares
 * (SSE2, NEON) rather than the mispredicted branches they make of gic_isqrt1 on random data.
 */
static void gic_isqrt_portable(const int32_t *n, int32_t *r, size_t count) {
  uint32_t rem[GIC_ISQRT_BLOCK], root[GIC_ISQRT_BLOCK];
  for (size_t b = 0; b < count; b += GIC_ISQRT_BLOCK) {
    const size_t m = count - b < GIC_ISQRT_BLOCK ? count - b : GIC_ISQRT_BLOCK;
    for (size_t e = 0; e < m; e++) {
      rem[e] = n[b + e] > 0 ? (uint32_t)n[b + e] : 0;
      root[e] = 0;
    }
    for (int k = 15; k >= 0; k--) {
      const uint32_t bit = (uint32_t)1 << (2 * k);
      for (size_t e = 0; e < m; e++) {
        const uint32_t t = root[e] + bit;
        const uint32_t ge = 0u - (uint32_t)(rem[e] >= t);
        rem[e] -= t & ge;
        root[e] = (root[e] >> 1) + (bit & ge);
      }
    }
    for (size_t e = 0; e < m; e++) r[b + e] = (int32_t)root[e];
  }
}

#if GIC_HAVE_X86
/*
 * gic_isqrt1 on 8 lanes. Lane values stay below 2^31, so the signed compare vpcmpgtd is the
 * unsigned one of the portable path; the mask lt is "rem < t", the portable ~ge.
 */
GIC_AVX2 static inline __attribute__((always_inline)) __m256i gic_isqrt8(__m256i n) {
  __m256i rem = _mm256_max_epi32(n, _mm256_setzero_si256());
  __m256i root = _mm256_setzero_si256();
#pragma clang loop unroll(full)
  for (int k = 15; k >= 0; k--) {
    const __m256i bit = _mm256_set1_epi32(1 << (2 * k));
    const __m256i t = _mm256_add_epi32(root, bit);
    const __m256i lt = _mm256_cmpgt_epi32(t, rem);
    rem = _mm256_sub_epi32(rem, _mm256_andnot_si256(lt, t));
    root = _mm256_add_epi32(_mm256_srli_epi32(root, 1), _mm256_andnot_si256(lt, bit));
  }
  return root;
}

/* 16 lanes per step (two independent chains keep the vector ports busy), then 8, then scalar. */
GIC_AVX2 static void gic_isqrt_avx2(const int32_t *n, int32_t *r, size_t count) {
  size_t k = 0;
  for (; k + 16 <= count; k += 16) {
    const __m256i a = gic_isqrt8(_mm256_loadu_si256((const __m256i *)(n + k)));
    const __m256i b = gic_isqrt8(_mm256_loadu_si256((const __m256i *)(n + k + 8)));
    _mm256_storeu_si256((__m256i *)(r + k), a);
    _mm256_storeu_si256((__m256i *)(r + k + 8), b);
  }
  for (; k + 8 <= count; k += 8) {
    _mm256_storeu_si256(
        (__m256i *)(r + k), gic_isqrt8(_mm256_loadu_si256((const __m256i *)(n + k))));
  }
  for (; k < count; k++) r[k] = gic_isqrt1(n[k]);
}

/*
 * gic_square1 on 16 lanes: vpmullw/vpmulhw give the low and high halves of the exact 32-bit
 * squares, interleaved per 128-bit lane; vpackssdw undoes that interleaving and saturates the
 * (non-negative) results at 32767, which is the min of step 1.
 */
GIC_AVX2 static void gic_square_avx2(const int16_t *x, int16_t *u, size_t count, int32_t t) {
  const __m256i round = _mm256_set1_epi32(t > 0 ? 1 << (t - 1) : 0);
  const __m128i shift = _mm_cvtsi32_si128(t);
  size_t k = 0;
  for (; k + 16 <= count; k += 16) {
    const __m256i v = _mm256_loadu_si256((const __m256i *)(x + k));
    const __m256i lo = _mm256_mullo_epi16(v, v);
    const __m256i hi = _mm256_mulhi_epi16(v, v);
    __m256i a = _mm256_unpacklo_epi16(lo, hi);
    __m256i b = _mm256_unpackhi_epi16(lo, hi);
    a = _mm256_srl_epi32(_mm256_add_epi32(a, round), shift);
    b = _mm256_srl_epi32(_mm256_add_epi32(b, round), shift);
    _mm256_storeu_si256((__m256i *)(u + k), _mm256_packs_epi32(a, b));
  }
  for (; k < count; k++) u[k] = gic_square1(x[k], t);
}

/* Inverse GDN's product: acc[k] ← x[k] · isqrt(max(acc[k], 0)), exact (|x · r| < 2^31). */
GIC_AVX2 static void gic_gdn_product_avx2(const int16_t *x, int32_t *acc, size_t count) {
  size_t k = 0;
  for (; k + 16 <= count; k += 16) {
    const __m256i ra = gic_isqrt8(_mm256_loadu_si256((const __m256i *)(acc + k)));
    const __m256i rb = gic_isqrt8(_mm256_loadu_si256((const __m256i *)(acc + k + 8)));
    const __m256i xa = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(x + k)));
    const __m256i xb = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(x + k + 8)));
    _mm256_storeu_si256((__m256i *)(acc + k), _mm256_mullo_epi32(xa, ra));
    _mm256_storeu_si256((__m256i *)(acc + k + 8), _mm256_mullo_epi32(xb, rb));
  }
  for (; k < count; k++) acc[k] = (int32_t)x[k] * gic_isqrt1(acc[k]);
}

/*
 * The top 8 bits of a root: top[m] = isqrt(m) for m < 2^15, built once per process (32 KB and 4
 * bytes of padding for 32-bit gathers at byte offsets). NULL if the allocation fails (the callers
 * then take all 16 steps). Concurrent first calls build the same table; one is kept.
 */
static const uint8_t *gic_isqrt_top_table(void) {
  static _Atomic(const uint8_t *) table = NULL;
  const uint8_t *t = atomic_load_explicit(&table, memory_order_acquire);
  if (t != NULL) return t;
  uint8_t *fresh = malloc((1u << 15) + 4);
  if (fresh == NULL) return NULL;
  uint32_t a = 0;
  for (uint32_t m = 0; m < (1u << 15); m++) {
    while ((a + 1) * (a + 1) <= m) a++;
    fresh[m] = (uint8_t)a;
  }
  for (int k = 0; k < 4; k++) fresh[(1u << 15) + k] = 0;
  const uint8_t *expected = NULL;
  if (atomic_compare_exchange_strong_explicit(
          &table, &expected, fresh, memory_order_acq_rel, memory_order_acquire)) {
    return fresh;
  }
  free(fresh);
  return expected;
}

/*
 * gic_isqrt1 on 16 lanes with AVX-512 masks (the VNNI path's CPUs have AVX-512 F): the compare
 * writes a mask and the subtraction and the root's new bit are masked. Lanes stay below 2^31,
 * so the unsigned compare is the portable one.
 *
 * With a table (`top`), the first 8 steps are one lookup: after steps k = 15 … 8, gic_isqrt1's
 * state is root = a·2^16 and rem = n − (a·2^8)² with a = isqrt(⌊n / 2^16⌋) (the root's top 8
 * bits: ⌊√n / 2^8⌋ = ⌊√⌊n / 2^16⌋⌋), and steps 7 … 0 go on from there. (a·2^8)² ≤ 46336² <
 * 2^31. Checked against gic_isqrt1 for every int32.
 */
GIC_AVX512VNNI static inline __attribute__((always_inline)) __m512i gic_isqrt16(
    __m512i n, const uint8_t *top) {
  __m512i rem = _mm512_max_epi32(n, _mm512_setzero_si512());
  __m512i root = _mm512_setzero_si512();
  int first = 15;
  if (top != NULL) {
    const __m512i a = _mm512_and_si512(
        _mm512_i32gather_epi32(_mm512_srli_epi32(rem, 16), (const void *)top, 1),
        _mm512_set1_epi32(0xFF));
    const __m512i a8 = _mm512_slli_epi32(a, 8);
    rem = _mm512_sub_epi32(rem, _mm512_mullo_epi32(a8, a8));
    root = _mm512_slli_epi32(a, 16);
    first = 7;
  }
  for (int k = first; k >= 0; k--) {
    const __m512i bit = _mm512_set1_epi32(1 << (2 * k));
    const __m512i t = _mm512_add_epi32(root, bit);
    const __mmask16 ge = _mm512_cmpge_epu32_mask(rem, t);
    rem = _mm512_mask_sub_epi32(rem, ge, rem, t);
    const __m512i half = _mm512_srli_epi32(root, 1);
    root = _mm512_mask_add_epi32(half, ge, half, bit);
  }
  return root;
}

/*
 * 64 lanes per step (four independent chains: a step's compare and masked operations form a
 * chain of several cycles' latency), then 16, then a masked tail.
 */
GIC_AVX512VNNI static void gic_isqrt_avx512(const int32_t *n, int32_t *r, size_t count) {
  const uint8_t *top = gic_isqrt_top_table();
  size_t k = 0;
  for (; k + 64 <= count; k += 64) {
    const __m512i a = gic_isqrt16(_mm512_loadu_si512((const void *)(n + k)), top);
    const __m512i b = gic_isqrt16(_mm512_loadu_si512((const void *)(n + k + 16)), top);
    const __m512i c = gic_isqrt16(_mm512_loadu_si512((const void *)(n + k + 32)), top);
    const __m512i d = gic_isqrt16(_mm512_loadu_si512((const void *)(n + k + 48)), top);
    _mm512_storeu_si512((void *)(r + k), a);
    _mm512_storeu_si512((void *)(r + k + 16), b);
    _mm512_storeu_si512((void *)(r + k + 32), c);
    _mm512_storeu_si512((void *)(r + k + 48), d);
  }
  for (; k < count; k += 16) {
    const __mmask16 m =
        count - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - k)) - 1u);
    _mm512_mask_storeu_epi32(r + k, m, gic_isqrt16(_mm512_maskz_loadu_epi32(m, n + k), top));
  }
}

/* Inverse GDN's product on 16 lanes: acc[k] ← x[k] · isqrt(max(acc[k], 0)), exact. */
GIC_AVX512VNNI static void gic_gdn_product_avx512(const int16_t *x, int32_t *acc, size_t count) {
  const uint8_t *top = gic_isqrt_top_table();
  for (size_t k = 0; k < count; k += 16) {
    const __mmask16 m =
        count - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - k)) - 1u);
    const __m512i root = gic_isqrt16(_mm512_maskz_loadu_epi32(m, acc + k), top);
    const __m512i xv = _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(m, x + k));
    _mm512_mask_storeu_epi32(acc + k, m, _mm512_mullo_epi32(xv, root));
  }
}

/* The largest root: isqrt(2^31 − 1). */
#define GIC_GDN_MAX_ROOT 46340

/*
 * Reciprocals for GDN's division, built once per process: inv[R] = floor(2^32 / R) for
 * 2 ≤ R ≤ GIC_GDN_MAX_ROOT, inv[1] = 2^32 − 1 (185 KB). NULL if the allocation fails (the caller
 * then takes the scalar step). Concurrent first calls build the same table; one is kept.
 */
static const uint32_t *gic_gdn_reciprocals(void) {
  static _Atomic(const uint32_t *) table = NULL;
  const uint32_t *t = atomic_load_explicit(&table, memory_order_acquire);
  if (t != NULL) return t;
  uint32_t *fresh = malloc(sizeof(uint32_t) * (GIC_GDN_MAX_ROOT + 1));
  if (fresh == NULL) return NULL;
  fresh[0] = 0;
  fresh[1] = UINT32_MAX;
  for (uint32_t r = 2; r <= GIC_GDN_MAX_ROOT; r++) {
    fresh[r] = (uint32_t)(((uint64_t)1 << 32) / r);
  }
  const uint32_t *expected = NULL;
  if (atomic_compare_exchange_strong_explicit(
          &table, &expected, fresh, memory_order_acq_rel, memory_order_acquire)) {
    return fresh;
  }
  free(fresh);
  return expected;
}

/*
 * GDN's output step on 8 channels, exactly gic_gdn_forward1 lane by lane, without a division
 * instruction. With a = x·m, R = max(r, 1) ≤ 46340 and d = R·2^s, the scalar step is
 * q = ⌊(2|a| + d) / 2d⌋, out = clamp(sign(x)·q, lo, hi). Writing |a| = t·2^s + f (0 ≤ f < 2^s):
 *
 *   q = ⌊N / R⌋,  N = t + ⌊(R + b) / 2⌋,  b = bit s − 1 of |a| (0 when s = 0)
 *
 * (⌊X / 2^(s+1)R⌋ = ⌊⌊X / 2^(s+1)⌋ / R⌋, and ⌊(2^s(2t + R) + 2f) / 2^(s+1)⌋ = ⌊(2t + R + b) / 2⌋).
 * |a| < 2^46, so t and N are exact in 64-bit lanes. When N ≥ R·2^16, q ≥ 2^16 > 32767 and the
 * clamp gives hi (x > 0) or lo (x < 0) whatever q is, so q = 65535 stands in; else N < 2^32 and
 * q < 2^16: the estimate e = ⌊N·inv[R] / 2^32⌋ (inv[R] = ⌊2^32 / R⌋, 2^32 − 1 for R = 1)
 * satisfies N/R − 1 < e ≤ N/R, so e is q or q − 1, and N − e·R ≥ R decides which
 * (0 ≤ N − e·R < 2R < 2^17, exact in 32-bit lanes). x = 0 gives t = 0, q = 0.
 */
GIC_AVX2 static inline __attribute__((always_inline)) __m128i gic_gdn_forward8(
    __m128i x16, __m256i r, __m256i m, __m256i s, __m256i lo, __m256i hi, const uint32_t *inv) {
  const __m256i low32 = _mm256_set1_epi64x(0xFFFFFFFF);
  const __m256i one64 = _mm256_set1_epi64x(1);
  const __m256i x = _mm256_cvtepi16_epi32(x16);
  const __m256i ax = _mm256_abs_epi32(x);
  const __m256i big_r = _mm256_max_epi32(r, _mm256_set1_epi32(1));
  /* Even lanes (0, 2, 4, 6) and odd lanes (1, 3, 5, 7) as 64-bit values. */
  const __m256i a_e = _mm256_mul_epu32(ax, m);
  const __m256i a_o = _mm256_mul_epu32(_mm256_srli_epi64(ax, 32), _mm256_srli_epi64(m, 32));
  const __m256i s_e = _mm256_and_si256(s, low32);
  const __m256i s_o = _mm256_srli_epi64(s, 32);
  const __m256i r_e = _mm256_and_si256(big_r, low32);
  const __m256i r_o = _mm256_srli_epi64(big_r, 32);
  /* b; the shift count 2^64 − 1 of s = 0 gives 0. */
  const __m256i b_e =
      _mm256_and_si256(_mm256_srlv_epi64(a_e, _mm256_sub_epi64(s_e, one64)), one64);
  const __m256i b_o =
      _mm256_and_si256(_mm256_srlv_epi64(a_o, _mm256_sub_epi64(s_o, one64)), one64);
  const __m256i n_e = _mm256_add_epi64(
      _mm256_srlv_epi64(a_e, s_e), _mm256_srli_epi64(_mm256_add_epi64(r_e, b_e), 1));
  const __m256i n_o = _mm256_add_epi64(
      _mm256_srlv_epi64(a_o, s_o), _mm256_srli_epi64(_mm256_add_epi64(r_o, b_o), 1));
  /* N ≥ R·2^16, i.e. N > R·2^16 − 1 (both below 2^47: the signed compare is exact). */
  const __m256i sat_e =
      _mm256_cmpgt_epi64(n_e, _mm256_sub_epi64(_mm256_slli_epi64(r_e, 16), one64));
  const __m256i sat_o =
      _mm256_cmpgt_epi64(n_o, _mm256_sub_epi64(_mm256_slli_epi64(r_o, 16), one64));
  const __m256i n = _mm256_blend_epi32(n_e, _mm256_slli_epi64(n_o, 32), 0xAA);
  const __m256i sat = _mm256_blend_epi32(sat_e, sat_o, 0xAA);
  const __m256i rec = _mm256_i32gather_epi32((const int *)inv, big_r, 4);
  const __m256i e_e = _mm256_srli_epi64(_mm256_mul_epu32(n, rec), 32);
  const __m256i e_o = _mm256_mul_epu32(_mm256_srli_epi64(n, 32), _mm256_srli_epi64(rec, 32));
  __m256i q = _mm256_blend_epi32(e_e, e_o, 0xAA);
  const __m256i rem = _mm256_sub_epi32(n, _mm256_mullo_epi32(q, big_r));
  /* rem ≥ R (not R > rem): q + 1. */
  q = _mm256_add_epi32(
      q, _mm256_andnot_si256(_mm256_cmpgt_epi32(big_r, rem), _mm256_set1_epi32(1)));
  q = _mm256_blendv_epi8(q, _mm256_set1_epi32(65535), sat);
  __m256i v = _mm256_sign_epi32(q, x);
  v = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
  return _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

/* GDN's output step over a band: channels 0 ..< channels of each pixel, x and r alike. */
GIC_AVX2 static void gic_gdn_forward_avx2(
    const int16_t *x, const int32_t *r, int16_t *out, size_t pixels, size_t stride,
    int channels, const int32_t *m, const int32_t *s, int32_t lo, int32_t hi,
    const uint32_t *inv) {
  const int vector = channels & ~7;
  const __m256i vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi);
  for (size_t q = 0; q < pixels; q++) {
    const size_t base = q * stride;
    int c = 0;
    for (; c < vector; c += 8) {
      const __m128i v = gic_gdn_forward8(
          _mm_loadu_si128((const __m128i *)(x + base + c)),
          _mm256_loadu_si256((const __m256i *)(r + base + c)),
          _mm256_loadu_si256((const __m256i *)(m + c)),
          _mm256_loadu_si256((const __m256i *)(s + c)), vlo, vhi, inv);
      _mm_storeu_si128((__m128i *)(out + base + c), v);
    }
    for (; c < channels; c++) {
      const size_t k = base + (size_t)c;
      out[k] = gic_gdn_forward1(x[k], r[k], m[c], s[c], lo, hi);
    }
  }
}
#endif

#if GIC_HAVE_NEON
/*
 * gic_isqrt1 on 4 lanes, step for step: the same unsigned rem, root, t and the mask ge = (rem ≥ t)
 * (cmhs), so every lane returns the portable value.
 */
static inline __attribute__((always_inline)) int32x4_t gic_isqrt4(int32x4_t n) {
  uint32x4_t rem = vreinterpretq_u32_s32(vmaxq_s32(n, vdupq_n_s32(0)));
  uint32x4_t root = vdupq_n_u32(0);
  for (int k = 15; k >= 0; k--) {
    const uint32x4_t bit = vdupq_n_u32((uint32_t)1 << (2 * k));
    const uint32x4_t t = vaddq_u32(root, bit);
    const uint32x4_t ge = vcgeq_u32(rem, t);
    rem = vsubq_u32(rem, vandq_u32(t, ge));
    root = vaddq_u32(vshrq_n_u32(root, 1), vandq_u32(bit, ge));
  }
  return vreinterpretq_s32_u32(root);
}

/* 16 lanes per step (four independent chains), then 4, then scalar. */
static void gic_isqrt_neon(const int32_t *n, int32_t *r, size_t count) {
  size_t k = 0;
  for (; k + 16 <= count; k += 16) {
    const int32x4_t a = gic_isqrt4(vld1q_s32(n + k));
    const int32x4_t b = gic_isqrt4(vld1q_s32(n + k + 4));
    const int32x4_t c = gic_isqrt4(vld1q_s32(n + k + 8));
    const int32x4_t d = gic_isqrt4(vld1q_s32(n + k + 12));
    vst1q_s32(r + k, a);
    vst1q_s32(r + k + 4, b);
    vst1q_s32(r + k + 8, c);
    vst1q_s32(r + k + 12, d);
  }
  for (; k + 4 <= count; k += 4) vst1q_s32(r + k, gic_isqrt4(vld1q_s32(n + k)));
  for (; k < count; k++) r[k] = gic_isqrt1(n[k]);
}

/*
 * gic_square1 on 8 lanes: smull/smull2 give the exact squares (≤ 2^30); srshl by −t is the
 * rounding shift (v + 2^(t−1)) >> t (the identity for t = 0), exact as in int32; sqxtn saturates
 * the non-negative results at 32767, which is the min of step 1.
 */
static void gic_square_neon(const int16_t *x, int16_t *u, size_t count, int32_t t) {
  const int32x4_t shift = vdupq_n_s32(-t);
  size_t k = 0;
  for (; k + 8 <= count; k += 8) {
    const int16x8_t v = vld1q_s16(x + k);
    const int32x4_t a = vrshlq_s32(vmull_s16(vget_low_s16(v), vget_low_s16(v)), shift);
    const int32x4_t b = vrshlq_s32(vmull_high_s16(v, v), shift);
    vst1q_s16(u + k, vcombine_s16(vqmovn_s32(a), vqmovn_s32(b)));
  }
  for (; k < count; k++) u[k] = gic_square1(x[k], t);
}

/* Inverse GDN's product: acc[k] ← x[k] · isqrt(max(acc[k], 0)), exact (|x · r| < 2^31). */
static void gic_gdn_product_neon(const int16_t *x, int32_t *acc, size_t count) {
  size_t k = 0;
  for (; k + 8 <= count; k += 8) {
    const int32x4_t ra = gic_isqrt4(vld1q_s32(acc + k));
    const int32x4_t rb = gic_isqrt4(vld1q_s32(acc + k + 4));
    const int16x8_t xv = vld1q_s16(x + k);
    vst1q_s32(acc + k, vmulq_s32(vmovl_s16(vget_low_s16(xv)), ra));
    vst1q_s32(acc + k + 4, vmulq_s32(vmovl_high_s16(xv), rb));
  }
  for (; k < count; k++) acc[k] = (int32_t)x[k] * gic_isqrt1(acc[k]);
}
#endif

void gic_isqrt_s32(const int32_t *n, int32_t *r, size_t count, int path) {
#if GIC_HAVE_X86
  const int resolved = gic_kernels_resolve_path(path);
  if (resolved == GIC_KERNEL_PATH_AVX512VNNI) {
    gic_isqrt_avx512(n, r, count);
    return;
  }
  if (resolved == GIC_KERNEL_PATH_AVX2) {
    gic_isqrt_avx2(n, r, count);
    return;
  }
#elif GIC_HAVE_NEON
  if (gic_kernels_resolve_path(path) == GIC_KERNEL_PATH_NEON) {
    gic_isqrt_neon(n, r, count);
    return;
  }
#else
  (void)path;
#endif
  gic_isqrt_portable(n, r, count);
}

void gic_gdn_s16(
    const gic_gdn_params *p, size_t pixel_begin, size_t pixel_end, int16_t *u, int32_t *acc,
    int path) {
  if (pixel_end <= pixel_begin || p->channels <= 0) return;
  const int resolved = gic_kernels_resolve_path(path);
  /*
   * The AVX-512 VNNI path differs from the AVX2 one in step 2 only (gic_conv2d_s16 runs its
   * vpdpwssd block kernel); its squares, roots and output step are the AVX2 ones (every VNNI CPU
   * has AVX2; the flat passes are memory-bound).
   */
  const int avx2 = resolved == GIC_KERNEL_PATH_AVX2 || resolved == GIC_KERNEL_PATH_AVX512VNNI;
  const int neon = resolved == GIC_KERNEL_PATH_NEON;
  (void)avx2; /* each build reads one of the two */
  (void)neon;
  const int channels = p->channels;
  const int pairs = (channels + 1) / 2;
  const size_t stride = 2 * (size_t)pairs;
  const size_t pixels = pixel_end - pixel_begin;
  const size_t count = pixels * stride;
  const int16_t *x = p->input + pixel_begin * stride;
  int16_t *out = p->output + pixel_begin * stride;

  /* 1. u = min(rshift(x², t), 32767); the padding channel (x = 0) gives u = 0. */
#if GIC_HAVE_X86
  if (avx2) {
    gic_square_avx2(x, u, count, p->square_shift);
  } else
#elif GIC_HAVE_NEON
  if (neon) {
    gic_square_neon(x, u, count, p->square_shift);
  } else
#endif
  {
    for (size_t k = 0; k < count; k++) u[k] = gic_square1(x[k], p->square_shift);
  }

  /*
   * 2. n = β + γ·u: a 1×1 convolution of the 1 × pixels image u, in 32-bit wrapping arithmetic,
   * exact under the caller's bound. It writes channels 0 ..< C of each pixel; an odd C's
   * padding entry is set to 0 so the flat passes below read defined values (its x is 0).
   */
  gic_conv2d_params conv = {
      .input = u,
      .in_height = 1,
      .in_width = (int32_t)pixels,
      .pairs = pairs,
      .weights = p->weights,
      .bias = p->beta,
      .out_channels = channels,
      .kernel_h = 1,
      .kernel_w = 1,
      .stride = 1,
      .origin_y = 0,
      .origin_x = 0,
      .out_height = 1,
      .out_width = (int32_t)pixels,
      .output = acc,
      .out_row_stride = (ptrdiff_t)count,
      .out_pixel_stride = (ptrdiff_t)stride,
      .requant_m = NULL,
      .requant_s = NULL,
      .lo = 0,
      .hi = 0,
      .output16 = NULL,
  };
  gic_conv2d_s16(&conv, 0, 1, path);
  if (stride != (size_t)channels) {
    for (size_t q = 0; q < pixels; q++) acc[q * stride + channels] = 0;
  }

  if (p->inverse) {
    /* 3–4. acc ← x · isqrt(max(n, 0)), then requant (the requantization kernel, exact). */
#if GIC_HAVE_X86
    if (resolved == GIC_KERNEL_PATH_AVX512VNNI) {
      gic_gdn_product_avx512(x, acc, count);
    } else if (avx2) {
      gic_gdn_product_avx2(x, acc, count);
    } else
#elif GIC_HAVE_NEON
    if (neon) {
      gic_gdn_product_neon(x, acc, count);
    } else
#endif
    {
      gic_isqrt_portable(acc, acc, count);
      for (size_t k = 0; k < count; k++) acc[k] *= x[k];
    }
    gic_requant_s32_s16(
        acc, (ptrdiff_t)stride, out, (ptrdiff_t)stride, pixels, channels, p->m, p->s, p->lo,
        p->hi, path);
  } else {
    /* 3–4. acc ← isqrt(max(n, 0)), then the scalar 64-bit division. */
#if GIC_HAVE_X86
    if (resolved == GIC_KERNEL_PATH_AVX512VNNI) {
      gic_isqrt_avx512(acc, acc, count);
    } else if (avx2) {
      gic_isqrt_avx2(acc, acc, count);
    } else
#elif GIC_HAVE_NEON
    if (neon) {
      gic_isqrt_neon(acc, acc, count);
    } else
#endif
    {
      gic_isqrt_portable(acc, acc, count);
    }
#if GIC_HAVE_X86
    const uint32_t *inv = avx2 ? gic_gdn_reciprocals() : NULL;
    if (inv != NULL) {
      gic_gdn_forward_avx2(x, acc, out, pixels, stride, channels, p->m, p->s, p->lo, p->hi, inv);
      return;
    }
#endif
    for (size_t q = 0; q < pixels; q++) {
      for (int c = 0; c < channels; c++) {
        const size_t k = q * stride + (size_t)c;
        out[k] = gic_gdn_forward1(x[k], acc[k], p->m[c], p->s[c], p->lo, p->hi);
      }
    }
  }
}
