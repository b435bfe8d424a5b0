/*
 * The AVX-512 VNNI block kernel of gic_conv2d_s16 (compiled for AVX-512 F/BW/VL + VNNI per
 * function; run-time dispatch picks it only where the CPU has all four, see dispatch.c).
 *
 * One zmm holds a packed weight step whole: 16 output channels × one input channel pair
 * (gic_conv_pack_weights' 32 int16). Per channel pair and pixel, one vpdpwssd with the pixel's
 * pair broadcast from memory: each 32-bit lane l becomes
 *
 *   acc[l] + w[l, 2p]·x_2p + w[l, 2p+1]·x_(2p+1)
 *
 * with the two products sign-extended to 32 bits and both additions wrapping modulo 2^32 (Intel
 * SDM, VPDPWSSD: "DEST.dword[i] := SRC1.dword[i] + p1dword + p2dword", no saturation; the
 * saturating form is VPDPWSSDS, not used here). The portable path sums the same products in
 * uint32 (modulo 2^32), so the lanes are equal for every input, not only within the §3 bound.
 * The AVX2 path needs vpmaddwd + vpaddd per 8 channels; this is one instruction per 16.
 */
#include "../internal.h"

#if GIC_HAVE_X86
#include <immintrin.h>
#include <string.h>

/*
 * acc + vpdpwssd(x broadcast from *pair, w). Inline assembly, not _mm512_dpwssd_epi32: clang
 * (LLVM ≥ 18, generic tuning) splits that intrinsic back into vpmaddwd + vpaddd, which is the
 * AVX2 path's work in zmm; the {1to16} memory broadcast also saves the separate vpbroadcastd.
 */
