"""python3 -m gic_spec_decoder decode X.gic -m M.gicw [-o out.rgb] [--json]
                               info X.gic
                               model M.gicw

decode prints the SHA-256 of the decoded 8-bit RGB samples (R G B interleaved, rows top to
bottom), the value conformance compares; -o writes those raw samples.
"""
import argparse
import hashlib
import json
import sys
import time

from . import bitstream
from .decoder import Model, decode


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m gic_spec_decoder", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("decode", help="decode a .gic bitstream to raw RGB")
    d.add_argument("input")
    d.add_argument("-m", "--model", required=True)
    d.add_argument("-o", "--output")
    d.add_argument("--json", action="store_true")
    d.add_argument("--symbol-bits", type=int, choices=(32, 64), default=64,
                   help="refuse decoded symbols outside this signed range (64: the specification;"
                        " 32: what the reference decoder does)")
    i = sub.add_parser("info", help="print a .gic header")
    i.add_argument("input")
    mo = sub.add_parser("model", help="load and check a .gicw model")
    mo.add_argument("model")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "decode":
            with open(args.input, "rb") as f:
                data = f.read()
            t0 = time.perf_counter()
            model = Model(args.model)
            t1 = time.perf_counter()
            rgb, info = decode(data, model, symbol_bits=args.symbol_bits)
            t2 = time.perf_counter()
            raw = rgb.tobytes()
            digest = hashlib.sha256(raw).hexdigest()
            if args.output:
                with open(args.output, "wb") as f:
                    f.write(raw)
            if args.json:
                out = {"rgb_sha256": digest, "width": info["width"], "height": info["height"],
                       "grayscale": info["grayscale"], "load_seconds": t1 - t0, "decode_seconds": t2 - t1}
                print(json.dumps(out, indent=2))
            else:
                print(digest)
        elif args.cmd == "info":
            with open(args.input, "rb") as f:
                print(json.dumps(bitstream.parse(f.read()).as_dict(), indent=2))
        else:
            m = Model(args.model)
            m.container.verify_all()
            print(json.dumps({"profile": m.profile_name, "model_digest": m.digest.hex()}, indent=2))
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
