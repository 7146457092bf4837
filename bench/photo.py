"""Cleaning a 12-megapixel photo beside a bare decode of it (P6).

    .venv/bin/python bench/photo.py [--repeat 9]

Makes a 4000 × 3000 JPEG (a smooth gradient with noise, like a photo; EXIF with an
orientation of 1 and a camera model; quality 92, about 4 MB: under the 5 MB upload limit), then times, median of
``--repeat`` runs each (at least 7), interleaved:

* the baseline: ``Image.open(f).load()`` — one full decode,
* ``apps.core.uploads.clean_image`` — check, decode (reduced to ``MAX_EDGE`` while
  decoding), EXIF strip, re-encode, thumbnail,

and prints both and the ratio, and the peak RSS of the process. No database.
``--orientation 6`` tags the photo as taken in portrait (a phone's usual tag), so the
full-size ``exif_transpose`` is measured too; ``--steps`` adds where the time goes
(the same Pillow calls as ``clean_image``, each timed on its own).

Both are measured the same way: the same bytes in memory (a fresh ``BytesIO`` /
``SimpleUploadedFile`` each run), one untimed warm-up of each first (plugin loading,
first allocations), a ``gc.collect()`` before every timed call, the previous result
released before the clock starts, and the order alternating between runs (bare first,
then clean first) so neither always runs on a cache the other warmed. The headline
figure is the ratio of the wall-clock medians; the ratio of the CPU-time medians
(``time.process_time``: this process only, less sensitive to other load on a shared
machine) is printed beside it.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice_portal.settings")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image  # noqa: E402

from apps.core import uploads  # noqa: E402
from apps.core.uploads import clean_image  # noqa: E402

MIN_REPEAT = 7


def make_photo(orientation: int = 1) -> bytes:
    w, h = 4000, 3000
    grad = Image.linear_gradient("L").resize((w, h))
    noise = Image.effect_noise((w, h), 12)
    img = Image.merge("RGB", (grad, noise, grad.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif[0x0112] = orientation  # 1: upright
    exif[0x0110] = "Bench Camera"
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=92, exif=exif)
    return out.getvalue()


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one call, after a collection; the result is returned so
    that freeing it is not charged to the next measurement."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--orientation", type=int, default=1, choices=range(1, 9))
    parser.add_argument("--steps", action="store_true", help="time each stage too")
    args = parser.parse_args()
    if args.repeat < MIN_REPEAT:
        parser.error(f"--repeat must be at least {MIN_REPEAT}")
    data = make_photo(args.orientation)
    print(
        f"photo: 4000 × 3000 JPEG, {len(data) / 2**20:.1f} MiB, EXIF orientation {args.orientation}"
    )

    def bare() -> None:
        Image.open(io.BytesIO(data)).load()

    def clean() -> Any:
        upload = SimpleUploadedFile("p.jpg", data, content_type="image/jpeg")
        return clean_image(upload, max_bytes=50 * 2**20)

    bare()  # warm-up, untimed
    result = clean()
    walls: dict[str, list[float]] = {"bare": [], "clean": []}
    cpus: dict[str, list[float]] = {"bare": [], "clean": []}
    for i in range(args.repeat):
        order = ("bare", "clean") if i % 2 == 0 else ("clean", "bare")
        for which in order:
            del result
            wall, cpu, result = timed(bare if which == "bare" else clean)
            walls[which].append(wall)
            cpus[which].append(cpu)
            if which == "clean":
                cleaned = result
    b, c = statistics.median(walls["bare"]), statistics.median(walls["clean"])
    bc, cc = statistics.median(cpus["bare"]), statistics.median(cpus["clean"])
    n = args.repeat
    print(
        f"bare Image.open().load(): {b * 1000:.0f} ms wall, {bc * 1000:.0f} ms CPU (median of {n})"
    )
    print(
        f"clean_image: {c * 1000:.0f} ms wall, {cc * 1000:.0f} ms CPU (median of {n}); "
        f"image {cleaned.width} × {cleaned.height}, {cleaned.image.size / 2**20:.1f} MiB, "
        f"thumbnail {cleaned.thumbnail.size} bytes"
    )
    pairs = sorted(cw / bw for cw, bw in zip(walls["clean"], walls["bare"], strict=True))
    print(f"per-run wall ratios: {', '.join(f'{r:.2f}' for r in pairs)}")
    print(f"P6: clean / bare = {c / b:.2f}× (goal ≤ 2×)")
    print(f"P6 (CPU time): clean / bare = {cc / bc:.2f}×")
    if args.steps:
        steps(data, args.repeat)
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def steps(data: bytes, repeat: int) -> None:
    """The stages of ``clean_image`` one by one (CPU medians, each as a share of the
    decode's CPU median measured in this same pass: on a shared machine the speed
    drifts between the main measurement and this one)."""
    from PIL import ImageOps

    def reduced() -> Image.Image:
        img = Image.open(io.BytesIO(data))
        scale = uploads._decode_scale(img.width, img.height)
        if scale > 1:
            img.draft(img.mode, (img.width // scale, img.height // scale))
        img.load()
        return img

    decoded = reduced()
    turned = decoded.getexif().get(uploads.EXIF_ORIENTATION, 1) != 1
    upright = ImageOps.exif_transpose(decoded) if turned else decoded
    thumb = uploads._thumbnail(upright)

    def check() -> None:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        Image.open(io.BytesIO(data)).getexif()

    stages: list[tuple[str, Callable[[], Any]]] = [
        ("check (open, verify, read EXIF)", check),
        ("decode (load)", lambda: Image.open(io.BytesIO(data)).load()),
        (f"reduced decode (draft to ≤ {uploads.MAX_EDGE} px)", reduced),
        *([("exif_transpose", lambda: ImageOps.exif_transpose(decoded))] if turned else []),
        (
            f"encode, quality {uploads.IMAGE_QUALITY}",
            lambda: upright.save(io.BytesIO(), format="JPEG", quality=uploads.IMAGE_QUALITY),
        ),
        ("thumbnail (reduce + thumbnail)", lambda: uploads._thumbnail(upright)),
        (
            f"thumbnail encode, quality {uploads.THUMB_QUALITY}",
            lambda: thumb.save(io.BytesIO(), format="JPEG", quality=uploads.THUMB_QUALITY),
        ),
    ]
    cpus = {label: statistics.median(timed(fn)[1] for _ in range(repeat)) for label, fn in stages}
    for label, cpu in cpus.items():
        share = cpu / cpus["decode (load)"]
        print(f"  step {label}: {cpu * 1000:.1f} ms CPU = {share:.2f}× the decode")


if __name__ == "__main__":
    main()
