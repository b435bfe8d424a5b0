#!/usr/bin/env python3
"""Fetch, select and record the photographs gic-v2 trains and is evaluated on (offline, scripted).

Everything comes from Debian packages (`apt-get download`, unpacked with `dpkg-deb -x`; never by
hand) and from scikit-image's images already in data/images (see data/README.md). Only
photographs are taken: the artwork, renders, gradients and logo screens those packages also
ship are left out by the explicit list below (each package was looked through as a contact sheet;
what was left out and why is in data/photos/README.md). Other codecs' test-data packages are not
used.

Outputs (the PNGs are regenerated, not committed; the manifest is committed):
  data/photos/manifest.json   every photo: id, package, package version, path inside the
                              package, licence, copyright holder, SHA-256 of the file as shipped,
                              split (train | test), the derived PNG, its size and the processing
  data/photos/train/<id>.png  long side resized to --train-size (Lanczos), RGB
  data/photos/test/<id>.png   long side resized to --test-size (Lanczos), RGB; the held-out
                              split: never used for training or calibration
  out/gicv2-bundle.npz        the training bundle (python/gicv1/make_bundle.py layout: train/*,
                              test/*, train_weights, train_names, test_names), at most 48 MB, to
                              carry to a GPU machine

    bash scripts/fetch_photos.sh            # = python3 python/gicv2/photos.py
    python3 python/gicv2/photos.py --check  # verify the SHA-256s against the committed manifest
"""
import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PHOTOS = os.path.join(REPO, "data", "photos")
MANIFEST = os.path.join(PHOTOS, "manifest.json")
BUNDLE_LIMIT = 48 * 1024 * 1024

LOMIRI = "lomiri-wallpapers-16.04"
MATE = "mate-backgrounds"
PLASMA = "plasma-workspace-wallpapers"

