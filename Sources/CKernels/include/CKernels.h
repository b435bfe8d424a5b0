/*
 * CKernels: the fast integer kernels of the gic codec (spec/integer-ops.md §2–§5).
 *
 * Implementation details of ReferenceCodec; no stable API. Every kernel has a portable C path,
 * an AVX2 path (x86-64, selected at run time), an AVX-512 VNNI path (x86-64, selected at run
 * time: the convolution's multiply–accumulate, and with it GDN's 1×1 convolution, in vpdpwssd;
 * its other steps are the AVX2 ones) and a NEON path (aarch64, where NEON is always present:
 * chosen at build time). All are bit-exact: they return exactly the values of the plain
 * Swift reference kernels in Sources/ReferenceCodec/Graph for every input within the accumulator
 * bound of §3 (Tests/CKernelsHarness compares the paths under qemu-aarch64 as well).
 *
 * Layouts: activations are channels-last, (H, W, C) int16, with C rounded up to an even count
 * (the extra channel holds zeros) so that every pixel is a run of channel pairs. Weights are
 * packed once per layer by gic_conv_pack_weights.
 */
#ifndef GIC_CKERNELS_H
#define GIC_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which implementation a kernel call runs. */
enum {
  /*
   * The process default (gic_kernels_default_path): AVX-512 VNNI, else AVX2, when the CPU has
   * it, NEON on aarch64, unless the environment variable GIC_KERNELS names another path.
   */
  GIC_KERNEL_PATH_AUTOMATIC = 0,
  /* The portable C implementation. */
  GIC_KERNEL_PATH_PORTABLE = 1,
  /* The AVX2 implementation; the portable one on CPUs (or builds) without AVX2. */
  GIC_KERNEL_PATH_AVX2 = 2,
  /* The NEON implementation (aarch64 builds); the portable one elsewhere. */
  GIC_KERNEL_PATH_NEON = 3,
  /*
   * The AVX-512 VNNI implementation (x86-64 CPUs with AVX-512 F, BW, VL and VNNI); the AVX2 one
   * on CPUs with AVX2 but not those, the portable one on others (or other builds).
   */
  GIC_KERNEL_PATH_AVX512VNNI = 4,
};

/* Output channels per packed weight block. */
#define GIC_CONV_BLOCK 16

/* Whether this build and CPU can run the AVX2 path. */
int gic_kernels_have_avx2(void);

/* Whether this build and CPU can run the AVX-512 VNNI path (AVX-512 F, BW, VL, VNNI and AVX2). */
int gic_kernels_have_avx512vnni(void);

/* Whether this build can run the NEON path (an aarch64 build: every such CPU has NEON). */
int gic_kernels_have_neon(void);

/*
 * The path GIC_KERNEL_PATH_AUTOMATIC resolves to (the environment variable GIC_KERNELS is read
 * once, on first use): GIC_KERNEL_PATH_AVX512VNNI, GIC_KERNEL_PATH_AVX2 or GIC_KERNEL_PATH_NEON,
 * the first available; "scalar" or "portable" forces the portable path, "avx2" the AVX2 one and
 * "avx512vnni" (or "vnni") the VNNI one, each resolved as gic_kernels_resolve_path does.
 */
int gic_kernels_default_path(void);

/*
 * The path a call with `path` runs: never AUTOMATIC, never AVX2, AVX512VNNI or NEON where it is
 * unavailable (AVX512VNNI resolves to AVX2 where only that is available; the others to PORTABLE).
 */
int gic_kernels_resolve_path(int path);

/* The number of int16 values gic_conv_pack_weights writes. */
size_t gic_conv_packed_count(int out_channels, int pairs, int kernel_h, int kernel_w);

/*
 * Packs weights w'(o, i, u, v) for 0 ≤ o < out_channels, 0 ≤ i < in_channels, 0 ≤ u < kernel_h,
 * 0 ≤ v < kernel_w, read at origin[o·stride_o + i·stride_i + u·stride_u + v·stride_v] (strides
 * in elements, any sign: this selects, reorders and flips subsets of a stored kernel), into
 * `packed`: for each block of 16 output channels, each (u, v) and each input channel pair p,
 * 32 values [w'(o, 2p, u, v), w'(o, 2p + 1, u, v) for o in the block]; zeros past in_channels and
 * out_channels. pairs = ceil(in_channels / 2).
 */
void gic_conv_pack_weights(
    const int16_t *origin, ptrdiff_t stride_o, ptrdiff_t stride_i, ptrdiff_t stride_u,
    ptrdiff_t stride_v, int out_channels, int in_channels, int kernel_h, int kernel_w,
    int16_t *packed);

/*
 * One 2-D convolution (cross-correlation) of a channels-last input with packed weights:
 *
 *   out[y, x, o] = bias[o] + Σ w'(o, i, u, v) · in[origin_y + y·stride + u,
 *                                                  origin_x + x·stride + v, i]
 *
 * with in = 0 outside 0 … in_height − 1 / 0 … in_width − 1 (zero padding, any origin), summed
 * in 32-bit wrapping arithmetic: exact whenever the true sum fits int32 (§3). A transposed
 * convolution is a set of such convolutions, one per output phase, each writing a strided
 * subset of the output (out_row_stride, out_pixel_stride).
 */
