/*
 * Kernel microbenchmark: gic_conv2d_s16 (fused requantization, as the decoders run it) and
 * gic_gdn_s16 on the layer shapes of two decoders at 768×512, every path it names timed on the
 * same data, interleaved (path A, path B, path A, …) so that the noise of a shared machine falls
 * on all alike; prints the median per layer and the ratio. Single-threaded. Built and run by
 * scripts/bench_kernels.sh (docs/benchmarks.md, "AVX-512 VNNI").
 *
 * A k5 s2 transposed convolution (CompressAI's deconv) is four stride-1 convolutions on the
 * input grid, one per output phase, with 3×3, 3×2, 2×3 and 2×2 taps (how PackedConvolution
 * runs it); they are timed together as one layer. Inverse GDN runs in PackedGDN's bands.
 *
 * Usage: bench [reps] [path names…]   (default: 9 reps, avx2 avx512vnni)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "CKernels.h"

static uint64_t rng = 0x62656e6368ULL;
static int32_t small(int32_t span) {
  rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
  return (int32_t)((rng >> 33) % (uint64_t)(2 * span + 1)) - span;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct layer {
  const char *name;
  /* 'd': k5 s2 deconv (four phases), 'c': conv k×k s1 pad k/2, 'g': inverse GDN. */
  char kind;
  int h, w, cin, cout, k;
} layer;

typedef struct prepared {
  int convs;
  gic_conv2d_params conv[4];
  gic_gdn_params gdn;
  size_t pixels;
  int16_t *u;
  int32_t *acc;
} prepared;

static int16_t *random_s16(size_t n, int32_t span) {
  int16_t *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = (int16_t)small(span);
  return v;
}

static int32_t *filled(size_t n, int32_t value) {
  int32_t *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = value;
  return v;
}

static gic_conv2d_params make_conv(const layer *l, int kh, int kw, int origin, int16_t *in, int16_t *out) {
  const int pairs = (l->cin + 1) / 2;
  int16_t *stored = random_s16((size_t)l->cout * (size_t)l->cin * (size_t)kh * (size_t)kw, 127);
  int16_t *packed = malloc(gic_conv_packed_count(l->cout, pairs, kh, kw) * sizeof(int16_t));
  gic_conv_pack_weights(
      stored, (ptrdiff_t)l->cin * kh * kw, (ptrdiff_t)kh * kw, kw, 1, l->cout, l->cin, kh, kw,
      packed);
  free(stored);
  gic_conv2d_params p = {
      .input = in, .in_height = l->h, .in_width = l->w, .pairs = pairs, .weights = packed,
      .bias = filled((size_t)l->cout, 1000), .out_channels = l->cout, .kernel_h = kh,
      .kernel_w = kw, .stride = 1, .origin_y = origin, .origin_x = origin, .out_height = l->h,
      .out_width = l->w, .output = NULL, .out_row_stride = (ptrdiff_t)l->w * l->cout,
      .out_pixel_stride = l->cout, .requant_m = filled((size_t)l->cout, 12345),
      .requant_s = filled((size_t)l->cout, 20), .lo = -32767, .hi = 32767, .output16 = out};
  return p;
}

static prepared prepare(const layer *l) {
  prepared p;
  memset(&p, 0, sizeof p);
  const size_t pixels = (size_t)l->h * (size_t)l->w;
  const int cs = (l->cin + 1) / 2 * 2;
  int16_t *in = random_s16(pixels * (size_t)cs, 255);
  if (l->kind == 'g') {
    int16_t *gamma = random_s16((size_t)cs * (size_t)cs, 60);
    for (int i = 0; i < cs * cs; i++) gamma[i] = (int16_t)abs(gamma[i]);
    int16_t *packed = malloc(gic_conv_packed_count(l->cin, cs / 2, 1, 1) * sizeof(int16_t));
    gic_conv_pack_weights(gamma, l->cin, 1, 0, 0, l->cin, l->cin, 1, 1, packed);
    p.gdn = (gic_gdn_params){
        .input = in, .output = malloc(pixels * (size_t)cs * sizeof(int16_t)),
        .channels = l->cin, .square_shift = 4, .weights = packed,
        .beta = filled((size_t)l->cin, 4096), .m = filled((size_t)l->cin, 3000),
        .s = filled((size_t)l->cin, 16), .lo = -32767, .hi = 32767, .inverse = 1};
    p.pixels = pixels;
    p.u = malloc(2048 * (size_t)cs * sizeof(int16_t));
    p.acc = malloc(2048 * (size_t)cs * sizeof(int32_t));
    return p;
  }
  int16_t *out = malloc(pixels * (size_t)l->cout * sizeof(int16_t));
  if (l->kind == 'd') {
    static const int taps[4][2] = {{3, 3}, {3, 2}, {2, 3}, {2, 2}};
    p.convs = 4;
    for (int q = 0; q < 4; q++) p.conv[q] = make_conv(l, taps[q][0], taps[q][1], -1, in, out);
  } else {
    p.convs = 1;
    p.conv[0] = make_conv(l, l->k, l->k, -(l->k / 2), in, out);
  }
  return p;
}

static void run(const prepared *p, int path) {
  if (p->convs == 0) {
    /* Bands as PackedGDN.bandPixels: at most 2048 pixels and 64 Ki values. */
    const size_t stride = (size_t)(p->gdn.channels + 1) / 2 * 2;
    size_t band = 65536 / stride;
    if (band > 2048) band = 2048;
    for (size_t b = 0; b < p->pixels; b += band) {
      const size_t e = b + band < p->pixels ? b + band : p->pixels;
      gic_gdn_s16(&p->gdn, b, e, p->u, p->acc, path);
    }
    return;
  }
  for (int q = 0; q < p->convs; q++) gic_conv2d_s16(&p->conv[q], 0, p->conv[q].out_height, path);
}

