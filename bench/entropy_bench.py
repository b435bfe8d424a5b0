#!/usr/bin/env python3
"""Entropy coding throughput: gic's rANS coder vs constriction and CompressAI, in one run.

    python3 bench/entropy_bench.py                # build, generate, run, print the table
    python3 bench/entropy_bench.py --json out.json --reps 5 --symbols 10000000

Builds the Swift executable `entropy-bench` (the nested package Benchmarks/, release) if needed,
generates fixed-seed data into a temporary directory, and codes it with:

- gic: ReferenceCodec's EntropyTable.encode(values:rows:) / decode(_:rows:) (the executable);
- constriction (stack.AnsCoder): a QuantizedGaussian model family with per-symbol std (Gaussian
  case only), and Categorical models built from the table rows' quantized probabilities, data
  grouped per row (one call per row, a fixed model per call: constriction's fastest path);
- CompressAI: compressai.ans.RansEncoder.encode_with_indexes / RansDecoder.decode_with_indexes
  (timings include pybind11's conversion of the Python lists).

Cases (10M symbols each by default, tables from CompressAI's example-bmshj2018-hyperprior.npz):

- gaussian: gaussian_conditional (64 rows), row uniform over 0..63 per symbol;
- factorized: entropy_bottleneck (16 channels), channel-major blocks of n/16 symbols;
- factorized-no-escape (informative): the same, drawn with the escape bin excluded.

Every symbol is drawn from its row's quantized distribution: a uniform slot in [0, 2^16) mapped
through the CDF. An escape bin draw becomes the value offset-1-k or offset+(L-2)+k, k uniform in
0..15, side 50/50 (an out-of-range value). Everything runs single-threaded.
"""
import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
NPZ = os.path.join(ROOT, "models", "example-bmshj2018-hyperprior.npz")
PRECISION = 16
ESCAPE_K = 16  # escapes lie 0..ESCAPE_K-1 beyond the row's range


# ----------------------------------------------------------------------------- tables and data

def load_table(z, prefix):
    """(cdf [n, m] int64, lengths [n], offsets [n]) of CompressAI entropy model `prefix`."""
    return (z[prefix + "._quantized_cdf"].astype(np.int64),
            z[prefix + "._cdf_length"].astype(np.int64),
            z[prefix + "._offset"].astype(np.int64))


def draw(rng, table, rows, exclude_escape=False):
    """Values drawn from each row's quantized distribution (see the module docstring)."""
    cdf, lengths, offsets = table
    n = len(rows)
    values = np.empty(n, dtype=np.int64)
    for r in range(len(lengths)):
        idx = np.nonzero(rows == r)[0]
        if len(idx) == 0:
            continue
        length = int(lengths[r])
        row = cdf[r, :length]
        top = int(row[length - 2]) if exclude_escape else 1 << PRECISION
        slots = rng.integers(0, top, size=len(idx))
        sym = np.searchsorted(row, slots, side="right") - 1
        v = offsets[r] + sym
        esc = sym == length - 2
        k = rng.integers(0, ESCAPE_K, size=int(esc.sum()))
        below = rng.random(size=int(esc.sum())) < 0.5
        v[esc] = np.where(below, offsets[r] - 1 - k, offsets[r] + (length - 2) + k)
        values[idx] = v
    return values


def write_data(path, values, rows):
    with open(path, "wb") as f:
        f.write(b"GICEB001")
        f.write(np.uint64(len(values)).tobytes())
        f.write(values.astype("<i8").tobytes())
        f.write(rows.astype("<i4").tobytes())


def symbols_of(table, values, rows):
    """Symbol index per value (escape = L-2) and the escape mask."""
    cdf, lengths, offsets = table
    s = values - offsets[rows]
    esc_sym = lengths[rows] - 2
    escape = (s < 0) | (s >= esc_sym)
    return np.where(escape, esc_sym, s), escape


def model_bits(table, values, rows):
    """Σ -log2(f / 2^16) over the model units (one per value; escapes use the escape bin)."""
    cdf = table[0]
    sym, _ = symbols_of(table, values, rows)
    f = cdf[rows, sym + 1] - cdf[rows, sym]
    return float(np.sum(PRECISION - np.log2(f.astype(np.float64))))


