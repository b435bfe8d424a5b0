/*
 * Weight packing, the row/column driver of gic_conv2d_s16 and its portable block kernel (the
 * AVX2, AVX-512 VNNI and NEON block kernels are in conv2d_avx2.c, conv2d_avx512vnni.c and
 * conv2d_neon.c).
 */
#include <string.h>

#include "../internal.h"

size_t gic_conv_packed_count(int out_channels, int pairs, int kernel_h, int kernel_w) {
  size_t blocks = (size_t)(out_channels + GIC_CONV_BLOCK - 1) / GIC_CONV_BLOCK;
  return blocks * (size_t)kernel_h * (size_t)kernel_w * (size_t)pairs * 2 * GIC_CONV_BLOCK;
}

void gic_conv_pack_weights(
    const int16_t *origin, ptrdiff_t stride_o, ptrdiff_t stride_i, ptrdiff_t stride_u,
    ptrdiff_t stride_v, int out_channels, int in_channels, int kernel_h, int kernel_w,
    int16_t *packed) {
  int pairs = (in_channels + 1) / 2;
  int blocks = (out_channels + GIC_CONV_BLOCK - 1) / GIC_CONV_BLOCK;
  size_t k = 0;
  for (int ob = 0; ob < blocks; ob++) {
    for (int u = 0; u < kernel_h; u++) {
      for (int v = 0; v < kernel_w; v++) {
        for (int p = 0; p < pairs; p++) {
          for (int l = 0; l < GIC_CONV_BLOCK; l++) {
            int o = ob * GIC_CONV_BLOCK + l;
            for (int h = 0; h < 2; h++) {
              int i = 2 * p + h;
              packed[k++] = (o < out_channels && i < in_channels)
                                ? origin[o * stride_o + i * stride_i + u * stride_u + v * stride_v]
                                : 0;
            }
          }
        }
      }
    }
  }
}

/*
 * The portable block kernel: one pixel at a time, 16 channels. Products are formed in int32
 * (|w·x| ≤ 2^30) and summed modulo 2^32, which is exact whenever the true sum fits int32.
 */
static void gic_conv_block_portable(const gic_conv_block *b, int n) {
  for (int k = 0; k < n; k++) {
    uint32_t acc[GIC_CONV_BLOCK];
    for (int l = 0; l < GIC_CONV_BLOCK; l++) acc[l] = (uint32_t)b->bias[l];
    const int16_t *in = b->in + k * b->in_pixel;
    for (int r = 0; r < b->rows; r++) {
      const int16_t *ip = in + r * b->in_row;
      const int16_t *wp = b->w + r * b->w_row;
      for (int j = 0; j < b->run; j++) {
        int32_t x0 = ip[2 * j], x1 = ip[2 * j + 1];
        const int16_t *wj = wp + 2 * GIC_CONV_BLOCK * j;
        for (int l = 0; l < GIC_CONV_BLOCK; l++) {
          acc[l] += (uint32_t)(wj[2 * l] * x0) + (uint32_t)(wj[2 * l + 1] * x1);
        }
      }
    }
    if (b->out16 != NULL) {
      int16_t *out = b->out16 + k * b->out_pixel;
      for (int l = 0; l < b->valid; l++) {
        out[l] = gic_requant1((int32_t)acc[l], b->m[l], b->s[l], b->lo, b->hi);
      }
    } else {
      int32_t *out = b->out + k * b->out_pixel;
      for (int l = 0; l < b->valid; l++) out[l] = (int32_t)acc[l];
    }
  }
}

static ptrdiff_t floor_div(ptrdiff_t a, ptrdiff_t d) {
  ptrdiff_t q = a / d;
  return (a % d != 0 && a < 0) ? q - 1 : q;
}

