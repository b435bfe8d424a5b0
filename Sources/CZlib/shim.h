#ifndef GIC_CZLIB_SHIM_H
#define GIC_CZLIB_SHIM_H
#include <zlib.h>

/// `inflateInit2` is a function-like macro that Swift cannot import.
static inline int gic_inflateInit2(z_streamp strm, int windowBits) {
  return inflateInit2(strm, windowBits);
}
/// `deflateInit2` is a function-like macro that Swift cannot import.
static inline int gic_deflateInit2(z_streamp strm, int level, int method, int windowBits,
                                   int memLevel, int strategy) {
  return deflateInit2(strm, level, method, windowBits, memLevel, strategy);
}
#endif
