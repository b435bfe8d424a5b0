#ifndef GIC_CPNG_SHIM_H
#define GIC_CPNG_SHIM_H
#include <png.h>

/// Cast macros of libpng's simplified API, re-exported as functions for Swift.
static inline png_uint_32 gic_png_format_rgb(void) { return PNG_FORMAT_RGB; }
static inline png_uint_32 gic_png_format_rgba(void) { return PNG_FORMAT_RGBA; }
static inline png_uint_32 gic_png_format_gray(void) { return PNG_FORMAT_GRAY; }
static inline png_uint_32 gic_png_image_version(void) { return PNG_IMAGE_VERSION; }
static inline size_t gic_png_image_size(png_imagep image) { return PNG_IMAGE_SIZE(*image); }
#endif