static ptrdiff_t clamp(ptrdiff_t v, ptrdiff_t lo, ptrdiff_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

void gic_conv2d_s16(const gic_conv2d_params *p, int row_begin, int row_end, int path) {
  gic_conv_block_fn block = gic_conv_block_portable;
  int width = 1;
#if GIC_HAVE_X86
  const int resolved = gic_kernels_resolve_path(path);
  if (resolved == GIC_KERNEL_PATH_AVX512VNNI) {
    block = gic_conv_block_avx512vnni;
    width = GIC_AVX512VNNI_PIXELS;
  } else if (resolved == GIC_KERNEL_PATH_AVX2) {
    block = gic_conv_block_avx2;
    width = GIC_AVX2_PIXELS;
  }
#elif GIC_HAVE_NEON
  if (gic_kernels_resolve_path(path) == GIC_KERNEL_PATH_NEON) {
    block = gic_conv_block_neon;
    width = GIC_NEON_PIXELS;
  }
#else
  (void)path;
#endif
  const ptrdiff_t cs = 2 * (ptrdiff_t)p->pairs;
  const ptrdiff_t in_row = p->in_width * cs;
  const ptrdiff_t w_tap = p->pairs * 2 * GIC_CONV_BLOCK;
  const ptrdiff_t w_row = p->kernel_w * w_tap;
  const ptrdiff_t w_block = p->kernel_h * w_row;
  const int blocks = (p->out_channels + GIC_CONV_BLOCK - 1) / GIC_CONV_BLOCK;
  const ptrdiff_t s = p->stride;
  const ptrdiff_t ox = p->origin_x, oy = p->origin_y;
  const ptrdiff_t kh = p->kernel_h, kw = p->kernel_w;

  /* Output columns [xl, xr) see their whole kernel window inside the input's columns. */
  ptrdiff_t xl = ox >= 0 ? 0 : floor_div(-ox + s - 1, s);
  ptrdiff_t xr = floor_div(p->in_width - kw - ox, s) + 1;
  xl = clamp(xl, 0, p->out_width);
  xr = clamp(xr, xl, p->out_width);
  int empty = kh == 0 || kw == 0 || p->pairs == 0;

  gic_conv_block b;
  b.lo = p->lo;
  b.hi = p->hi;
  b.in_row = in_row;
  b.in_pixel = s * cs;
  b.w_row = w_row;
  b.out_pixel = p->out_pixel_stride;

  for (int y = row_begin; y < row_end; y++) {
    const ptrdiff_t iy = oy + y * s;
    const ptrdiff_t u0 = clamp(-iy, 0, kh);
    const ptrdiff_t u1 = clamp(p->in_height - iy, u0, kh);
    const int rows = empty ? 0 : (int)(u1 - u0);
    for (int ob = 0; ob < blocks; ob++) {
      int32_t bias[GIC_CONV_BLOCK], m[GIC_CONV_BLOCK], sh[GIC_CONV_BLOCK];
      int valid = p->out_channels - ob * GIC_CONV_BLOCK;
      if (valid > GIC_CONV_BLOCK) valid = GIC_CONV_BLOCK;
      for (int l = 0; l < GIC_CONV_BLOCK; l++) {
        int o = ob * GIC_CONV_BLOCK + l;
        bias[l] = l < valid ? p->bias[o] : 0;
        m[l] = (l < valid && p->output16 != NULL) ? p->requant_m[o] : 1;
        sh[l] = (l < valid && p->output16 != NULL) ? p->requant_s[o] : 0;
      }
      b.bias = bias;
      b.m = m;
      b.s = sh;
      b.valid = valid;
      const int16_t *wb = p->weights + ob * w_block;
      const ptrdiff_t out_offset = y * p->out_row_stride + ob * GIC_CONV_BLOCK;
      int32_t *out_row = p->output16 == NULL ? p->output + out_offset : NULL;
      int16_t *out16_row = p->output16 != NULL ? p->output16 + out_offset : NULL;

      /* Border columns: one pixel at a time, the window clipped to the input. */
      for (ptrdiff_t x = 0; x < p->out_width; x++) {
        if (x == xl) x = xr;
        if (x >= p->out_width) break;
        const ptrdiff_t ix = ox + x * s;
        const ptrdiff_t v0 = clamp(-ix, 0, kw);
        const ptrdiff_t v1 = clamp(p->in_width - ix, v0, kw);
        b.rows = rows;
        b.run = (int)(v1 - v0) * p->pairs;
        if (rows > 0 && b.run > 0) {
          b.in = p->input + (iy + u0) * in_row + (ix + v0) * cs;
          b.w = wb + u0 * w_row + v0 * w_tap;
        } else {
          b.rows = 0;
          b.in = p->input;
          b.w = wb;
        }
        b.out = out_row != NULL ? out_row + x * p->out_pixel_stride : NULL;
        b.out16 = out16_row != NULL ? out16_row + x * p->out_pixel_stride : NULL;
        block(&b, 1);
      }

      /* Interior columns: runs of up to `width` pixels with the full window of columns. */
      b.rows = rows;
      b.run = (int)kw * p->pairs;
      for (ptrdiff_t x = xl; x < xr;) {
        int n = (int)(xr - x < width ? xr - x : width);
        if (rows > 0) {
          b.in = p->input + (iy + u0) * in_row + (ox + x * s) * cs;
          b.w = wb + u0 * w_row;
        } else {
          b.in = p->input;
          b.w = wb;
        }
        b.out = out_row != NULL ? out_row + x * p->out_pixel_stride : NULL;
        b.out16 = out16_row != NULL ? out16_row + x * p->out_pixel_stride : NULL;
        block(&b, n);
        x += n;
      }
    }
  }
}