def gic_escape_payload(table, values, rows):
    """spec/entropy-coding.md §5 payload of escaped values: a 5-bit head (side << 4 | m-1) per
    value, then m 4-bit nibbles of the distance d from the row's direct range, LSB first."""
    _, lengths, offsets = table
    lo = offsets[rows].astype(np.int64)
    hi = lo + lengths[rows].astype(np.int64) - 3
    above = values > hi
    d = np.where(above, values - hi - 1, lo - 1 - values).astype(np.uint64)
    m = np.ones(len(d), dtype=np.int64)
    for k in range(1, 16):
        m += (d >> np.uint64(4 * k)) != 0
    heads = (above.astype(np.int64) << 4) | (m - 1)
    none = np.uint64(1 << 20)
    mat = np.stack([np.where(m > k, (d >> np.uint64(4 * k)) & np.uint64(15), none)
                    for k in range(16)], axis=1).reshape(-1)
    nibbles = mat[mat != none]
    return heads.astype(np.int32), np.asarray(nibbles, dtype=np.uint64).astype(np.int32)


def gic_from_payload(table, rows, heads, nibbles):
    _, lengths, offsets = table
    lo = offsets[rows].astype(np.int64)
    hi = lo + lengths[rows].astype(np.int64) - 3
    m = (heads.astype(np.int64) & 15) + 1
    starts = np.concatenate([[0], np.cumsum(m)[:-1]]).astype(np.int64)
    d = np.zeros(len(m), dtype=np.uint64)
    for k in range(16):
        has = m > k
        d[has] |= nibbles[starts[has] + k].astype(np.uint64) << np.uint64(4 * k)
    d = d.astype(np.int64)
    return np.where(heads & 16 != 0, hi + 1 + d, lo - 1 - d)


def gic_escape_bits(table, values, rows):
    heads, nibbles = gic_escape_payload(table, values, rows)
    return 5 * len(heads) + 4 * len(nibbles)


