/*
 * A checkasm-style harness for the C kernels (Sources/CKernels), in plain C so that it can be
 * cross-compiled and run under qemu-aarch64 without Swift (scripts/check_kernels_aarch64.sh).
 *
 * Every kernel (convolution with and without fused requantization, requantization, isqrt, GDN
 * and inverse GDN) runs on fixed-seed random shapes, strides and values, edge values included
 * (int16 −32768 and 32767, int32 extremes, k² − 1, k², k² + 1 for the square root), on every
 * path: portable, the fast path of the build (NEON on aarch64, AVX2 on x86-64), the other
 * architecture's constant (which must resolve to portable) and automatic. Each output is
 * compared with the portable path's, and the portable path with a plain C reference written
 * from the definitions in CKernels.h (spec/integer-ops.md), including the values a kernel must
 * leave untouched. The first mismatch of each kernel prints the kernel, the path, the case, the
 * shape and the first differing index; the exit status is 1 if any value differs.
 *
 * Usage: harness [scale]   (scale multiplies the number of random cases; default 1)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "CKernels.h"

/* MARK: - Random values (SplitMix64, fixed seeds) */

static uint64_t rng_state;

static uint64_t next64(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in lo … hi (inclusive; hi − lo < 2^63). */
static int64_t uniform(int64_t lo, int64_t hi) {
  return lo + (int64_t)(next64() % (uint64_t)(hi - lo + 1));
}

/* int16 values: a third uniform, a third small, a third the extremes and their neighbours. */
static int16_t random_s16(int16_t lo) {
  static const int16_t edges[] = {-32768, -32767, 32767, 32766, 0, 1, -1};
  switch (next64() % 3) {
  case 0: return (int16_t)uniform(lo, 32767);
  case 1: return (int16_t)uniform(-300, 300);
  default: {
    int16_t v = edges[next64() % (sizeof edges / sizeof edges[0])];
    return v < lo ? lo : v;
  }
  }
}

static int32_t random_s32(void) {
  static const int32_t edges[] = {INT32_MIN, INT32_MIN + 1, INT32_MAX, INT32_MAX - 1, 0, 1, -1};
  switch (next64() % 4) {
  case 0: return (int32_t)uniform(-70000, 70000);
  case 1: return edges[next64() % (sizeof edges / sizeof edges[0])];
  default: return (int32_t)(uint32_t)next64();
  }
}

/* Multipliers 1 ≤ m ≤ 2^31 − 1, the ends often. */
static int32_t random_multiplier(void) {
  switch (next64() % 4) {
  case 0: return 1;
  case 1: return INT32_MAX;
  default: return (int32_t)uniform(1, INT32_MAX);
  }
}

static void *xmalloc(size_t n) {
  void *p = malloc(n > 0 ? n : 1);
  if (p == NULL) {
    fprintf(stderr, "harness: out of memory\n");
    exit(2);
  }
  return p;
}

/* MARK: - Paths and reporting */

/*
 * Every path on every build: those the build or CPU lacks resolve to a lesser one (AVX-512 VNNI
 * to AVX2 or portable, AVX2 and NEON to portable) and are compared as that.
 */
static const int paths[] = {
    GIC_KERNEL_PATH_PORTABLE, GIC_KERNEL_PATH_AVX2, GIC_KERNEL_PATH_AVX512VNNI,
    GIC_KERNEL_PATH_NEON, GIC_KERNEL_PATH_AUTOMATIC};
#define PATH_COUNT ((int)(sizeof paths / sizeof paths[0]))

static const char *path_name(int path) {
  switch (path) {
  case GIC_KERNEL_PATH_PORTABLE: return "portable";
  case GIC_KERNEL_PATH_AVX2: return "avx2";
  case GIC_KERNEL_PATH_AVX512VNNI: return "avx512vnni";
  case GIC_KERNEL_PATH_NEON: return "neon";
  default: return "automatic";
  }
}

typedef struct kernel_stats {
  const char *name;
  long cases, values, mismatches;
} kernel_stats;

/*
 * Compares count values of `size` bytes; on the kernel's first mismatch prints what, where and
 * the first differing index. Returns whether they are equal.
 */
static int compare(
    kernel_stats *k, const char *against, int path, long index, const char *shape,
    const void *got, const void *want, size_t count, size_t size) {
  k->values += (long)count;
  if (memcmp(got, want, count * size) == 0) return 1;
  size_t i = 0;
  while (memcmp((const char *)got + i * size, (const char *)want + i * size, size) == 0) i++;
  int64_t g, w;
  if (size == 2) {
    g = ((const int16_t *)got)[i];
    w = ((const int16_t *)want)[i];
  } else {
    g = ((const int32_t *)got)[i];
    w = ((const int32_t *)want)[i];
  }
  if (k->mismatches++ == 0) {
    fprintf(
        stderr,
        "MISMATCH %s: path %s (resolved %s) vs %s, case %ld, %s: first differing index %zu: "
        "%" PRId64 " != %" PRId64 "\n",
        k->name, path_name(path), path_name(gic_kernels_resolve_path(path)), against, index,
        shape, i, g, w);
  }
  return 0;
}

static void report(const kernel_stats *k) {
  printf(
      "%-22s %6ld cases %10ld values  %s\n", k->name, k->cases, k->values,
      k->mismatches == 0 ? "ok" : "MISMATCH");
}

/* MARK: - Plain references (from the definitions in CKernels.h) */

static int16_t ref_requant(int32_t a, int32_t m, int32_t s, int32_t lo, int32_t hi) {
  __int128 v = (__int128)a * m;
  if (s > 0) {
    v += (__int128)1 << (s - 1);
    /* floor division by 2^s */
    __int128 d = (__int128)1 << s;
    __int128 q = v / d;
    if (v % d != 0 && v < 0) q -= 1;
    v = q;
  }
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return (int16_t)v;
}

static int32_t ref_isqrt(int32_t n) {
  if (n <= 0) return 0;
  int64_t r = 0;
  /* Largest r with r² ≤ n, by bisection over 0 … 46341. */
  int64_t lo = 0, hi = 46341;
  while (lo < hi) {
    int64_t mid = (lo + hi + 1) / 2;
    if (mid * mid <= n) lo = mid;
    else hi = mid - 1;
  }
  r = lo;
  return (int32_t)r;
}

/* rdiv (spec §2.4): a / d rounded half away from zero, d > 0. */
static int64_t ref_rdiv(int64_t a, int64_t d) {
  int64_t mag = a < 0 ? -a : a;
  int64_t q = (2 * mag + d) / (2 * d);
  return a < 0 ? -q : q;
}

/* MARK: - Convolution */

static const char *conv_shape(
    char *buf, size_t n, const gic_conv2d_params *p, int in_channels, int flipped, int fused) {
  snprintf(
      buf, n,
      "in %dx%dx%d, out %dx%dx%d, kernel %dx%d stride %d origin (%d, %d), strides row %td pixel "
      "%td%s%s",
      p->in_height, p->in_width, in_channels, p->out_height, p->out_width, p->out_channels,
      p->kernel_h, p->kernel_w, p->stride, p->origin_y, p->origin_x, p->out_row_stride,
      p->out_pixel_stride, flipped ? ", flipped weights" : "", fused ? ", fused requant" : "");
  return buf;
}

static void check_conv(kernel_stats *k32, kernel_stats *k16, long cases) {
  rng_state = 0x636F6E76; /* "conv" */
  for (long c = 0; c < cases; c++) {
    const int fused = (int)(next64() % 2);
    kernel_stats *k = fused ? k16 : k32;
    k->cases++;
    /* Shapes: output channel counts around the 8- and 16-channel blocks, odd input counts. */
    static const int couts[] = {1, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40};
    const int cin = (int)uniform(1, next64() % 4 == 0 ? 40 : 9);
    const int cout = couts[next64() % (sizeof couts / sizeof couts[0])];
    const int pairs = (cin + 1) / 2;
    const int kh = (int)uniform(1, 5), kw = (int)uniform(1, 5);
    const int stride = (int)uniform(1, 3);
    const int ih = (int)uniform(1, 9), iw = (int)uniform(1, 14);
    const int oy = (int)uniform(-kh, 1), ox = (int)uniform(-kw, 1);
    const int oh = (int)uniform(1, 6), ow = (int)uniform(1, 13);
    const ptrdiff_t pixel_stride = cout + uniform(0, 3);
    const ptrdiff_t row_stride = ow * pixel_stride + uniform(0, 5);
    const size_t out_count = (size_t)(oh * row_stride);

    int16_t *input = xmalloc(sizeof(int16_t) * (size_t)(ih * iw * 2 * pairs));
    for (int q = 0; q < ih * iw; q++) {
      for (int i = 0; i < 2 * pairs; i++) input[q * 2 * pairs + i] = i < cin ? random_s16(-32768) : 0;
    }
    /* Stored (O, I, kh, kw); half the cases read it flipped (negative strides), as transposed
     * convolutions do. */
    const size_t wcount = (size_t)(cout * cin * kh * kw);
    int16_t *stored = xmalloc(sizeof(int16_t) * wcount);
    for (size_t i = 0; i < wcount; i++) stored[i] = random_s16(-32768);
    const int flipped = (int)(next64() % 2);
    ptrdiff_t so = (ptrdiff_t)cin * kh * kw, si = (ptrdiff_t)kh * kw, su = kw, sv = 1;
    const int16_t *origin = stored;
    if (flipped) {
      origin = stored + (kh - 1) * kw + (kw - 1);
      su = -su;
      sv = -sv;
    }
    int16_t *packed = xmalloc(sizeof(int16_t) * gic_conv_packed_count(cout, pairs, kh, kw));
    gic_conv_pack_weights(origin, so, si, su, sv, cout, cin, kh, kw, packed);

    int32_t *bias = xmalloc(sizeof(int32_t) * (size_t)cout);
    int32_t *m = xmalloc(sizeof(int32_t) * (size_t)cout);
    int32_t *s = xmalloc(sizeof(int32_t) * (size_t)cout);
    for (int o = 0; o < cout; o++) {
      bias[o] = random_s32();
      m[o] = random_multiplier();
      s[o] = o < 3 ? (int32_t[]){0, 1, 62}[o] : (int32_t)uniform(0, 62);
    }
    const int32_t lo = (int32_t)uniform(-32767, 0), hi = (int32_t)uniform(lo, 32767);

    /* The reference: the sum modulo 2^32 (uint32), then the optional requantization. */
    int32_t *want32 = xmalloc(sizeof(int32_t) * out_count);
    int16_t *want16 = xmalloc(sizeof(int16_t) * out_count);
    for (size_t i = 0; i < out_count; i++) {
      want32[i] = 0x5A5A5A5A;
      want16[i] = 0x5A5A;
    }
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        for (int o = 0; o < cout; o++) {
          uint32_t sum = (uint32_t)bias[o];
          for (int u = 0; u < kh; u++) {
            for (int v = 0; v < kw; v++) {
              const int iy = oy + y * stride + u, ix = ox + x * stride + v;
              if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
              for (int i = 0; i < cin; i++) {
                const int32_t w = origin[o * so + i * si + u * su + v * sv];
                sum += (uint32_t)(w * (int32_t)input[(iy * iw + ix) * 2 * pairs + i]);
              }
            }
          }
          const size_t at = (size_t)(y * row_stride + x * pixel_stride + o);
          want32[at] = (int32_t)sum;
          want16[at] = ref_requant((int32_t)sum, m[o], s[o], lo, hi);
        }
      }
    }

    gic_conv2d_params p = {
        .input = input,
        .in_height = ih,
        .in_width = iw,
        .pairs = pairs,
        .weights = packed,
        .bias = bias,
        .out_channels = cout,
        .kernel_h = kh,
        .kernel_w = kw,
        .stride = stride,
        .origin_y = oy,
        .origin_x = ox,
        .out_height = oh,
        .out_width = ow,
        .out_row_stride = row_stride,
        .out_pixel_stride = pixel_stride,
        .requant_m = fused ? m : NULL,
        .requant_s = fused ? s : NULL,
        .lo = lo,
        .hi = hi,
    };
    char shape[256];
    conv_shape(shape, sizeof shape, &p, cin, flipped, fused);
    int32_t *got32[PATH_COUNT];
    int16_t *got16[PATH_COUNT];
    for (int q = 0; q < PATH_COUNT; q++) {
      got32[q] = xmalloc(sizeof(int32_t) * out_count);
      got16[q] = xmalloc(sizeof(int16_t) * out_count);
      for (size_t i = 0; i < out_count; i++) {
        got32[q][i] = 0x5A5A5A5A;
        got16[q][i] = 0x5A5A;
      }
      p.output = fused ? NULL : got32[q];
      p.output16 = fused ? got16[q] : NULL;
      /* Two calls on disjoint row ranges, as the threads do. */
      const int split = (int)uniform(0, oh);
      gic_conv2d_s16(&p, 0, split, paths[q]);
      gic_conv2d_s16(&p, split, oh, paths[q]);
      if (fused) {
        compare(
            k, q == 0 ? "reference" : "portable", paths[q], c, shape, got16[q],
            q == 0 ? want16 : got16[0], out_count, sizeof(int16_t));
      } else {
        compare(
            k, q == 0 ? "reference" : "portable", paths[q], c, shape, got32[q],
            q == 0 ? want32 : got32[0], out_count, sizeof(int32_t));
      }
    }
    for (int q = 0; q < PATH_COUNT; q++) {
      free(got32[q]);
      free(got16[q]);
    }
    free(input), free(stored), free(packed), free(bias), free(m), free(s), free(want32);
    free(want16);
  }
}

