import CPNG
import WeightFormat

/// Writes 8-bit gray or RGB PNGs quickly: the Paeth filter on every row, zlib's run-length
/// strategy (`Z_RLE`), and bands of rows deflated in parallel, joined into one zlib stream.
///
/// The file is one standard PNG (IHDR, sRGB, one IDAT, IEND), read by any decoder. Its bytes
/// depend only on the image, zlib and the fixed band height (``bandRows``), never on the thread
/// count: each band is a raw deflate stream of its own filtered rows (no history from earlier
/// bands), ended by a sync flush (an empty stored block, byte-aligned, not final) except the last
/// band, which finishes the stream; the Adler-32 of the whole is combined from the bands'.
///
/// Implementation note: measured on a decoded 768×512 photograph (docs/benchmarks.md, "Fixed
/// costs of the whole process"), libpng's default (adaptive filters, zlib level 6, `Z_FILTERED`)
/// took ~0.14 s; Paeth with `Z_RLE` deflates in ~18 ms on one core at +0.2 % size. Levels 1–3 were
/// 15–20 % larger; other filters larger. `Z_RLE` alone fails on flat or periodic bands, which
/// get a level-6 retry (`deflate`).
enum PNGWriter {
  /// Rows per independently deflated band.
  ///
  /// Fixed, so the file is the same for every thread count; 32 rows keep the per-band cost (a
  /// fresh Huffman block and a 5-byte flush) small.
  static let bandRows = 32

  /// Encodes `samples` (row-major, `channels` = 1 for gray or 3 for RGB) as a PNG.
  ///
  /// - Throws: ``ImageError/encodingFailed(message:)`` if zlib fails.
  static func encode(
    _ samples: [UInt8], width: Int, height: Int, channels: Int, threads: Int
  ) throws(ImageError) -> [UInt8] {
    precondition((channels == 1 || channels == 3) && samples.count == width * height * channels)
    let bands = (height + bandRows - 1) / bandRows
    var parts = [Band](repeating: Band(), count: bands)
    parts.withUnsafeMutableBufferPointer { slots in
      let out = DisjointWrites(buffer: slots)
      samples.withUnsafeBufferPointer { raw in
        let input = SharedReads(buffer: raw)
        DisjointWork.forEach(bands, threads: threads) { k in
          let rows = (k * bandRows)..<min(height, (k + 1) * bandRows)
          out.base[k] = deflate(
            input.base, width: width, channels: channels, rows: rows, last: k == bands - 1)
        }
      }
    }
    var adler = adler32(0, nil, 0)
    var idat: [UInt8] = [0x78, 0x01]  // zlib header: deflate, 32 KiB window, "fastest"
    idat.reserveCapacity(parts.reduce(6) { $0 + $1.bytes.count })
    for part in parts {
      guard part.ok else { throw .encodingFailed(message: "zlib could not deflate the rows") }
      idat += part.bytes
      adler = adler32_combine(adler, part.adler, part.length)
    }
    idat += ByteWriterBigEndian.bytes(UInt32(truncatingIfNeeded: adler))

    var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    file.reserveCapacity(idat.count + 64)
    var header =
      ByteWriterBigEndian.bytes(UInt32(width)) + ByteWriterBigEndian.bytes(UInt32(height))
    // Bit depth 8, colour type 0 (gray) or 2 (RGB), deflate, adaptive filtering, no interlace.
    header += [8, channels == 1 ? 0 : 2, 0, 0, 0]
    appendChunk("IHDR", header, to: &file)
    appendChunk("sRGB", [0], to: &file)  // rendering intent perceptual, as libpng writes it
    appendChunk("IDAT", idat, to: &file)
    appendChunk("IEND", [], to: &file)
    return file
  }

  /// One band's deflated rows.
  private struct Band {
    var bytes: [UInt8] = []
    var adler: uLong = 0
    /// Filtered bytes the band covers (for `adler32_combine`).
    var length: Int = 0
    var ok = false
  }