GIC_AVX512VNNI static inline __attribute__((always_inline)) __m512i gic_dpwssd_bcast(
    __m512i acc, __m512i w, const int16_t *pair) {
  __asm__("vpdpwssd %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(w), "m"(*(const int32_t *)pair));
  return acc;
}

/* The same on 8 channels (ymm, AVX512VL): a block with at most 8 valid output channels. */
GIC_AVX512VNNI static inline __attribute__((always_inline)) __m256i gic_dpwssd_bcast8(
    __m256i acc, __m256i w, const int16_t *pair) {
  __asm__("vpdpwssd %2%{1to8%}, %1, %0" : "+v"(acc) : "v"(w), "m"(*(const int32_t *)pair));
  return acc;
}

/*
 * n pixels × the block's first 8 channels in ymm accumulators (small C_out, e.g. a decoder's
 * last layer: a zmm would compute 8 zero channels at twice the cost on CPUs that split zmm ops).
 */
GIC_AVX512VNNI static inline __attribute__((always_inline)) void gic_block_vnni8_n(
    const gic_conv_block *b, const int n) {
  __m256i acc[GIC_AVX512VNNI_PIXELS];
  const __m256i bias = _mm256_loadu_si256((const __m256i *)b->bias);
  for (int k = 0; k < n; k++) acc[k] = bias;
  const ptrdiff_t px = b->in_pixel;
  for (int r = 0; r < b->rows; r++) {
    const int16_t *ip = b->in + r * b->in_row;
    const int16_t *wp = b->w + r * b->w_row;
    for (int j = 0; j < b->run; j++) {
      const __m256i w = _mm256_loadu_si256((const __m256i *)(wp + 32 * j));
      for (int k = 0; k < n; k++) acc[k] = gic_dpwssd_bcast8(acc[k], w, ip + k * px + 2 * j);
    }
  }
  const __mmask8 valid = (__mmask8)((1u << b->valid) - 1u);
  if (b->out16 != NULL) {
    const gic_rq8 c0 = gic_rq8_load(b->m, b->s, b->lo, b->hi);
    for (int k = 0; k < n; k++) {
      _mm_mask_storeu_epi16(b->out16 + k * b->out_pixel, valid, gic_rq8_apply(&c0, acc[k]));
    }
  } else {
    for (int k = 0; k < n; k++) _mm256_mask_storeu_epi32(b->out + k * b->out_pixel, valid, acc[k]);
  }
}

GIC_AVX512VNNI static inline __attribute__((always_inline)) void gic_block_vnni_n(
    const gic_conv_block *b, const int n) {
  __m512i acc[GIC_AVX512VNNI_PIXELS];
  const __m512i bias = _mm512_loadu_si512((const void *)b->bias);
  for (int k = 0; k < n; k++) acc[k] = bias;
  const ptrdiff_t px = b->in_pixel;
  for (int r = 0; r < b->rows; r++) {
    const int16_t *ip = b->in + r * b->in_row;
    const int16_t *wp = b->w + r * b->w_row;
    for (int j = 0; j < b->run; j++) {
      const __m512i w = _mm512_loadu_si512((const void *)(wp + 32 * j));
      for (int k = 0; k < n; k++) acc[k] = gic_dpwssd_bcast(acc[k], w, ip + k * px + 2 * j);
    }
  }
  /* Store exactly the valid channels: the next ones may be another pixel's (or thread's). */
  const __mmask16 valid = (__mmask16)((1u << b->valid) - 1u);
  if (b->out16 != NULL) {
    const gic_rq8 c0 = gic_rq8_load(b->m, b->s, b->lo, b->hi);
    const gic_rq8 c1 = gic_rq8_load(b->m + 8, b->s + 8, b->lo, b->hi);
    for (int k = 0; k < n; k++) {
      int16_t *out = b->out16 + k * b->out_pixel;
      const __m128i q0 = gic_rq8_apply(&c0, _mm512_castsi512_si256(acc[k]));
      const __m128i q1 = b->valid > 8 ? gic_rq8_apply(&c1, _mm512_extracti64x4_epi64(acc[k], 1))
                                      : q0;
      const __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
      _mm256_mask_storeu_epi16(out, valid, q);
    }
  } else {
    for (int k = 0; k < n; k++) {
      _mm512_mask_storeu_epi32(b->out + k * b->out_pixel, valid, acc[k]);
    }
  }
}

GIC_AVX512VNNI void gic_conv_block_avx512vnni(const gic_conv_block *b, int n) {
  if (b->valid <= 8) {
    switch (n) {
    case 1: gic_block_vnni8_n(b, 1); break;
    case 2: gic_block_vnni8_n(b, 2); break;
    case 3: gic_block_vnni8_n(b, 3); break;
    case 4: gic_block_vnni8_n(b, 4); break;
    case 5: gic_block_vnni8_n(b, 5); break;
    case 6: gic_block_vnni8_n(b, 6); break;
    case 7: gic_block_vnni8_n(b, 7); break;
    case 8: gic_block_vnni8_n(b, 8); break;
    case 9: gic_block_vnni8_n(b, 9); break;
    case 10: gic_block_vnni8_n(b, 10); break;
    case 11: gic_block_vnni8_n(b, 11); break;
    default: gic_block_vnni8_n(b, 12); break;
    }
    return;
  }
  switch (n) {
  case 1: gic_block_vnni_n(b, 1); break;
  case 2: gic_block_vnni_n(b, 2); break;
  case 3: gic_block_vnni_n(b, 3); break;
  case 4: gic_block_vnni_n(b, 4); break;
  case 5: gic_block_vnni_n(b, 5); break;
  case 6: gic_block_vnni_n(b, 6); break;
  case 7: gic_block_vnni_n(b, 7); break;
  case 8: gic_block_vnni_n(b, 8); break;
  case 9: gic_block_vnni_n(b, 9); break;
  case 10: gic_block_vnni_n(b, 10); break;
  case 11: gic_block_vnni_n(b, 11); break;
  default: gic_block_vnni_n(b, 12); break;
  }
}

#endif
