// The allocator setting of SystemCalls.reuseFreedMemory (issue #16): glibc's malloc.h is not part
// of Swift's Glibc module, so the call is made here.
#include <stdlib.h>  // defines __GLIBC__ on glibc

#include "CCleanup.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void gic_reuse_freed_memory(void) {
#if defined(__GLIBC__)
  // Blocks up to 32 MiB (glibc's largest mmap threshold on 64-bit hosts) from the heap, and free
  // memory at the top of the heap kept up to 512 MiB.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}