# (package, path inside the package, split, licence, copyright). Licences as the package's
# debian/copyright states them (plasma: each wallpaper's metadata.json, "License").
SELECTION = [
    (LOMIRI, "usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg", "train", "CC-BY-SA-4.0", "2018 Sander Klootwijk"),
    (LOMIRI, "usr/share/backgrounds/Dragonfly_by_Bolly.jpg", "train", "CC-BY-SA-4.0", "2018 \"Bolly\""),
    (LOMIRI, "usr/share/backgrounds/Picture_0B_by_freespace.jpg", "train", "CC-BY-4.0", "2018 Trevor \"Freespace\""),
    (LOMIRI, "usr/share/backgrounds/Picture_1A_by_freespace.jpg", "test", "CC-BY-4.0", "2018 Trevor \"Freespace\""),
    (LOMIRI, "usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg", "train", "CC-BY-4.0", "2018 Jakub Mede"),
    (LOMIRI, "usr/share/backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg", "train", "CC-BY-4.0", "2018 Aitzol Berasategi"),
    (LOMIRI, "usr/share/backgrounds/free_by_Peter_Nerlich.jpg", "train", "CC-BY-SA-4.0", "2018 Peter Nerlich"),
    (LOMIRI, "usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg", "test", "CC-BY-4.0", "2018 Aitzol Berasategi"),
    (LOMIRI, "usr/share/backgrounds/greentock_by_Peter_Nerlich.jpg", "train", "CC-BY-SA-4.0", "2018 Peter Nerlich"),
    (LOMIRI, "usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg", "train", "CC-BY-4.0", "2018 Aitzol Berasategi"),
    (LOMIRI, "usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg", "test", "CC-BY-4.0", "2018 Aitzol Berasategi"),
    (LOMIRI, "usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg", "train", "CC0-1.0", "2018 Clemens Engelhardt"),
    (LOMIRI, "usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg", "train", "CC-BY-4.0", "2018 Aitzol Berasategi"),
    ("lomiri-wallpapers-20.04", "usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg", "train", "CC-BY-SA-3.0", "2021 Lukas Baubkus"),
    (MATE, "usr/share/backgrounds/mate/nature/Aqua.jpg", "train", "GPL-2+", "2008 Charles Barbin"),
    (MATE, "usr/share/backgrounds/mate/nature/Blinds.jpg", "train", "GPL-2+", "2008 Lennart Poettering"),
    (MATE, "usr/share/backgrounds/mate/nature/Dune.jpg", "test", "GPL-2+", "2007 Marco Cogoni"),
    (MATE, "usr/share/backgrounds/mate/nature/FreshFlower.jpg", "train", "GPL-2+", "2005 Jens Ansorg"),
    (MATE, "usr/share/backgrounds/mate/nature/Garden.jpg", "train", "GPL-2+", "MATE backgrounds (debian/copyright, Files: *)"),
    (MATE, "usr/share/backgrounds/mate/nature/GreenMeadow.jpg", "train", "GPL-2+", "2005 Timothy Schellhase"),
    (MATE, "usr/share/backgrounds/mate/nature/LadyBird.jpg", "test", "GPL-2+", "MATE backgrounds (debian/copyright, Files: *)"),
    (MATE, "usr/share/backgrounds/mate/nature/RainDrops.jpg", "train", "GPL-2+", "2008 \"blackcombwhistler07\""),
    (MATE, "usr/share/backgrounds/mate/nature/Storm.jpg", "train", "GPL-2+", "2008 Sergey Nazarov"),
    (MATE, "usr/share/backgrounds/mate/nature/TwoWings.jpg", "train", "GPL-2+", "2008 Charles Barbin"),
    (MATE, "usr/share/backgrounds/mate/nature/Wood.jpg", "train", "GPL-2+", "2008 Jean-François Fortin Tam"),
    (MATE, "usr/share/backgrounds/mate/nature/YellowFlower.jpg", "train", "GPL-2+", "MATE backgrounds (debian/copyright, Files: *)"),
    (PLASMA, "usr/share/wallpapers/BytheWater/contents/images/2560x1600.jpg", "train", "LGPL-3", "Maciej Wiklo"),
    (PLASMA, "usr/share/wallpapers/ColdRipple/contents/images/2560x1600.jpg", "train", "LGPL-3", "Risto Saukonpää"),
    (PLASMA, "usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg", "train", "LGPL-3", "Dmitri Popov"),
    (PLASMA, "usr/share/wallpapers/DarkestHour/contents/images/2560x1600.jpg", "train", "LGPL-3", "Risto Saukonpää"),
    (PLASMA, "usr/share/wallpapers/EveningGlow/contents/images/2560x1600.jpg", "test", "LGPL-3", "Ian Hex"),
    (PLASMA, "usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg", "train", "LGPL-3", "Martin Klapetek"),
    (PLASMA, "usr/share/wallpapers/Grey/contents/images/2560x1600.jpg", "test", "LGPL-3", "Sigi Sagi"),
    (PLASMA, "usr/share/wallpapers/Kite/contents/images/2560x1600.jpg", "train", "LGPL-3", "Risto Saukonpää"),
    (PLASMA, "usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg", "train", "LGPL-3", "Risto Saukonpää"),
    (PLASMA, "usr/share/wallpapers/Path/contents/images/2560x1600.jpg", "test", "LGPL-3", "Risto Saukonpää"),
    (PLASMA, "usr/share/wallpapers/summer_1am/contents/images/2560x1600.jpg", "train", "LGPL-3", "Risto Saukonpää"),
]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def photo_id(package, path):
    stem = os.path.splitext(os.path.basename(path))[0]
    if package == PLASMA:  # .../wallpapers/<Name>/contents/images/WxH.jpg
        stem = path.split("/")[3]
    stem = re.sub(r"_by_.*$", "", stem)
    return re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower()


def fetch_packages(packages, cache):
    """apt-get download each package into cache/debs and unpack it into cache/root/<package>.
    Returns {package: version}."""
    debs = os.path.join(cache, "debs")
    os.makedirs(debs, exist_ok=True)
    versions = {}
    for pkg in packages:
        found = glob.glob(os.path.join(debs, f"{pkg}_*.deb"))
        if not found:
            log(f"apt-get download {pkg}")
            r = subprocess.run(["apt-get", "download", pkg], cwd=debs, capture_output=True, text=True)
            if r.returncode != 0:
                subprocess.run(["apt-get", "update"], capture_output=True)
                subprocess.run(["apt-get", "download", pkg], cwd=debs, check=True)
            found = glob.glob(os.path.join(debs, f"{pkg}_*.deb"))
        deb = sorted(found)[-1]
        versions[pkg] = subprocess.run(["dpkg-deb", "-f", deb, "Version"], check=True, capture_output=True,
                                       text=True).stdout.strip()
        root = os.path.join(cache, "root", pkg)
        if not os.path.isdir(root):
            os.makedirs(root)
            subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    return versions


