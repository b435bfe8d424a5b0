/*
 * Selection of the kernel path: AVX2 by CPU feature at run time, NEON by the build (aarch64), and
 * the GIC_KERNELS environment variable.
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

int gic_kernels_have_neon(void) { return GIC_HAVE_NEON; }

int gic_kernels_default_path(void) {
  /* Read once; concurrent first calls compute the same value. */
  static atomic_int cached = 0;
  int v = atomic_load_explicit(&cached, memory_order_relaxed);
  if (v == 0) {
    const char *env = getenv("GIC_KERNELS");
    int forced_portable =
        env != NULL && (strcmp(env, "scalar") == 0 || strcmp(env, "portable") == 0);
    v = forced_portable            ? GIC_KERNEL_PATH_PORTABLE
        : gic_kernels_have_avx2() ? GIC_KERNEL_PATH_AVX2
        : gic_kernels_have_neon() ? GIC_KERNEL_PATH_NEON
                                  : GIC_KERNEL_PATH_PORTABLE;
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
  case GIC_KERNEL_PATH_NEON:
    return gic_kernels_have_neon() ? GIC_KERNEL_PATH_NEON : GIC_KERNEL_PATH_PORTABLE;
  default:
    return gic_kernels_default_path();
  }
}