static int path_code(const char *name) {
  if (strcmp(name, "portable") == 0) return GIC_KERNEL_PATH_PORTABLE;
  if (strcmp(name, "avx2") == 0) return GIC_KERNEL_PATH_AVX2;
  if (strcmp(name, "avx512vnni") == 0) return GIC_KERNEL_PATH_AVX512VNNI;
  if (strcmp(name, "neon") == 0) return GIC_KERNEL_PATH_NEON;
  fprintf(stderr, "bench: unknown path %s\n", name);
  exit(2);
}

int main(int argc, char **argv) {
  const int reps = argc > 1 ? atoi(argv[1]) : 9;
  const char *names[8] = {"avx2", "avx512vnni"};
  int count = 2;
  if (argc > 2) {
    count = argc - 2 < 8 ? argc - 2 : 8;
    for (int i = 0; i < count; i++) names[i] = argv[2 + i];
  }
  int codes[8];
  for (int i = 0; i < count; i++) {
    codes[i] = path_code(names[i]);
    if (gic_kernels_resolve_path(codes[i]) != codes[i]) {
      printf("bench: %s is not available here (runs as another path); skipped\n", names[i]);
      return 0;
    }
  }
  /* Decoders of a 768×512 picture: latents 48×32, hyper-latents 12×8. */
  static const layer layers[] = {
      {"mbt2018-mean N128 M192: h_s deconv 128->192 @12x8", 'd', 8, 12, 128, 192, 5},
      {"mbt2018-mean N128 M192: h_s deconv 192->288 @24x16", 'd', 16, 24, 192, 288, 5},
      {"mbt2018-mean N128 M192: h_s conv3 288->384 @48x32", 'c', 32, 48, 288, 384, 3},
      {"mbt2018-mean N128 M192: g_s deconv 192->128 @48x32", 'd', 32, 48, 192, 128, 5},
      {"mbt2018-mean N128 M192: g_s IGDN 128 @96x64", 'g', 64, 96, 128, 128, 1},
      {"mbt2018-mean N128 M192: g_s deconv 128->128 @96x64", 'd', 64, 96, 128, 128, 5},
      {"mbt2018-mean N128 M192: g_s IGDN 128 @192x128", 'g', 128, 192, 128, 128, 1},
      {"mbt2018-mean N128 M192: g_s deconv 128->128 @192x128", 'd', 128, 192, 128, 128, 5},
      {"mbt2018-mean N128 M192: g_s IGDN 128 @384x256", 'g', 256, 384, 128, 128, 1},
      {"mbt2018-mean N128 M192: g_s deconv 128->3 @384x256", 'd', 256, 384, 128, 3, 5},
      {"gic-v2 N48 M64: g_s deconv 64->48 @48x32", 'd', 32, 48, 64, 48, 5},
      {"gic-v2 N48 M64: g_s IGDN 48 @96x64", 'g', 64, 96, 48, 48, 1},
      {"gic-v2 N48 M64: g_s deconv 48->48 @96x64", 'd', 64, 96, 48, 48, 5},
      {"gic-v2 N48 M64: g_s IGDN 48 @192x128", 'g', 128, 192, 48, 48, 1},
      {"gic-v2 N48 M64: g_s deconv 48->48 @192x128", 'd', 128, 192, 48, 48, 5},
      {"gic-v2 N48 M64: g_s IGDN 48 @384x256", 'g', 256, 384, 48, 48, 1},
      {"gic-v2 N48 M64: g_s deconv 48->3 @384x256", 'd', 256, 384, 48, 3, 5},
  };
  const int n_layers = (int)(sizeof layers / sizeof layers[0]);
  printf("%-56s", "layer (median ms of reps, 1 thread)");
  for (int i = 0; i < count; i++) printf(" %11s", names[i]);
  printf("  %s/%s\n", names[0], names[count - 1]);
  double total[2][8] = {{0}};
  double *times = malloc(sizeof(double) * (size_t)reps * (size_t)count);
  for (int li = 0; li < n_layers; li++) {
    const layer *l = &layers[li];
    prepared p = prepare(l);
    for (int i = 0; i < count; i++) run(&p, codes[i]); /* warm-up */
    for (int r = 0; r < reps; r++) {
      for (int i = 0; i < count; i++) {
        const int q = (r & 1) ? count - 1 - i : i; /* alternate the order */
        const double t0 = now();
        run(&p, codes[q]);
        times[q * reps + r] = now() - t0;
      }
    }
    printf("%-56s", l->name);
    double med[8];
    for (int i = 0; i < count; i++) {
      qsort(times + i * reps, (size_t)reps, sizeof(double), cmp_double);
      med[i] = times[i * reps + reps / 2];
      total[l->name[0] == 'g'][i] += med[i];
      printf(" %11.3f", 1e3 * med[i]);
    }
    printf("  %.2fx\n", med[0] / med[count - 1]);
  }
  for (int m = 0; m < 2; m++) {
    printf("%-56s", m == 0 ? "mbt2018-mean decoder layers, sum" : "gic-v2 decoder layers, sum");
    for (int i = 0; i < count; i++) printf(" %11.3f", 1e3 * total[m][i]);
    printf("  %.2fx\n", total[m][0] / total[m][count - 1]);
  }
  free(times);
  return 0;
}