def resize_long_side(img, size):
    w, h = img.size
    if max(w, h) <= size:
        return img, "native size"
    s = size / max(w, h)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    return img.resize((nw, nh), Image.LANCZOS), f"{w}x{h} resized to {nw}x{nh} (Lanczos)"


def build(cache, train_size, test_size):
    versions = fetch_packages(sorted({s[0] for s in SELECTION}), cache)
    entries = []
    for package, path, split, licence, holder in SELECTION:
        src = os.path.join(cache, "root", package, path)
        pid = photo_id(package, path)
        img = Image.open(src).convert("RGB")
        img, processing = resize_long_side(img, train_size if split == "train" else test_size)
        rel = os.path.join("data", "photos", split, pid + ".png")
        os.makedirs(os.path.dirname(os.path.join(REPO, rel)), exist_ok=True)
        img.save(os.path.join(REPO, rel), optimize=False, compress_level=6)
        entries.append({"id": pid, "package": package, "version": versions[package], "path": "/" + path,
                        "licence": licence, "copyright": holder, "sha256": sha256(src), "split": split,
                        "file": rel, "width": img.size[0], "height": img.size[1], "processing": processing})
        log(f"{split:5s} {pid:16s} {img.size[0]}x{img.size[1]}  {package} {licence}")
    return entries


def write_bundle(entries, out):
    """The training bundle: gic-v2's train photos plus scikit-image's train split (data/images)."""
    sys.path.insert(0, os.path.join(REPO, "python"))
    import datasets  # noqa: E402

    arrays, names, weights, tests = {}, [], [], []
    for e in entries:
        a = np.asarray(Image.open(os.path.join(REPO, e["file"])).convert("RGB"), dtype=np.uint8)
        key = e["id"] + ".png"
        if e["split"] == "train":
            arrays["train/" + key] = a
            names.append(key)
            weights.append(a.shape[0] * a.shape[1])
        else:
            arrays["test/" + key] = a
            tests.append(key)
    for path in datasets.split_files("train"):
        a = np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)
        key = "skimage-" + os.path.basename(path)
        gray = bool((a[..., 0] == a[..., 1]).all() and (a[..., 1] == a[..., 2]).all())
        arrays["train/" + key] = a
        names.append(key)
        weights.append(a.shape[0] * a.shape[1] * (0.5 if gray else 1.0))
    arrays["train_weights"] = np.asarray(weights, dtype=np.float64)
    arrays["train_names"] = np.asarray(names)
    arrays["test_names"] = np.asarray(tests)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    np.savez_compressed(out, **arrays)
    size = os.path.getsize(out)
    if size > BUNDLE_LIMIT:
        raise SystemExit(f"error: {out} is {size} bytes, over the {BUNDLE_LIMIT}-byte limit")
    log(f"wrote {out}: {len(names)} training images, {len(tests)} held-out, {size / 2**20:.1f} MiB")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default=os.path.join(REPO, "out", "photos-cache"),
                    help="where the .deb files are downloaded and unpacked (default out/photos-cache)")
    ap.add_argument("--train-size", type=int, default=1024, help="long side of training photos (px)")
    ap.add_argument("--test-size", type=int, default=768, help="long side of held-out photos (px)")
    ap.add_argument("--bundle", default=os.path.join(REPO, "out", "gicv2-bundle.npz"))
    ap.add_argument("--check", action="store_true",
                    help="rebuild and fail unless every SHA-256 and size matches the committed manifest")
    args = ap.parse_args(argv)
    entries = build(args.cache, args.train_size, args.test_size)
    doc = {"description": "Photographs for gic-v2 (python/gicv2/photos.py; data/photos/README.md)",
           "train_size": args.train_size, "test_size": args.test_size, "photos": entries}
    if args.check:
        with open(MANIFEST, encoding="utf-8") as f:
            old = json.load(f)
        if old != doc:
            raise SystemExit("error: the photos differ from data/photos/manifest.json")
        log("manifest matches")
    else:
        with open(MANIFEST, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
            f.write("\n")
    write_bundle(entries, args.bundle)
    n_test = sum(e["split"] == "test" for e in entries)
    log(f"{len(entries)} photos from Debian packages ({len(entries) - n_test} train, {n_test} held-out)")


if __name__ == "__main__":
    main()
