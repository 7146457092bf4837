"""Photos for the public: the cleaned original (no EXIF, no GPS) stays private, the web
copy (1600 px) and thumbnail are fresh encodes without metadata, served to anyone only
while the post is published; staff in scope see them before through the checked view."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from apps.showcase import services
from apps.showcase.models import MAX_PHOTOS, PostPhoto

from .conftest import GPS_IFD, draft, jpeg_with_gps, small_png

pytestmark = pytest.mark.django_db


def _read(field: Any) -> Image.Image:
    with field.open("rb") as f:
        img = Image.open(io.BytesIO(f.read()))
        img.load()
    return img


def test_the_source_really_has_gps() -> None:
    img = Image.open(jpeg_with_gps())
    assert img.getexif().get_ifd(GPS_IFD)  # the fixture is what it says


def test_gps_and_exif_are_gone_from_every_copy(cast: Any, tree: Any) -> None:
    post = draft(cast.village1, tree.village1)
    photo = services.post_photo_add(actor=cast.village1, post_id=post.pk, photo=jpeg_with_gps())
    for field in (photo.original, photo.web, photo.thumb):
        img = _read(field)
        exif = img.getexif()
        assert not exif.get_ifd(GPS_IFD), field.name
        assert len(exif) == 0, (field.name, dict(exif))
        assert "exif" not in img.info
    web, thumb, original = _read(photo.web), _read(photo.thumb), _read(photo.original)
    assert max(web.size) == 1600 and web.size == (1600, 1067)
    assert max(thumb.size) == 480
    assert max(original.size) <= 2048
    assert (photo.width, photo.height) == web.size
    with photo.web.open("rb") as f:
        assert b"Exif" not in f.read(4096)


def test_at_most_nine_photos(cast: Any, tree: Any) -> None:
    post = draft(cast.village1, tree.village1, photos=MAX_PHOTOS)
    with pytest.raises(ValidationError) as err:
        services.post_photo_add(actor=cast.village1, post_id=post.pk, photo=small_png())
    assert "photos" in err.value.message_dict
    assert post.photos.count() == MAX_PHOTOS
    with pytest.raises(ValidationError):
        services.post_create(
            actor=cast.village1,
            site=tree.village1,
            title="十张",
            body="太多",
            photos=[small_png() for _ in range(MAX_PHOTOS + 1)],
        )


def test_not_an_image_is_refused(cast: Any, tree: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    post = draft(cast.village1, tree.village1)
    with pytest.raises(ValidationError):
        services.post_photo_add(
            actor=cast.village1,
            post_id=post.pk,
            photo=SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg"),
        )
    assert PostPhoto.objects.count() == 0


def test_removing_a_photo(cast: Any, tree: Any) -> None:
    post = draft(cast.village1, tree.village1, photos=2)
    first = post.photos.first()
    services.post_photo_remove(actor=cast.village1, post_id=post.pk, photo_id=first.pk)
    assert post.photos.count() == 1


def _urls(photo: PostPhoto) -> dict[str, str]:
    return {v: f"/showcase/photos/{photo.pk}/{v}/" for v in ("web", "thumb", "original")}


@pytest.mark.parametrize(
    "status", ["draft", "township_review", "editor_review", "returned", "rejected", "unpublished"]
)
def test_unpublished_images_are_not_public(client: Any, make_post: Any, status: str) -> None:
    post = make_post(status, photos=1)
    for url in _urls(post.photos.get()).values():
        assert client.get(url).status_code == 404, url
    assert client.get(f"/showcase/{post.pk}/").status_code == 404


def test_published_images_are_public_originals_are_not(client: Any, make_post: Any) -> None:
    post = make_post("published", photos=1)
    urls = _urls(post.photos.get())
    for variant in ("web", "thumb"):
        response = client.get(urls[variant])
        assert response.status_code == 200
        assert response["Cache-Control"].startswith("public")
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert client.get(urls["original"]).status_code == 404


def test_staff_in_scope_see_images_before_publication(
    login_as: Any, make_post: Any, cast: Any, editor: Any
) -> None:
    post = make_post("county_review", photos=1)
    urls = _urls(post.photos.get())
    for user in (cast.village1, cast.town1, cast.county, editor):
        client = login_as(user)
        for url in urls.values():
            response = client.get(url)
            assert response.status_code == 200, (user, url)
            assert response["Cache-Control"] == "private, no-cache"
    for user in (cast.town2, cast.vol1, cast.res1):
        client = login_as(user)
        for url in urls.values():
            assert client.get(url).status_code == 404, (user, url)


def test_unpublishing_takes_the_images_down(client: Any, make_post: Any, editor: Any) -> None:
    post = make_post("published", photos=1)
    url = _urls(post.photos.get())["web"]
    assert client.get(url).status_code == 200
    services.post_unpublish(actor=editor, post_id=post.pk, reason="撤")
    assert client.get(url).status_code == 404
    assert client.get(f"/showcase/{post.pk}/").status_code == 404


def test_unknown_variant_is_404(client: Any, make_post: Any) -> None:
    post = make_post("published", photos=1)
    assert client.get(f"/showcase/photos/{post.photos.get().pk}/raw/").status_code == 404
