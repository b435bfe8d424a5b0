/* Shared declarations of the CKernels implementation files (not part of the module's API). */
#ifndef GIC_CKERNELS_INTERNAL_H
#define GIC_CKERNELS_INTERNAL_H

#include "CKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define GIC_HAVE_X86 1
#else
#define GIC_HAVE_X86 0
#endif

/*
 * aarch64 always has Advanced SIMD (NEON): its path is chosen when the build targets aarch64
 * (little-endian, as every aarch64 Linux, macOS and Android system is).
 */
#if defined(__aarch64__) && defined(__ARM_NEON) && !defined(__AARCH64EB__)
#define GIC_HAVE_NEON 1
#else
#define GIC_HAVE_NEON 0
#endif

#if GIC_HAVE_X86
/* Compiles one function for AVX2 (run-time dispatch picks it only where the CPU has AVX2). */
#define GIC_AVX2 __attribute__((target("avx2")))
/*
 * Compiles one function for AVX-512 F/BW/VL with VNNI (run-time dispatch picks it only where
 * the CPU has all of them; every such CPU has AVX2 too, so it may call AVX2 functions).
 */
#define GIC_AVX512VNNI \
  __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512vnni")))
#endif

/*
 * A run of n output pixels of one row and one block of 16 output channels whose kernel window
 * is clipped the same way: input rows u0 ..< u0 + rows and columns v0 ..< v0 + run / pairs of
 * the kernel.
 */
typedef struct gic_conv_block {
  /* Input channel pair 0 at kernel tap (u0, v0) of the first pixel. */
  const int16_t *in;
  /* Elements from one input row to the next, and from one output pixel's window to the next. */
  ptrdiff_t in_row, in_pixel;
  /* The block's packed weights at tap (u0, v0), and the elements from one kernel row to the next. */
  const int16_t *w;
  ptrdiff_t w_row;
  /* Kernel rows, and channel pairs per kernel row (columns × pairs: they are contiguous). */
  int rows, run;
  /* 16 biases (zeros past the valid channels). */
  const int32_t *bias;
  /* Output channel 0 of the first pixel; elements between pixels; channels to store (1…16). */
  int32_t *out;
  ptrdiff_t out_pixel;
  int valid;
  /*
   * Fused requantization: when out16 is not NULL it replaces out, and receives the requantized
   * accumulators; m and s are 16 multipliers and shifts (1 and 0 past the valid channels).
   */
  int16_t *out16;
  const int32_t *m, *s;
  int32_t lo, hi;
} gic_conv_block;

/* Computes b's n pixels, 1 ≤ n ≤ the path's block width. */
typedef void (*gic_conv_block_fn)(const gic_conv_block *b, int n);

/* The AVX2 block kernel and its widest run of pixels. */
#define GIC_AVX2_PIXELS 6
void gic_conv_block_avx2(const gic_conv_block *b, int n);

/* The AVX-512 VNNI block kernel and its widest run of pixels (x86-64 builds). */
#define GIC_AVX512VNNI_PIXELS 12
void gic_conv_block_avx512vnni(const gic_conv_block *b, int n);

/* The NEON block kernel and its widest run of pixels. */
#define GIC_NEON_PIXELS 4
void gic_conv_block_neon(const gic_conv_block *b, int n);

/* Requantization (spec §2.2), shared by every kernel with a requantized output. */
#include "Requantization/requant.h"

#endif