  /// Filters `rows` (Paeth; the row above the first image row is zero) and deflates them as a
  /// raw stream, ended with a sync flush, or finished if `last`.
  private static func deflate(
    _ image: UnsafePointer<UInt8>, width: Int, channels: Int, rows: Range<Int>, last: Bool
  ) -> Band {
    let stride = width * channels
    let length = rows.count * (stride + 1)
    var filtered = [UInt8](repeating: 0, count: length)
    filtered.withUnsafeMutableBufferPointer { f in
      guard let base = f.baseAddress else { return }
      for (i, y) in rows.enumerated() {
        let out = base + i * (stride + 1)
        out[0] = 4  // Paeth
        paeth(
          image + y * stride, above: y == 0 ? nil : image + (y - 1) * stride, into: out + 1,
          count: stride, bpp: channels)
      }
    }
    var band = Band()
    band.length = length
    guard var best = compress(filtered, level: 1, strategy: Z_RLE, last: last) else { return band }
    // Run-length coding cannot see repeats further back than one byte; where it already halves
    // the band several times over (flat or patterned content), LZ77 at level 6 does far better
    // and is fast on such easy data. Photographic decodes stay above the threshold (41–53%).
    if best.count * 8 < length * 3 {
      guard let lz = compress(filtered, level: 6, strategy: Z_DEFAULT_STRATEGY, last: last) else {
        return band
      }
      if lz.count < best.count { best = lz }
    }
    band.bytes = best
    band.adler = filtered.withUnsafeBufferPointer { adler32(1, $0.baseAddress, uInt(length)) }
    band.ok = true
    return band
  }

  /// `input` as a raw deflate stream ended by a sync flush, or finished if `last`; nil if zlib
  /// fails.
  private static func compress(_ input: [UInt8], level: Int32, strategy: Int32, last: Bool)
    -> [UInt8]?
  {
    var stream = z_stream()
    guard gic_deflate_init_raw(&stream, level, strategy) == Z_OK else { return nil }
    defer { deflateEnd(&stream) }
    // deflateBound plus room for the sync flush's empty stored block and a spare block header.
    let capacity = Int(deflateBound(&stream, uLong(input.count))) + 64
    var ok = false
    let output = [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
      input.withUnsafeBufferPointer { f in
        // zlib only reads `next_in`; its type lacks `const` unless ZLIB_CONST is defined.
        stream.next_in = f.baseAddress.map { UnsafeMutablePointer(mutating: $0) }
        stream.avail_in = uInt(f.count)
        stream.next_out = out.baseAddress
        stream.avail_out = uInt(capacity)
        let status = CPNG.deflate(&stream, last ? Z_FINISH : Z_SYNC_FLUSH)
        ok = stream.avail_in == 0 && stream.avail_out > 0
        ok = ok && (last ? status == Z_STREAM_END : status == Z_OK)
      }
      count = capacity - Int(stream.avail_out)
    }
    return ok ? output : nil
  }

  /// PNG filter type 4 on one row: out[i] = row[i] − Paeth(left, above, upper-left), mod 256.
  @inline(__always)
  private static func paeth(
    _ row: UnsafePointer<UInt8>, above: UnsafePointer<UInt8>?,
    into out: UnsafeMutablePointer<UInt8>,
    count: Int, bpp: Int
  ) {
    guard let above else {
      // No row above: Paeth reduces to the left neighbour (Sub).
      for i in 0..<count { out[i] = row[i] &- (i >= bpp ? row[i - bpp] : 0) }
      return
    }
    for i in 0..<bpp { out[i] = row[i] &- above[i] }
    var i = bpp
    while i < count {
      let a = Int16(row[i - bpp])
      let b = Int16(above[i])
      let c = Int16(above[i - bpp])
      let pa = abs(b &- c)
      let pb = abs(a &- c)
      let pc = abs(a &+ b &- c &- c)
      let predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
      out[i] = row[i] &- UInt8(truncatingIfNeeded: predictor)
      i += 1
    }
  }

  /// Appends a chunk: length, type, data, CRC-32 of type and data.
  private static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
    let name = Array(type.utf8)
    // crc32 with a null buffer returns its initial value, so the empty data of IEND is skipped.
    var crc = crc32(0, name, uInt(name.count))
    if !data.isEmpty { crc = crc32(crc, data, uInt(data.count)) }
    file += ByteWriterBigEndian.bytes(UInt32(data.count))
    file += name
    file += data
    file += ByteWriterBigEndian.bytes(UInt32(truncatingIfNeeded: crc))
  }
}

/// Big-endian 32-bit fields of PNG chunks.
private enum ByteWriterBigEndian {
  static func bytes(_ v: UInt32) -> [UInt8] {
    [
      UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8),
      UInt8(truncatingIfNeeded: v),
    ]
  }
}
