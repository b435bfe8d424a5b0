#ifndef GIC_CARCHIVE_SHIM_H
#define GIC_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

/// Re-exported because Swift cannot import libarchive's cast macros.
static inline unsigned int gic_ae_ifreg(void) { return (unsigned int)AE_IFREG; }
static inline unsigned int gic_ae_ifdir(void) { return (unsigned int)AE_IFDIR; }
#endif