def compressai_bypass_bits(table, values, rows):
    """Bits of CompressAI's escape payload (4-bit bypass chunks, unary-ish count in 4-bit units)."""
    cdf, lengths, offsets = table
    v = values - offsets[rows]
    max_value = lengths[rows] - 2
    esc = (v < 0) | (v >= max_value)
    raw = np.where(v[esc] < 0, -2 * v[esc] - 1, 2 * (v[esc] - max_value[esc]))
    nb = np.zeros(len(raw), dtype=np.int64)
    for c in range(1, 9):
        nb += (raw >> (4 * (c - 1))) != 0
    return int(np.sum(4 * (nb // 15 + 1) + 4 * nb))


# ----------------------------------------------------------------------------- timing

def timed(fn, reps):
    """(best ns, median ns, last result) of `reps` calls, with the cyclic GC off."""
    times, result = [], None
    gc.collect()
    gc.disable()
    try:
        for _ in range(reps):
            t = time.perf_counter_ns()
            result = fn()
            times.append(time.perf_counter_ns() - t)
    finally:
        gc.enable()
    return min(times), statistics.median(times), result


def entry(coder, n, enc, dec, nbytes, ideal_bytes, note=""):
    return {
        "coder": coder,
        "encode_ns_per_symbol_best": enc[0] / n, "encode_ns_per_symbol_median": enc[1] / n,
        "decode_ns_per_symbol_best": dec[0] / n, "decode_ns_per_symbol_median": dec[1] / n,
        "bytes": nbytes, "ideal_bytes": ideal_bytes,
        "overhead_percent": (nbytes - ideal_bytes) / ideal_bytes * 100 if ideal_bytes else None,
        "note": note,
    }


# ----------------------------------------------------------------------------- coders

def run_gic(binary, case, data_path, reps):
    out = subprocess.run(
        [binary, "--npz", NPZ, "--table", case["prefix"], "--data", data_path, "--reps", str(reps)],
        check=True, capture_output=True, text=True)
    r = json.loads(out.stdout)
    n = r["symbols"]
    e = entry("gic rANS (Swift)", 1,
              (r["encode_ns_per_symbol_best"], r["encode_ns_per_symbol_median"]),
              (r["decode_ns_per_symbol_best"], r["decode_ns_per_symbol_median"]),
              r["bytes"], r["ideal_bytes"], "EntropyTable.encode(values:rows:) / decode(_:rows:)")
    e["raw"] = r
    assert n == len(case["values"])
    return e


def run_compressai(case, reps):
    from compressai_env import import_compressai
    import_compressai()
    import torch
    torch.set_num_threads(1)
    from compressai.ans import RansDecoder, RansEncoder

    cdf, lengths, offsets = case["table"]
    values, rows = case["values"], case["rows"]
    n = len(values)
    symbols = values.astype(np.int32).tolist()  # CompressAI subtracts the offsets itself
    indexes = rows.astype(np.int32).tolist()
    cdfs = [cdf[r, :].astype(np.int32).tolist() for r in range(len(lengths))]
    cdf_lengths = lengths.astype(np.int32).tolist()
    offs = offsets.astype(np.int32).tolist()
    encoder, decoder = RansEncoder(), RansDecoder()
    enc = timed(lambda: encoder.encode_with_indexes(symbols, indexes, cdfs, cdf_lengths, offs), reps)
    stream = enc[2]
    dec = timed(lambda: decoder.decode_with_indexes(stream, indexes, cdfs, cdf_lengths, offs), reps)
    if dec[2] != symbols:
        raise SystemExit("CompressAI round trip failed")
    ideal = (case["model_bits"] + compressai_bypass_bits(case["table"], values, rows)) / 8
    return entry("CompressAI rANS (C++, pybind11)", n, enc, dec, len(stream), ideal,
                 "encode_with_indexes / decode_with_indexes on Python lists; "
                 "escape payload in 4-bit bypass units")


def run_constriction_gaussian(case, reps, scale_table):
    import constriction
    values, rows = case["values"], case["rows"]
    n = len(values)
    lo, hi = int(values.min()), int(values.max())
    model = constriction.stream.model.QuantizedGaussian(lo, hi)
    symbols = values.astype(np.int32)
    means = np.zeros(n, dtype=np.float64)
    stds = scale_table.astype(np.float64)[rows]

    def encode():
        coder = constriction.stream.stack.AnsCoder()
        coder.encode_reverse(symbols, model, means, stds)
        return coder.get_compressed()

    enc = timed(encode, reps)
    compressed = enc[2]
    dec = timed(lambda: constriction.stream.stack.AnsCoder(compressed).decode(model, means, stds), reps)
    if not np.array_equal(dec[2], symbols):
        raise SystemExit("constriction QuantizedGaussian round trip failed")
    return entry("constriction AnsCoder, QuantizedGaussian", n, enc, dec, 4 * len(compressed),
                 case["gic_ideal"],
                 f"model family QuantizedGaussian({lo}, {hi}), mean 0, std = scale_table[row] per symbol; "
                 "its own quantization of the Gaussian (no escapes), compared with the table's ideal")


def run_constriction_categorical(case, reps):
    """Per-row Categorical models (from the table's quantized probabilities), data grouped by row,
    escape payloads as in gic (5-bit head, 4-bit nibbles) with Uniform models. Only the coder
    calls are timed: grouping values by row and scattering them back are not."""
    import constriction
    cdf, lengths, offsets = case["table"]
    values, rows = case["values"], case["rows"]
    n = len(values)
    sym, escape = symbols_of(case["table"], values, rows)
    nrows = len(lengths)
    models = [constriction.stream.model.Categorical(
        np.diff(cdf[r, :lengths[r]]).astype(np.float64) / (1 << PRECISION), perfect=False)
        for r in range(nrows)]
    order = np.argsort(rows, kind="stable")
    counts_per_row = np.bincount(rows, minlength=nrows)
    bounds = np.concatenate([[0], np.cumsum(counts_per_row)])
    groups = [sym[order[bounds[r]:bounds[r + 1]]].astype(np.int32) for r in range(nrows)]
    esc_counts, esc_chunks = gic_escape_payload(case["table"], values[escape], rows[escape])
    n_esc, n_chunks = len(esc_counts), len(esc_chunks)
    u4, u16 = constriction.stream.model.Uniform(32), constriction.stream.model.Uniform(16)

    def encode():
        coder = constriction.stream.stack.AnsCoder()
        if n_esc:
            coder.encode_reverse(esc_chunks, u16)
            coder.encode_reverse(esc_counts, u4)
        for r in reversed(range(nrows)):
            if len(groups[r]):
                coder.encode_reverse(groups[r], models[r])
        return coder.get_compressed()

    def decode():
        coder = constriction.stream.stack.AnsCoder(compressed)
        out = [coder.decode(models[r], int(counts_per_row[r])) if counts_per_row[r] else None
               for r in range(nrows)]
        counts = coder.decode(u4, n_esc) if n_esc else np.zeros(0, np.int32)
        chunks = coder.decode(u16, int(np.sum((counts.astype(np.int64) & 15) + 1))) if n_esc else counts
        return out, counts, chunks

    enc = timed(encode, reps)
    compressed = enc[2]
    dec = timed(decode, reps)
    out, counts, chunks = dec[2]
    # Scatter back and resolve escapes (untimed) to check the round trip.
    got_sym = np.empty(n, dtype=np.int64)
    for r in range(nrows):
        if counts_per_row[r]:
            got_sym[order[bounds[r]:bounds[r + 1]]] = out[r]
    got = offsets[rows] + got_sym
    got_escape = got_sym == lengths[rows] - 2
    if n_chunks != len(chunks) or not np.array_equal(got_escape, escape):
        raise SystemExit("constriction Categorical round trip failed (escapes)")
    got[got_escape] = gic_from_payload(case["table"], rows[got_escape], counts, chunks)
    if not np.array_equal(got, values):
        raise SystemExit("constriction Categorical round trip failed")
    bypass = 5 * n_esc + 4 * n_chunks
    ideal = (case["model_bits"] + bypass) / 8
    return entry("constriction AnsCoder, Categorical per row", n, enc, dec, 4 * len(compressed), ideal,
                 f"{nrows} models Categorical(perfect=False), one call per row on grouped data; "
                 "escape payload as gic's with Uniform(32)/Uniform(16)")


# ----------------------------------------------------------------------------- main

def build_swift(skip):
    cmd = ["swift", "build", "-c", "release", "--package-path", os.path.join(ROOT, "Benchmarks")]
    if not skip:
        # SwiftPM reuses its build plan for the path dependency (the root package) and misses
        # source files added there since; dropping the plan makes it rescan (objects are kept).
        plan = os.path.join(ROOT, "Benchmarks", ".build", "release.yaml")
        if os.path.exists(plan):
            os.remove(plan)
        print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
        subprocess.run(cmd + ["--product", "entropy-bench"], check=True, stdout=sys.stderr)
    bin_dir = subprocess.run(cmd + ["--show-bin-path"], check=True, capture_output=True,
                             text=True).stdout.strip()
    return os.path.join(bin_dir, "entropy-bench")


def fmt(x, digits=2):
    return "—" if x is None else f"{x:.{digits}f}"


def print_table(results, file=sys.stdout):
    print("| case | coder | encode ns/sym best (median) | decode ns/sym best (median) "
          "| their encode ns / gic's | their decode ns / gic's | bytes | ideal bytes | overhead vs ideal |",
          file=file)
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|", file=file)
    for case, entries in results.items():
        ours = entries[0]
        for e in entries:
            enc_ratio = dec_ratio = "—"
            if e is not ours:
                enc_ratio = f"{e['encode_ns_per_symbol_best'] / ours['encode_ns_per_symbol_best']:.2f}×"
                dec_ratio = f"{e['decode_ns_per_symbol_best'] / ours['decode_ns_per_symbol_best']:.2f}×"
            ideal = "—" if e["ideal_bytes"] is None else f"{e['ideal_bytes']:,.0f}"
            ov = "—" if e["overhead_percent"] is None else f"{e['overhead_percent']:+.4f}%"
            print(f"| {case} | {e['coder']} "
                  f"| {fmt(e['encode_ns_per_symbol_best'])} ({fmt(e['encode_ns_per_symbol_median'])}) "
                  f"| {fmt(e['decode_ns_per_symbol_best'])} ({fmt(e['decode_ns_per_symbol_median'])}) "
                  f"| {enc_ratio} | {dec_ratio} | {e['bytes']:,} | {ideal} | {ov} |", file=file)


def print_gic_breakdown(results, file=sys.stdout):
    print("\nWhere gic's time goes (ns/symbol, best):\n", file=file)
    print("| case | decode (API) | decode loop, output pre-faulted | fresh n-value output array "
          "| encode (API) | collect units | finish (rANS pass) | append n units to a fresh array |",
          file=file)
    print("|---|---:|---:|---:|---:|---:|---:|---:|", file=file)
    for case, entries in results.items():
        r = entries[0]["raw"]
        print(f"| {case} | {fmt(r['decode_ns_per_symbol_best'])} "
              f"| {fmt(r['diag_decode_loop_prefaulted_ns_per_symbol_best'])} "
              f"| {fmt(r['diag_output_array_alloc_ns_per_symbol_best'])} "
              f"| {fmt(r['encode_ns_per_symbol_best'])} | {fmt(r['encode_collect_units_ns_per_symbol'])} "
              f"| {fmt(r['encode_finish_ns_per_symbol'])} "
              f"| {fmt(r['diag_append_units_to_fresh_array_ns_per_symbol_best'])} |", file=file)


def versions():
    import constriction
    from importlib.metadata import version
    from compressai_env import import_compressai
    compressai = import_compressai()
    import torch
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
               platform.processor())
    return {"python": platform.python_version(), "numpy": np.__version__,
            "constriction": version("constriction"), "compressai": compressai.__version__,
            "torch": torch.__version__, "swift": swift, "cpu": cpu, "cpus": os.cpu_count()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--symbols", type=int, default=10_000_000)
    ap.add_argument("--reps", type=int, default=5, help="repetitions per timing (best and median reported)")
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--cases", default="gaussian,factorized,factorized-no-escape")
    ap.add_argument("--no-build", action="store_true", help="use the already built executable")
    ap.add_argument("--json", help="also write all results here")
    args = ap.parse_args(argv)

    binary = build_swift(args.no_build)
    z = np.load(NPZ)
    gauss = load_table(z, "gaussian_conditional")
    fact = load_table(z, "entropy_bottleneck")
    scale_table = z["gaussian_conditional.scale_table"]
    n = args.symbols
    rng = np.random.default_rng(args.seed)
    vers = versions()
    print(json.dumps(vers), file=sys.stderr)

    results = {}
    details = {}
    with tempfile.TemporaryDirectory(prefix="entropy-bench-") as tmp:
        for name in args.cases.split(","):
            if name == "gaussian":
                table, prefix = gauss, "gaussian_conditional"
                rows = rng.integers(0, len(gauss[1]), size=n).astype(np.int64)
                values = draw(rng, table, rows)
            elif name in ("factorized", "factorized-no-escape"):
                table, prefix = fact, "entropy_bottleneck"
                channels = len(fact[1])
                if n % channels:
                    raise SystemExit(f"--symbols must be a multiple of {channels}")
                rows = np.repeat(np.arange(channels), n // channels).astype(np.int64)  # channel-major
                values = draw(rng, table, rows, exclude_escape=name.endswith("no-escape"))
            else:
                raise SystemExit(f"unknown case {name}")
            path = os.path.join(tmp, name + ".bin")
            write_data(path, values, rows)
            case = {"prefix": prefix, "table": table, "values": values, "rows": rows,
                    "model_bits": model_bits(table, values, rows)}
            print(f"[{name}] {n:,} symbols, {int(symbols_of(table, values, rows)[1].sum()):,} escapes",
                  file=sys.stderr, flush=True)
            entries = [run_gic(binary, case, path, args.reps)]
            case["gic_ideal"] = entries[0]["ideal_bytes"]
            swift_bits = entries[0]["raw"]["ideal_model_bits"]
            if abs(swift_bits - case["model_bits"]) > 1e-6 * case["model_bits"]:
                raise SystemExit(f"ideal sizes disagree: Swift {swift_bits}, Python {case['model_bits']}")
            print(f"[{name}] gic done", file=sys.stderr, flush=True)
            if name == "gaussian":
                entries.append(run_constriction_gaussian(case, args.reps, scale_table))
            entries.append(run_constriction_categorical(case, args.reps))
            print(f"[{name}] constriction done", file=sys.stderr, flush=True)
            entries.append(run_compressai(case, args.reps))
            print(f"[{name}] CompressAI done", file=sys.stderr, flush=True)
            results[name] = entries
            details[name] = {"symbols": n, "escapes": entries[0]["raw"]["escapes"],
                             "model_bits": case["model_bits"]}
    print(f"# {vers['cpu']}, {vers['cpus']} CPUs; {vers['swift']}; Python {vers['python']}, "
          f"NumPy {vers['numpy']}, constriction {vers['constriction']}, CompressAI {vers['compressai']}, "
          f"torch {vers['torch']}; {n:,} symbols, best of {args.reps} (median)")
    for name, d in details.items():
        print(f"# {name}: {d['escapes']:,} escapes, "
              f"model entropy {d['model_bits'] / d['symbols']:.4f} bits/symbol")
    print_table(results)
    print_gic_breakdown(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": vers, "cases": details, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
