"""A showcase photo's three files: the cleaned upload (``apps.core.uploads.clean_image``:
checked, re-encoded, EXIF and GPS gone) kept private, and the public web copy (longest
edge 1600 px) and thumbnail (480 px) made from it, both fresh JPEG encodes with no
metadata at all (decoded from the upload, so a large photo's web copy is not limited
by the stored original's size)."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps

from apps.core.uploads import clean_image

WEB_EDGE = 1600  # the media center's app shows photos full-width on a tablet
THUMB_EDGE = 480  # two columns on a 360 px phone at 2× density
WEB_QUALITY = 82
THUMB_QUALITY = 78


@dataclass
class PostImages:
    original: ContentFile
    web: ContentFile
    thumb: ContentFile
    width: int
    height: int


def _jpeg(img: Image.Image, edge: int, quality: int, name: str) -> tuple[ContentFile, int, int]:
    copy = img.copy()
    copy.thumbnail((edge, edge))
    if copy.mode != "RGB":
        # Transparent PNG/WebP: flatten on white (JPEG has no alpha).
        background = Image.new("RGB", copy.size, (255, 255, 255))
        rgba = copy.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        copy = background
    copy.info = {}
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=quality)
    return ContentFile(out.getvalue(), name=name), copy.width, copy.height


def _decode(upload: UploadedFile) -> Image.Image:
    """The upload decoded once at the smallest JPEG scale that still covers ``WEB_EDGE``
    (``draft``), upright (EXIF orientation applied; the EXIF itself is not carried)."""
    upload.seek(0)
    img: Image.Image = Image.open(upload)
    if img.format == "JPEG":
        scale = 1
        while scale < 8 and max(img.size) // (scale * 2) >= WEB_EDGE:
            scale *= 2
        if scale > 1:
            img.draft(img.mode, (img.width // scale, img.height // scale))
    img.load()
    return ImageOps.exif_transpose(img) or img


def post_images(upload: UploadedFile) -> PostImages:
    """Clean ``upload`` and make its public copies. Raises ValidationError for a file
    that is not an acceptable image (clean_image checks type, size and pixel count
    before anything else decodes it)."""
    cleaned = clean_image(upload)
    img = _decode(upload)  # the web copy from the upload: the cleaned one may be smaller
    name = uuid.uuid4().hex
    web, width, height = _jpeg(img, WEB_EDGE, WEB_QUALITY, f"{name}_web.jpg")
    thumb, _w, _h = _jpeg(img, THUMB_EDGE, THUMB_QUALITY, f"{name}_thumb.jpg")
    return PostImages(cleaned.image, web, thumb, width, height)