/* MARK: - Requantization */

static void check_requant(kernel_stats *k, long cases) {
  rng_state = 0x72657175; /* "requ" */
  static const int counts[] = {1, 2, 7, 8, 9, 15, 16, 17, 64, 67};
  for (long c = 0; c < cases; c++) {
    k->cases++;
    const int channels = c < 10 ? counts[c] : (int)uniform(1, 70);
    const size_t pixels = (size_t)uniform(1, 40);
    const ptrdiff_t acc_stride = channels + uniform(0, 3), out_stride = channels + uniform(0, 3);
    int32_t *acc = xmalloc(sizeof(int32_t) * pixels * (size_t)acc_stride);
    for (size_t i = 0; i < pixels * (size_t)acc_stride; i++) acc[i] = random_s32();
    acc[0] = INT32_MIN;
    int32_t *m = xmalloc(sizeof(int32_t) * (size_t)channels);
    int32_t *s = xmalloc(sizeof(int32_t) * (size_t)channels);
    for (int i = 0; i < channels; i++) {
      m[i] = random_multiplier();
      s[i] = i < 3 ? (int32_t[]){0, 1, 62}[i] : (int32_t)uniform(0, 62);
    }
    int32_t lo = (int32_t)uniform(-32767, 0), hi = (int32_t)uniform(lo, 32767);
    if (c % 7 == 0) lo = -32767, hi = 32767;
    const size_t out_count = pixels * (size_t)out_stride;
    int16_t *want = xmalloc(sizeof(int16_t) * out_count);
    for (size_t i = 0; i < out_count; i++) want[i] = 0x5A5A;
    for (size_t q = 0; q < pixels; q++) {
      for (int i = 0; i < channels; i++) {
        want[q * (size_t)out_stride + (size_t)i] =
            ref_requant(acc[q * (size_t)acc_stride + (size_t)i], m[i], s[i], lo, hi);
      }
    }
    char shape[160];
    snprintf(
        shape, sizeof shape, "%zu pixels x %d channels, strides %td/%td, lo %d hi %d", pixels,
        channels, acc_stride, out_stride, lo, hi);
    int16_t *got[PATH_COUNT];
    for (int q = 0; q < PATH_COUNT; q++) {
      got[q] = xmalloc(sizeof(int16_t) * out_count);
      for (size_t i = 0; i < out_count; i++) got[q][i] = 0x5A5A;
      gic_requant_s32_s16(acc, acc_stride, got[q], out_stride, pixels, channels, m, s, lo, hi, paths[q]);
      compare(
          k, q == 0 ? "reference" : "portable", paths[q], c, shape, got[q], q == 0 ? want : got[0],
          out_count, sizeof(int16_t));
    }
    for (int q = 0; q < PATH_COUNT; q++) free(got[q]);
    free(acc), free(m), free(s), free(want);
  }
}

