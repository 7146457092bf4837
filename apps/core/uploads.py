"""Image uploads: validate type and size with Pillow, strip EXIF, keep at most
``MAX_EDGE`` pixels on the longest side, make a thumbnail.

Every app that takes a photo (site seals, service photos, rewards) passes the upload
through ``clean_image`` so what is stored is a freshly encoded file with no metadata.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs well before memory trouble
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMB_SIZE = (320, 320)
# The stored photo's longest edge. A phone's 12-megapixel photo (4000 × 3000) is kept at
# 2000 × 1500: enough to see a service was done, a quarter of the bytes on a village's
# mobile connection, and the JPEG decoder reduces it while decoding (``draft``: a half,
# quarter or eighth scale costs less than a full decode), so no full-size copy is ever
# made. Larger photos are kept at the largest such scale within the limit.
MAX_EDGE = 2048
EXIF_ORIENTATION = 0x0112
# JPEG qualities of the stored image and its thumbnail (libjpeg's default 4:2:0 chroma
# subsampling, baseline, no optimize pass: tests/core/test_uploads.py pins the tables).
IMAGE_QUALITY = 85
THUMB_QUALITY = 80
# The only ``info`` entry that is pixel data rather than metadata (a PNG's transparent
# colour); everything else the decoder put there is dropped before saving.
KEEP_INFO = ("transparency",)


@dataclass
class CleanImage:
    image: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def clean_image(upload: UploadedFile, *, max_bytes: int = MAX_IMAGE_BYTES) -> CleanImage:
    """Check the upload is a real JPEG/PNG/WebP within limits and re-encode it."""
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(
            gettext("图片不能超过 %(mb)s MB。") % {"mb": max_bytes // (1024 * 1024)},
            code="image_too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            fmt = probe.format
            probe.verify()
        upload.seek(0)
        img: Image.Image = Image.open(upload)
        if fmt not in ALLOWED_FORMATS:
            raise ValidationError(gettext("只能上传 JPG、PNG 或 WebP 图片。"), code="image_type")
        if img.width * img.height > MAX_PIXELS:
            raise ValidationError(gettext("图片尺寸过大。"), code="image_too_large")
        orientation = img.getexif().get(EXIF_ORIENTATION, 1)
        scale = _decode_scale(img.width, img.height)
        if scale > 1 and fmt == "JPEG":
            img.draft(img.mode, (img.width // scale, img.height // scale))
        img.load()  # the one decode (reduced while decoding for a large JPEG)
        if max(img.size) > MAX_EDGE:  # PNG and WebP have no reduced decode
            img.thumbnail((MAX_EDGE, MAX_EDGE))
        if orientation != 1:
            img = ImageOps.exif_transpose(img) or img  # keep the orientation; EXIF goes
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(gettext("文件不是有效的图片。"), code="image_invalid") from None

    ext = ALLOWED_FORMATS[fmt]
    keep_alpha = fmt in ("PNG", "WEBP") and img.mode in ("RGBA", "LA", "P")
    mode = "RGBA" if keep_alpha else "RGB"
    if img.mode != mode:  # no full-size copy when it already is
        img = img.convert(mode)
    # A fresh encode carries no EXIF, but Pillow's savers fall back on ``img.info`` for
    # some blocks: a JPEG's COM comment, a PNG's ICC profile. Drop them (the thumbnail
    # made from ``img`` inherits the emptied ``info``).
    img.info = {k: v for k, v in img.info.items() if k in KEEP_INFO}
    out_fmt = fmt
    name = uuid.uuid4().hex
    main = io.BytesIO()
    img.save(main, format=out_fmt, quality=IMAGE_QUALITY)
    thumb_img = _thumbnail(img)
    thumb = io.BytesIO()
    thumb_img.save(thumb, format=out_fmt, quality=THUMB_QUALITY)
    return CleanImage(
        image=ContentFile(main.getvalue(), name=f"{name}.{ext}"),
        thumbnail=ContentFile(thumb.getvalue(), name=f"{name}_thumb.{ext}"),
        width=img.width,
        height=img.height,
    )


def _decode_scale(width: int, height: int) -> int:
    """The smallest of 1, 2, 4, 8 that brings the longest edge within ``MAX_EDGE``."""
    for scale in (1, 2, 4, 8):
        if max(width, height) // scale <= MAX_EDGE:
            return scale
    return 8


def _thumbnail(img: Image.Image) -> Image.Image:
    """The thumbnail from the decoded image without a full-size copy: ``reduce`` (a
    box filter to about twice the box) makes a small image first, then the resampling
    ``thumbnail`` works on that. A second decode at a reduced scale (JPEG ``draft``)
    was measured slower: the entropy decoding is the same at any scale."""
    factor = min(img.width // (THUMB_SIZE[0] * 2), img.height // (THUMB_SIZE[1] * 2))
    small = img.reduce(factor) if factor > 1 else img.copy()
    small.thumbnail(THUMB_SIZE)
    return small
