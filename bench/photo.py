"""Cleaning a 12-megapixel photo beside a bare decode of it (P6).

    .venv/bin/python bench/photo.py [--repeat 7]

Makes a 4000 × 3000 JPEG (a smooth gradient with noise, like a photo; EXIF with an
orientation of 1 and a camera model; quality 92, about 4 MB: under the 5 MB upload limit), then times, median of
``--repeat`` runs each, interleaved:

* the baseline: ``Image.open(f).load()`` — one full decode,
* ``apps.core.uploads.clean_image`` — check, decode, EXIF strip, re-encode, thumbnail,

and prints both and the ratio, and the peak RSS of the process. No database.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice_portal.settings")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image  # noqa: E402

from apps.core.uploads import clean_image  # noqa: E402


def make_photo() -> bytes:
    w, h = 4000, 3000
    grad = Image.linear_gradient("L").resize((w, h))
    noise = Image.effect_noise((w, h), 12)
    img = Image.merge("RGB", (grad, noise, grad.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif[0x0112] = 1  # orientation: upright
    exif[0x0110] = "Bench Camera"
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=92, exif=exif)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    data = make_photo()
    print(f"photo: 4000 × 3000 JPEG, {len(data) / 2**20:.1f} MiB")
    bare, clean = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        Image.open(io.BytesIO(data)).load()
        bare.append(time.perf_counter() - start)
        upload = SimpleUploadedFile("p.jpg", data, content_type="image/jpeg")
        start = time.perf_counter()
        result = clean_image(upload, max_bytes=50 * 2**20)
        clean.append(time.perf_counter() - start)
    b, c = statistics.median(bare), statistics.median(clean)
    print(f"bare Image.open().load(): {b * 1000:.0f} ms (median of {args.repeat})")
    print(
        f"clean_image: {c * 1000:.0f} ms (median of {args.repeat}); "
        f"image {result.width} × {result.height}, {result.image.size / 2**20:.1f} MiB, "
        f"thumbnail {len(result.thumbnail.read())} bytes"
    )
    print(f"P6: clean / bare = {c / b:.2f}× (goal ≤ 2×)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