/* MARK: - Square root */

static void check_isqrt_values(kernel_stats *k, long index, const char *what, const int32_t *n, size_t count) {
  int32_t *want = xmalloc(sizeof(int32_t) * count);
  for (size_t i = 0; i < count; i++) want[i] = ref_isqrt(n[i]);
  int32_t *got = xmalloc(sizeof(int32_t) * count);
  int32_t *first = xmalloc(sizeof(int32_t) * count);
  char shape[160];
  for (int q = 0; q < PATH_COUNT; q++) {
    /* Odd offsets and lengths reach every tail of the vector loops; the last run is in place. */
    for (size_t off = 0; off < 3; off++) {
      if (off >= count) break;
      const size_t len = count - off - (off == 2 ? (count - off) % 17 : 0);
      snprintf(shape, sizeof shape, "%s, values %zu ..< %zu%s", what, off, off + len, off == 2 ? ", in place" : "");
      if (off == 2) {
        memcpy(got + off, n + off, len * sizeof(int32_t));
        gic_isqrt_s32(got + off, got + off, len, paths[q]);
      } else {
        gic_isqrt_s32(n + off, got + off, len, paths[q]);
      }
      if (off == 0 && q == 0) memcpy(first, got, count * sizeof(int32_t));
      compare(
          k, q == 0 ? "reference" : "portable", paths[q], index, shape, got + off,
          q == 0 ? want + off : first + off, len, sizeof(int32_t));
    }
  }
  free(want), free(got), free(first);
}

