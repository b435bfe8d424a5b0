// entropy-bench: encode/decode throughput of gic's rANS coder (ReferenceCodec.EntropyTable) on
// values and rows written by bench/entropy_bench.py, with CDF tables read from a CompressAI .npz.
//
//   entropy-bench --npz models/example-bmshj2018-hyperprior.npz --table gaussian_conditional \
//                 --data /tmp/x/gaussian.bin [--reps 5]
//
// Data file (little-endian): magic "GICEB001", UInt64 n, n × Int64 values, n × Int32 rows.
// Prints one JSON object: timings (best and median of the repetitions), coded bytes, and the
// ideal size Σ −log2(f / 2^p) over every coded unit (model units, plus 2 + 16·n bypass bits per
// escape as spec/entropy-coding.md §5 codes it), computed from the table; and where the time goes:
// collecting units vs RANSEncoder.finish(), the decode loop into an output buffer whose pages
// are already mapped vs allocating a fresh output array, and growing a unit array alone.
import Converters
import Foundation
import ReferenceCodec
import WeightFormat

struct Failure: Error, CustomStringConvertible {
  var description: String
}

func argument(_ name: String, default value: String? = nil) throws -> String {
  let args = CommandLine.arguments
  if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
  if let value { return value }
  throw Failure(description: "missing \(name)")
}

func int32Array(_ a: NumPyArray, _ name: String) throws -> [Int32] {
  guard a.dtype == .int32 else { throw Failure(description: "\(name): expected int32") }
  return a.data.withUnsafeBytes { raw in
    (0..<(a.data.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) }
  }
}

/// CompressAI's `_quantized_cdf/_cdf_length/_offset` of entropy model `prefix` as a CDFTable.
func loadTable(npz: String, prefix: String) throws -> CDFTable {
  let arrays = try NPZReader(path: npz).readAll()
  guard let q = arrays[prefix + "._quantized_cdf"], let l = arrays[prefix + "._cdf_length"],
    let o = arrays[prefix + "._offset"], q.shape.count == 2
  else { throw Failure(description: "\(npz) has no CDF table \(prefix)") }
  let cdf = try int32Array(q, "_quantized_cdf")
  let lengths = try int32Array(l, "_cdf_length")
  let offsets = try int32Array(o, "_offset")
  let (n, m) = (q.shape[0], q.shape[1])
  let rows = (0..<n).map { i in
    (offset: offsets[i], cdf: cdf[(i * m)..<(i * m + Int(lengths[i]))].map { UInt32($0) })
  }
  return CDFTable(precision: 16, rows: rows)
}

