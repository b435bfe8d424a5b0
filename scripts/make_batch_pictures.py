"""Write N small test pictures for batch checks: crops of data/photos/test/*.png (fetched by
scripts/fetch_photos.sh; data/images/*.png, which the repository holds, when they are absent) of
varied sizes (128…256 × 96…128) in four subfolders, the same files on every run
(docs/scaling.md).

    python3 scripts/make_batch_pictures.py OUT_DIR [N]
"""
import os
import sys

from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def main() -> None:
    out, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200
    for folder in [os.path.join(ROOT, "data", "photos", "test"), os.path.join(ROOT, "data", "images")]:
        photos = sorted(n for n in os.listdir(folder) if n.endswith(".png")) if os.path.isdir(folder) else []
        if photos:
            break
    else:
        sys.exit("no photos in data/photos/test or data/images")
    images = [Image.open(os.path.join(folder, n)).convert("RGB") for n in photos]
    for k in range(count):
        image, stem = images[k % len(photos)], photos[k % len(photos)][:-4]
        j = k // len(photos)
        w, h = 128 + 64 * (j % 3), 96 + 32 * (j % 2)
        x, y = (j * 97) % (image.width - w), (j * 61) % (image.height - h)
        path = os.path.join(out, f"set{k % 4}", f"{stem}-{j:03d}.png")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        image.crop((x, y, x + w, y + h)).save(path)
    print(f"wrote {count} pictures (crops of {os.path.relpath(folder, ROOT)}/*.png) to {out}")


if __name__ == "__main__":
    main()