static void check_isqrt(kernel_stats *k, long cases) {
  rng_state = 0x69737172; /* "isqr" */
  /* Every k² − 1, k², k² + 1 for 0 ≤ k ≤ 46340, the int32 ends and negatives. */
  size_t count = 0;
  int32_t *edges = xmalloc(sizeof(int32_t) * (3 * 46341 + 16));
  static const int32_t extra[] = {
      INT32_MIN, INT32_MIN + 1, -2, -1, 0, 1, 2, 3, INT32_MAX, INT32_MAX - 1,
      2147395600, 2147395599, 1 << 30, (1 << 30) - 1};
  for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) edges[count++] = extra[i];
  for (int64_t r = 1; r <= 46340; r++) {
    edges[count++] = (int32_t)(r * r - 1);
    edges[count++] = (int32_t)(r * r);
    if (r * r + 1 <= INT32_MAX) edges[count++] = (int32_t)(r * r + 1);
  }
  k->cases++;
  check_isqrt_values(k, 0, "k^2 - 1, k^2, k^2 + 1 for k <= 46340 and int32 ends", edges, count);
  free(edges);
  /* Random values: uniform int32, and random bit lengths (small values as often as large). */
  const size_t n = (size_t)cases * 4096;
  int32_t *values = xmalloc(sizeof(int32_t) * n);
  for (size_t i = 0; i < n; i++) {
    switch (next64() % 3) {
    case 0: values[i] = (int32_t)(uint32_t)next64(); break;
    case 1: values[i] = (int32_t)((next64() & 0x7FFFFFFF) >> uniform(0, 30)); break;
    default: values[i] = (int32_t)(next64() & 0x7FFFFFFF); break;
    }
  }
  k->cases++;
  check_isqrt_values(k, 1, "random int32", values, n);
  free(values);
}