func loadData(_ path: String) throws -> (values: [Int64], rows: [Int32]) {
  let data = try Data(contentsOf: URL(fileURLWithPath: path))
  return try data.withUnsafeBytes { raw in
    guard raw.count >= 16, String(decoding: raw[0..<8], as: UTF8.self) == "GICEB001" else {
      throw Failure(description: "\(path): not an entropy-bench data file")
    }
    let n = Int(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    guard raw.count == 16 + 12 * n else { throw Failure(description: "\(path): wrong size") }
    var values = [Int64](repeating: 0, count: n)
    var rows = [Int32](repeating: 0, count: n)
    values.withUnsafeMutableBytes {
      $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[16..<(16 + 8 * n)]))
    }
    rows.withUnsafeMutableBytes {
      $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(16 + 8 * n)...]))
    }
    return (values, rows)
  }
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func summary(_ ns: [UInt64], perSymbol n: Int) -> (best: Double, median: Double) {
  let sorted = ns.sorted()
  let mid =
    sorted.count % 2 == 1
    ? Double(sorted[sorted.count / 2])
    : Double(sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
  return (Double(sorted[0]) / Double(n), mid / Double(n))
}

func run() throws {
  let npz = try argument("--npz")
  let prefix = try argument("--table")
  let dataPath = try argument("--data")
  let reps = Int(try argument("--reps", default: "5")) ?? 5

  let cdfTable = try loadTable(npz: npz, prefix: prefix)
  let (values, rows) = try loadData(dataPath)
  let n = values.count

  var t0 = now()
  let table = try EntropyTable(cdfTable, name: prefix)
  let tableNs = now() - t0

  // Ideal size over the coded units, from the table.
  var idealModelBits = 0.0
  var bypassBits = 0
  var escapes = 0
  let p = Double(cdfTable.precision)
  for i in 0..<n {
    let r = Int(rows[i])
    let base = r * cdfTable.stride
    let length = Int(cdfTable.lengths[r])
    let s = values[i] - Int64(cdfTable.offsets[r])
    var sym = length - 2
    if s >= 0 && s < Int64(length - 2) {
      sym = Int(s)
    } else {
      escapes += 1
      // spec/entropy-coding.md §5: a 5-bit head (side, nibble count), then 4-bit nibbles of the
      // distance from the row's direct range.
      let lo = Int64(cdfTable.offsets[r])
      let hi = lo + Int64(length - 3)
      let d = values[i] > hi ? UInt64(values[i] - hi - 1) : UInt64(lo - 1 - values[i])
      var nibbles = 1
      while nibbles < 16 && d >> (4 * UInt64(nibbles)) != 0 { nibbles += 1 }
      bypassBits += 5 + 4 * nibbles
    }
    let f = Double(cdfTable.cdf[base + sym + 1] - cdfTable.cdf[base + sym])
    idealModelBits += p - log2(f)
  }
  let idealBytes = (idealModelBits + Double(bypassBits)) / 8

  var encodeNs: [UInt64] = []
  var decodeNs: [UInt64] = []
  var stream: [UInt8] = []
  for _ in 0..<reps {
    t0 = now()
    stream = try table.encode(values: values, rows: rows)
    encodeNs.append(now() - t0)
  }
  for _ in 0..<reps {
    t0 = now()
    let decoded = try table.decode32(stream, rows: rows)
    decodeNs.append(now() - t0)
    guard decoded.elementsEqual(values, by: { Int64($0) == $1 }) else {
      throw Failure(description: "decoded values differ")
    }
  }

  // Where encoding time goes (best of the repetitions): collecting units (table lookups, the
  // unit array) vs the rANS pass and byte output (finish()).
  var encoder = RANSEncoder()
  var collectNs: [UInt64] = []
  var finishNs: [UInt64] = []
  for _ in 0..<reps {
    encoder = RANSEncoder()
    t0 = now()
    for i in 0..<n { try table.encode(values[i], row: Int(rows[i]), into: &encoder) }
    collectNs.append(now() - t0)
    t0 = now()
    let again = encoder.finish()
    finishNs.append(now() - t0)
    guard again == stream else { throw Failure(description: "unit-wise encoding differs") }
  }

  // Where decoding time goes: the same per-value API (decode(row:from:), @inlinable) writing
  // into a buffer whose pages are already mapped, vs the cost of a fresh n-value output array.
  var loopNs: [UInt64] = []
  var prefaulted = [Int64](repeating: 1, count: n)
  for _ in 0..<reps {
    t0 = now()
    var decoder = try RANSDecoder(stream)
    try prefaulted.withUnsafeMutableBufferPointer { out throws(EntropyError) in
      try rows.withUnsafeBufferPointer { rows throws(EntropyError) in
        for i in 0..<n { out[i] = try table.decode(row: Int(rows[i]), from: &decoder) }
      }
    }
    try decoder.finish()
    loopNs.append(now() - t0)
  }
  guard prefaulted == values else { throw Failure(description: "decode loop differs") }
  var allocNs: [UInt64] = []
  for _ in 0..<reps {
    t0 = now()
    let fresh = [Int64](repeating: 0, count: n)
    allocNs.append(now() - t0)
    if n > 0 && fresh[n / 2] != 0 { print("") }
  }
  // Growing a fresh array to `units` 64-bit entries one append at a time, as RANSEncoder does.
  var growNs: [UInt64] = []
  for _ in 0..<reps {
    t0 = now()
    var grown: [UInt64] = []
    for i in 0..<encoder.unitCount { grown.append(UInt64(truncatingIfNeeded: i)) }
    growNs.append(now() - t0)
    if grown.count != encoder.unitCount || grown.last == 1 { print("") }
  }

  let enc = summary(encodeNs, perSymbol: n)
  let dec = summary(decodeNs, perSymbol: n)
  let json: [String: Any] = [
    "coder": "gic ReferenceCodec rANS",
    "table": prefix,
    "symbols": n,
    "units": encoder.unitCount,
    "escapes": escapes,
    "repetitions": reps,
    "encode_ns_per_symbol_best": enc.best,
    "encode_ns_per_symbol_median": enc.median,
    "decode_ns_per_symbol_best": dec.best,
    "decode_ns_per_symbol_median": dec.median,
    "encode_collect_units_ns_per_symbol": summary(collectNs, perSymbol: n).best,
    "encode_finish_ns_per_symbol": summary(finishNs, perSymbol: n).best,
    "table_prepare_ms": Double(tableNs) / 1e6,
    "diag_decode_loop_prefaulted_ns_per_symbol_best": summary(loopNs, perSymbol: n).best,
    "diag_output_array_alloc_ns_per_symbol_best": summary(allocNs, perSymbol: n).best,
    "diag_append_units_to_fresh_array_ns_per_symbol_best": summary(growNs, perSymbol: n).best,
    "bytes": stream.count,
    "ideal_model_bits": idealModelBits,
    "bypass_bits": bypassBits,
    "ideal_bytes": idealBytes,
    "overhead_percent": (Double(stream.count) - idealBytes) / idealBytes * 100,
    "roundtrip_ok": true,
  ]
  let out = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
  print(String(decoding: out, as: UTF8.self))
}

do {
  try run()
} catch {
  FileHandle.standardError.write(Data("entropy-bench: \(error)\n".utf8))
  exit(1)
}
