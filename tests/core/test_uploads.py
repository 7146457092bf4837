"""``core.uploads.clean_image``: what is stored carries no metadata (EXIF, GPS, XMP,
comments, ICC profiles) in the image or its thumbnail, checked with Pillow and in the
bytes; it is upright (the EXIF orientation applied); a JPEG is re-encoded at the
stated quality; and uploads are refused by type, size and pixel count."""

from __future__ import annotations

import io
import math

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageChops, ImageCms, PngImagePlugin

from apps.core import uploads
from apps.core.uploads import THUMB_SIZE, CleanImage, clean_image

SECRETS = (b"exif", b"secretcam", b"secretcomment", b"secretxmp", b"icc_profile", b"srgb")
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">SecretXMP</x:xmpmeta>'


def camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0)}  # GPS latitude
    return exif


def marked(mode: str = "RGB", size: tuple[int, int] = (400, 300)) -> Image.Image:
    """Red top half, blue bottom half, a green square in the top-left corner: which way
    up the stored image is can be read off its pixels."""
    alpha = (255,) if mode == "RGBA" else ()
    img = Image.new(mode, size, (0, 0, 255) + alpha)
    img.paste((255, 0, 0) + alpha, (0, 0, size[0], size[1] // 2))
    img.paste((0, 255, 0) + alpha, (0, 0, size[0] // 8, size[1] // 8))
    return img


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **params)
    return buf.getvalue()


def with_metadata(fmt: str, mode: str, orientation: int = 1) -> bytes:
    params: dict[str, object] = {"exif": camera_exif(orientation), "icc_profile": ICC}
    if fmt == "JPEG":
        params.update(comment=b"SecretComment", xmp=XMP, quality=95)
    elif fmt == "WEBP":
        params.update(xmp=XMP, lossless=True)
    else:
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "SecretComment")
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
        params["pnginfo"] = info
    return encode(marked(mode), fmt, **params)


def upload(data: bytes, name: str = "p.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def stored(result: CleanImage) -> list[tuple[bytes, Image.Image]]:
    out = []
    for cf in (result.image, result.thumbnail):
        cf.seek(0)
        data = cf.read()
        img = Image.open(io.BytesIO(data))
        img.load()
        out.append((data, img))
    return out


@pytest.mark.parametrize(
    ("fmt", "mode"), [("JPEG", "RGB"), ("PNG", "RGB"), ("PNG", "RGBA"), ("WEBP", "RGBA")]
)
def test_no_metadata_survives_in_image_or_thumbnail(fmt: str, mode: str) -> None:
    source = with_metadata(fmt, mode)
    src = Image.open(io.BytesIO(source))
    assert src.getexif()  # the fixture does carry what must go
    assert b"SecretCam" in source
    result = clean_image(upload(source, f"p.{uploads.ALLOWED_FORMATS[fmt]}"))
    for data, img in stored(result):
        assert img.format == fmt
        assert not img.getexif()
        assert not img.getexif().get_ifd(0x8825)  # no GPS
        leftover = {"exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp", "Comment"}
        assert not leftover & set(img.info)
        assert [s for s in SECRETS if s in data.lower()] == []


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_the_stored_image_is_upright(orientation: int) -> None:
    source = with_metadata("JPEG", "RGB", orientation)
    expected = marked().transpose(
        {
            3: Image.Transpose.ROTATE_180,
            6: Image.Transpose.ROTATE_270,
            8: Image.Transpose.ROTATE_90,
        }[orientation]
    )
    result = clean_image(upload(source))
    (_, image), (_, thumb) = stored(result)
    assert image.size == expected.size == (result.width, result.height)
    assert mean_error(image, expected) < 4
    assert max(thumb.size) == max(THUMB_SIZE)
    assert mean_error(thumb, expected.resize(thumb.size)) < 8
    assert not image.getexif().get(uploads.EXIF_ORIENTATION)


def test_an_upright_photo_is_not_turned() -> None:
    result = clean_image(upload(with_metadata("JPEG", "RGB", 1)))
    (_, image), _ = stored(result)
    assert image.size == (400, 300)
    assert mean_error(image, marked()) < 4


def mean_error(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0–255."""
    hist = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).histogram()
    return sum((i % 256) * n for i, n in enumerate(hist)) / (a.width * a.height * 3)


def photo_like(size: tuple[int, int] = (800, 600)) -> bytes:
    grad = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 12)
    img = Image.merge("RGB", (grad, noise, grad.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    return encode(img, "JPEG", quality=92, exif=camera_exif())


def test_a_jpeg_is_re_encoded_at_the_stated_quality() -> None:
    source = photo_like()
    result = clean_image(upload(source))
    (data, image), (_, thumb) = stored(result)
    decoded = Image.open(io.BytesIO(source)).convert("RGB")
    reference = Image.open(io.BytesIO(encode(decoded, "JPEG", quality=uploads.IMAGE_QUALITY)))
    assert uploads.IMAGE_QUALITY >= 85  # lowering it is a decision to state, not a side effect
    assert image.quantization == reference.quantization
    assert data != source  # a fresh encode, not the upload's bytes
    assert psnr(image, decoded) > 30
    assert thumb.format == "JPEG" and max(thumb.size) <= max(THUMB_SIZE)
    assert thumb.size == (320, 240)  # the aspect ratio is kept


def psnr(a: Image.Image, b: Image.Image) -> float:
    hist = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).histogram()
    mse = sum((i % 256) ** 2 * n for i, n in enumerate(hist)) / (a.width * a.height * 3)
    return 10 * math.log10(255**2 / mse) if mse else math.inf


def test_png_keeps_its_alpha_and_a_palette_png_becomes_rgba() -> None:
    pal = marked().convert("P")
    pal.info["transparency"] = 0
    result = clean_image(upload(encode(pal, "PNG"), "p.png"))
    (_, image), (_, thumb) = stored(result)
    assert image.format == "PNG" and image.mode == "RGBA" and thumb.mode == "RGBA"


def refused(data: bytes, name: str = "p.jpg", **kwargs: object) -> str:
    with pytest.raises(ValidationError) as exc:
        clean_image(upload(data, name), **kwargs)  # type: ignore[arg-type]
    return str(exc.value.code)


def test_too_many_bytes_is_refused() -> None:
    data = photo_like()
    assert refused(data, max_bytes=len(data) - 1) == "image_too_large"
    assert clean_image(upload(data), max_bytes=len(data)).width == 800


def test_too_many_pixels_is_refused() -> None:
    assert uploads.MAX_PIXELS == 40_000_000
    data = encode(Image.new("L", (8000, 5001)), "PNG")  # 40,008,000 pixels, a few KB
    assert refused(data, "p.png") == "image_too_large"


def test_other_types_and_garbage_are_refused() -> None:
    assert refused(encode(marked(), "GIF"), "p.gif") == "image_type"
    assert refused(encode(marked(), "BMP"), "p.bmp") == "image_type"
    assert refused(b"not an image at all", "p.jpg") == "image_invalid"
    truncated = photo_like()[:5000]
    assert refused(truncated) == "image_invalid"


@pytest.mark.parametrize(
    ("size", "fmt", "orientation", "kept"),
    [
        ((4000, 3000), "JPEG", 1, (2000, 1500)),  # a phone's 12 MP: decoded at half scale
        ((4000, 3000), "JPEG", 6, (1500, 2000)),  # portrait: reduced, then turned upright
        ((6000, 4000), "JPEG", 1, (1500, 1000)),  # the largest 1/2^k scale within the edge
        ((3000, 2250), "PNG", 1, (2048, 1536)),  # no reduced decode: resampled
        ((2048, 1000), "JPEG", 1, (2048, 1000)),  # within the limit: kept as it is
    ],
)
def test_large_photos_are_kept_within_the_longest_edge(
    size: tuple[int, int], fmt: str, orientation: int, kept: tuple[int, int]
) -> None:
    picture = marked(size=size)
    params: dict[str, object] = {"exif": camera_exif(orientation)}
    if fmt == "JPEG":
        params["quality"] = 90
    result = clean_image(upload(encode(picture, fmt, **params), f"p.{fmt.lower()}"))
    (_, image), (_, thumb) = stored(result)
    assert image.size == (result.width, result.height) == kept
    assert max(image.size) <= uploads.MAX_EDGE
    expected = picture if orientation == 1 else picture.transpose(Image.Transpose.ROTATE_270)
    assert mean_error(image, expected.resize(image.size)) < 4  # the same picture, upright
    assert max(thumb.size) == max(THUMB_SIZE)