/* MARK: - GDN */

static void check_gdn(kernel_stats *kf, kernel_stats *ki, long cases) {
  rng_state = 0x67646E; /* "gdn" */
  static const int counts[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 32, 33};
  for (long c = 0; c < cases; c++) {
    const int inverse = (int)(c % 2);
    kernel_stats *k = inverse ? ki : kf;
    k->cases++;
    const int channels = c < 22 ? counts[c / 2] : (int)uniform(1, 40);
    const int pairs = (channels + 1) / 2;
    const size_t stride = 2 * (size_t)pairs;
    const size_t pixels = (size_t)uniform(1, 50);
    const size_t count = pixels * stride;
    const int32_t t = c < 4 ? (int32_t[]){0, 0, 30, 30}[c] : (int32_t)uniform(0, 30);
    /* |x| ≤ 32767 (the layer's contract), the ends often. */
    int16_t *x = xmalloc(sizeof(int16_t) * count);
    for (size_t q = 0; q < pixels; q++) {
      for (size_t i = 0; i < stride; i++) x[q * stride + i] = (int)i < channels ? random_s16(-32767) : 0;
    }
    int16_t *gamma = xmalloc(sizeof(int16_t) * (size_t)(channels * channels));
    for (int i = 0; i < channels * channels; i++) {
      gamma[i] = next64() % 4 == 0 ? random_s16(-32768) : (int16_t)uniform(0, 2000);
    }
    int16_t *packed = xmalloc(sizeof(int16_t) * gic_conv_packed_count(channels, pairs, 1, 1));
    gic_conv_pack_weights(gamma, channels, 1, 0, 0, channels, channels, 1, 1, packed);
    int32_t *beta = xmalloc(sizeof(int32_t) * (size_t)channels);
    int32_t *m = xmalloc(sizeof(int32_t) * (size_t)channels);
    int32_t *s = xmalloc(sizeof(int32_t) * (size_t)channels);
    for (int i = 0; i < channels; i++) {
      beta[i] = next64() % 3 == 0 ? random_s32() : (int32_t)uniform(0, 1 << 20);
      m[i] = random_multiplier();
      s[i] = (int32_t)uniform(0, inverse ? 62 : 46);
    }
    const int32_t lo = (int32_t)uniform(-32767, 0), hi = (int32_t)uniform(lo, 32767);

    int16_t *want = xmalloc(sizeof(int16_t) * count);
    for (size_t i = 0; i < count; i++) want[i] = 0x5A5A;
    for (size_t q = 0; q < pixels; q++) {
      const int16_t *xp = x + q * stride;
      for (int i = 0; i < channels; i++) {
        uint32_t norm = (uint32_t)beta[i];
        for (int j = 0; j < channels; j++) {
          int32_t u = (int32_t)xp[j] * xp[j];
          if (t > 0) u = (int32_t)(((int64_t)u + ((int64_t)1 << (t - 1))) >> t);
          if (u > 32767) u = 32767;
          norm += (uint32_t)((int32_t)gamma[i * channels + j] * u);
        }
        const int64_t r = ref_isqrt((int32_t)norm);
        int64_t v;
        if (inverse) {
          v = ref_requant((int32_t)(xp[i] * r), m[i], s[i], lo, hi);
        } else {
          v = ref_rdiv((int64_t)xp[i] * m[i], (r > 1 ? r : 1) << s[i]);
          if (v < lo) v = lo;
          if (v > hi) v = hi;
        }
        want[q * stride + (size_t)i] = (int16_t)v;
      }
    }

    gic_gdn_params p = {
        .input = x,
        .channels = channels,
        .square_shift = t,
        .weights = packed,
        .beta = beta,
        .m = m,
        .s = s,
        .lo = lo,
        .hi = hi,
        .inverse = inverse,
    };
    char shape[160];
    snprintf(
        shape, sizeof shape, "%zu pixels x %d channels, square shift %d, lo %d hi %d", pixels,
        channels, t, lo, hi);
    int16_t *u = xmalloc(sizeof(int16_t) * count);
    int32_t *acc = xmalloc(sizeof(int32_t) * count);
    int16_t *got[PATH_COUNT];
    for (int q = 0; q < PATH_COUNT; q++) {
      got[q] = xmalloc(sizeof(int16_t) * count);
      for (size_t i = 0; i < count; i++) got[q][i] = 0x5A5A;
      p.output = got[q];
      /* Two bands, as the threads run them (each with its own scratch). */
      const size_t split = (size_t)uniform(0, (int64_t)pixels);
      gic_gdn_s16(&p, 0, split, u, acc, paths[q]);
      gic_gdn_s16(&p, split, pixels, u, acc, paths[q]);
      compare(
          k, q == 0 ? "reference" : "portable", paths[q], c, shape, got[q], q == 0 ? want : got[0],
          count, sizeof(int16_t));
    }
    for (int q = 0; q < PATH_COUNT; q++) free(got[q]);
    free(x), free(gamma), free(packed), free(beta), free(m), free(s), free(want), free(u);
    free(acc);
  }
}