typedef struct gic_conv2d_params {
  /* in_height × in_width pixels of 2·pairs int16 each (channel fastest). */
  const int16_t *input;
  int32_t in_height, in_width, pairs;
  /* From gic_conv_pack_weights with the same out_channels, pairs, kernel_h, kernel_w. */
  const int16_t *weights;
  /* out_channels int32 biases. */
  const int32_t *bias;
  int32_t out_channels, kernel_h, kernel_w, stride;
  /* Input coordinates of output (0, 0)'s tap (0, 0); negative for zero padding. */
  int32_t origin_y, origin_x;
  int32_t out_height, out_width;
  /* Output (y, x, o) is output[y·out_row_stride + x·out_pixel_stride + o]. */
  int32_t *output;
  ptrdiff_t out_row_stride, out_pixel_stride;
  /*
   * Optional fused requantization (as gic_requant_s32_s16): when output16 is not NULL, output
   * is not used and output16[y·out_row_stride + x·out_pixel_stride + o] receives
   * clamp(rshift(a · requant_m[o], requant_s[o]), lo, hi) for the accumulator a.
   */
  const int32_t *requant_m, *requant_s;
  int32_t lo, hi;
  int16_t *output16;
} gic_conv2d_params;

/*
 * Computes output rows row_begin ..< row_end. Calls on disjoint row ranges write disjoint
 * output and may run concurrently.
 */
void gic_conv2d_s16(const gic_conv2d_params *params, int row_begin, int row_end, int path);

/*
 * Requantizes accumulators (spec §2.2): for each of `pixels` pixels and each channel
 * 0 ≤ c < channels,
 *
 *   out[p·out_stride + c] = clamp(rshift(acc[p·acc_stride + c] · m[c], s[c]), lo, hi)
 *
 * with the product exact in 64 bits (|acc| ≤ 2^31, 1 ≤ m < 2^31), rshift rounding half up,
 * 0 ≤ s[c] ≤ 62 and −32767 ≤ lo ≤ hi ≤ 32767. Values between channels and out_stride are left
 * as they are.
 */
void gic_requant_s32_s16(
    const int32_t *acc, ptrdiff_t acc_stride, int16_t *out, ptrdiff_t out_stride, size_t pixels,
    int channels, const int32_t *m, const int32_t *s, int32_t lo, int32_t hi, int path);

/*
 * Integer square roots: r[k] = isqrt(max(n[k], 0)), the largest r with r² ≤ max(n[k], 0), for
 * 0 ≤ k < count (spec §2.3 on the int32 range; 0 ≤ r[k] ≤ 46340); integer arithmetic only. n and
 * r may be the same array.
 */
void gic_isqrt_s32(const int32_t *n, int32_t *r, size_t count, int path);

/*
 * One GDN or inverse GDN layer (spec §5) on channels-last pixels of 2·ceil(channels / 2) int16
 * values each (the padding channel of an odd count is 0 in the input and left as it is in the
 * output). At each pixel, with x its values:
 *
 *   u[j] = min(rshift(x[j]², square_shift), 32767)
 *   n[i] = beta[i] + Σ_j γ[i, j] · u[j]          (32-bit; exact within the §3 bound)
 *   r[i] = isqrt(max(n[i], 0))                   (the floor square root)
 *   inverse: out[i] = clamp(rshift(x[i] · r[i] · m[i], s[i]), lo, hi)      (0 ≤ s[i] ≤ 62)
 *   GDN:     out[i] = clamp(rdiv(x[i] · m[i], max(r[i], 1) · 2^s[i]), lo, hi)  (0 ≤ s[i] ≤ 46)
 *
 * with 1 ≤ m[i] ≤ 2^31 − 1, 0 ≤ square_shift ≤ 30, −32767 ≤ lo ≤ hi ≤ 32767 and |x| ≤ 32767.
 */
typedef struct gic_gdn_params {
  const int16_t *input;
  int16_t *output;
  int32_t channels, square_shift;
  /* γ (C, C) packed by gic_conv_pack_weights as a 1×1 convolution with C inputs and outputs. */
  const int16_t *weights;
  const int32_t *beta;
  /* Per channel multipliers m and shifts s of the output step. */
  const int32_t *m, *s;
  int32_t lo, hi;
  /* Nonzero: inverse GDN; zero: GDN. */
  int32_t inverse;
} gic_gdn_params;

/*
 * Computes pixels pixel_begin ..< pixel_end as one band, with scratch u of
 * (pixel_end − pixel_begin) · 2·ceil(channels / 2) int16 and acc of as many int32. Calls on
 * disjoint pixel ranges, each with its own scratch, write disjoint output and may run
 * concurrently.
 */
void gic_gdn_s16(
    const gic_gdn_params *params, size_t pixel_begin, size_t pixel_end, int16_t *u, int32_t *acc,
    int path);

#ifdef __cplusplus
}
#endif

#endif
