/*
 * Selection of the kernel path: AVX2 and AVX-512 VNNI by CPU feature at run time, NEON by the
 * build (aarch64), and the GIC_KERNELS environment variable.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int gic_kernels_have_avx2(void) {
#if GIC_HAVE_X86
  static atomic_int cached = -1;
  int v = atomic_load_explicit(&cached, memory_order_relaxed);
  if (v < 0) {
    __builtin_cpu_init();
    v = __builtin_cpu_supports("avx2") ? 1 : 0;
    atomic_store_explicit(&cached, v, memory_order_relaxed);
  }
  return v;
#else
  return 0;
#endif
}

int gic_kernels_have_avx512vnni(void) {
#if GIC_HAVE_X86
  static atomic_int cached = -1;
  int v = atomic_load_explicit(&cached, memory_order_relaxed);
  if (v < 0) {
    __builtin_cpu_init();
    /* __builtin_cpu_supports also checks that the OS saves the zmm and mask registers (XCR0). */
    v = (gic_kernels_have_avx2() && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512vnni"))
            ? 1
            : 0;
    atomic_store_explicit(&cached, v, memory_order_relaxed);
  }
  return v;
#else
  return 0;
#endif
}

int gic_kernels_have_neon(void) { return GIC_HAVE_NEON; }

int gic_kernels_default_path(void) {
  /* Read once; concurrent first calls compute the same value. */
  static atomic_int cached = 0;
  int v = atomic_load_explicit(&cached, memory_order_relaxed);
  if (v == 0) {
    const char *env = getenv("GIC_KERNELS");
    if (env != NULL && (strcmp(env, "scalar") == 0 || strcmp(env, "portable") == 0)) {
      v = GIC_KERNEL_PATH_PORTABLE;
    } else if (env != NULL && strcmp(env, "avx2") == 0) {
      v = gic_kernels_resolve_path(GIC_KERNEL_PATH_AVX2);
    } else if (env != NULL && (strcmp(env, "avx512vnni") == 0 || strcmp(env, "vnni") == 0)) {
      v = gic_kernels_resolve_path(GIC_KERNEL_PATH_AVX512VNNI);
    } else {
      /* VNNI first: measured faster than AVX2 (docs/benchmarks.md, "AVX-512 VNNI"). */
      v = gic_kernels_have_avx512vnni() ? GIC_KERNEL_PATH_AVX512VNNI
          : gic_kernels_have_avx2()     ? GIC_KERNEL_PATH_AVX2
          : gic_kernels_have_neon()     ? GIC_KERNEL_PATH_NEON
                                        : GIC_KERNEL_PATH_PORTABLE;
    }
    atomic_store_explicit(&cached, v, memory_order_relaxed);
  }
  return v;
}

int gic_kernels_resolve_path(int path) {
  switch (path) {
  case GIC_KERNEL_PATH_PORTABLE:
    return GIC_KERNEL_PATH_PORTABLE;
  case GIC_KERNEL_PATH_AVX2:
    return gic_kernels_have_avx2() ? GIC_KERNEL_PATH_AVX2 : GIC_KERNEL_PATH_PORTABLE;
  case GIC_KERNEL_PATH_AVX512VNNI:
    return gic_kernels_have_avx512vnni() ? GIC_KERNEL_PATH_AVX512VNNI
           : gic_kernels_have_avx2()     ? GIC_KERNEL_PATH_AVX2
                                         : GIC_KERNEL_PATH_PORTABLE;
  case GIC_KERNEL_PATH_NEON:
    return gic_kernels_have_neon() ? GIC_KERNEL_PATH_NEON : GIC_KERNEL_PATH_PORTABLE;
  default:
    return gic_kernels_default_path();
  }
}