/* MARK: - Main */

int main(int argc, char **argv) {
  long scale = argc > 1 ? atol(argv[1]) : 1;
  if (scale < 1) scale = 1;
  const int avx2 = gic_kernels_resolve_path(GIC_KERNEL_PATH_AVX2);
  const int vnni = gic_kernels_resolve_path(GIC_KERNEL_PATH_AVX512VNNI);
  const int neon = gic_kernels_resolve_path(GIC_KERNEL_PATH_NEON);
  printf(
      "CKernels harness: %s build; avx2 runs %s, avx512vnni runs %s, neon runs %s, automatic "
      "runs %s\n",
#if defined(__aarch64__)
      "aarch64",
#elif defined(__x86_64__)
      "x86-64",
#else
      "other",
#endif
      path_name(avx2), path_name(vnni), path_name(neon),
      path_name(gic_kernels_resolve_path(GIC_KERNEL_PATH_AUTOMATIC)));
  if (vnni != GIC_KERNEL_PATH_AVX512VNNI) {
    printf("avx512vnni: SKIPPED (this CPU or build lacks AVX-512 F/BW/VL/VNNI; compared as %s)\n",
           path_name(vnni));
  }
  int failed = 0;
  /* Each path runs itself or a lesser one, never another architecture's. */
  const int want_avx2 = gic_kernels_have_avx2() ? GIC_KERNEL_PATH_AVX2 : GIC_KERNEL_PATH_PORTABLE;
  const int want_vnni = gic_kernels_have_avx512vnni() ? GIC_KERNEL_PATH_AVX512VNNI : want_avx2;
  const int want_neon = gic_kernels_have_neon() ? GIC_KERNEL_PATH_NEON : GIC_KERNEL_PATH_PORTABLE;
  if (avx2 != want_avx2 || vnni != want_vnni || neon != want_neon ||
      (gic_kernels_have_neon() && (gic_kernels_have_avx2() || gic_kernels_have_avx512vnni())) ||
      (gic_kernels_have_avx512vnni() && !gic_kernels_have_avx2())) {
    fprintf(stderr, "MISMATCH dispatch: avx2 -> %s, avx512vnni -> %s, neon -> %s\n",
            path_name(avx2), path_name(vnni), path_name(neon));
    failed = 1;
  }
  const char *env = getenv("GIC_KERNELS");
  const int best = gic_kernels_have_avx512vnni() ? GIC_KERNEL_PATH_AVX512VNNI
                   : gic_kernels_have_avx2()     ? GIC_KERNEL_PATH_AVX2
                                                 : want_neon;
  const int want_automatic =
      env == NULL                                                      ? best
      : (strcmp(env, "portable") == 0 || strcmp(env, "scalar") == 0) ? GIC_KERNEL_PATH_PORTABLE
      : strcmp(env, "avx2") == 0                                       ? want_avx2
      : (strcmp(env, "avx512vnni") == 0 || strcmp(env, "vnni") == 0)   ? want_vnni
                                                                       : best;
  if (gic_kernels_resolve_path(GIC_KERNEL_PATH_AUTOMATIC) != want_automatic) {
    fprintf(stderr, "MISMATCH dispatch: automatic resolves to %s, not %s\n",
            path_name(gic_kernels_resolve_path(GIC_KERNEL_PATH_AUTOMATIC)),
            path_name(want_automatic));
    failed = 1;
  }

  kernel_stats k[] = {
      {"conv2d_s16 (int32)", 0, 0, 0}, {"conv2d_s16 (requant)", 0, 0, 0},
      {"requant_s32_s16", 0, 0, 0},    {"isqrt_s32", 0, 0, 0},
      {"gdn_s16 (GDN)", 0, 0, 0},      {"gdn_s16 (inverse)", 0, 0, 0},
  };
  check_conv(&k[0], &k[1], 1500 * scale);
  check_requant(&k[2], 500 * scale);
  check_isqrt(&k[3], 16 * scale);
  check_gdn(&k[4], &k[5], 600 * scale);
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    report(&k[i]);
    if (k[i].mismatches != 0) failed = 1;
  }
  printf("%s\n", failed ? "FAILED: the paths differ (first mismatch of each kernel above)" : "all paths bit-exact");
  return failed;
}
