#ifndef GIC_CPNG_SHIM_H
#define GIC_CPNG_SHIM_H
#include <png.h>
#include <zlib.h>

/// Cast macros of libpng's simplified API, re-exported as functions for Swift.
static inline png_uint_32 gic_png_format_rgb(void) { return PNG_FORMAT_RGB; }
static inline png_uint_32 gic_png_format_rgba(void) { return PNG_FORMAT_RGBA; }
static inline png_uint_32 gic_png_format_gray(void) { return PNG_FORMAT_GRAY; }
static inline png_uint_32 gic_png_image_version(void) { return PNG_IMAGE_VERSION; }
static inline size_t gic_png_image_size(png_imagep image) { return PNG_IMAGE_SIZE(*image); }
static inline png_uint_32 gic_png_format_flag_alpha(void) { return PNG_FORMAT_FLAG_ALPHA; }
static inline png_uint_32 gic_png_format_flag_color(void) { return PNG_FORMAT_FLAG_COLOR; }
static inline png_uint_32 gic_png_format_flag_linear(void) { return PNG_FORMAT_FLAG_LINEAR; }
static inline png_uint_32 gic_png_format_flag_colormap(void) { return PNG_FORMAT_FLAG_COLORMAP; }

/// zlib's `deflateInit2` (a macro) for a raw deflate stream (no zlib wrapper; window 2^15,
/// memory level 8): the PNG writer adds the wrapper itself around independently coded bands.
static inline int gic_deflate_init_raw(z_streamp stream, int level, int strategy) {
  return deflateInit2(stream, level, Z_DEFLATED, -15, 8, strategy);
}
#endif
