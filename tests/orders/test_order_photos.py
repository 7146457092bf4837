"""Service photos are as private as their order: the resident, the volunteers on it and
staff in scope see them through the checked view; everyone else gets 404, a visitor who
is not signed in included (no login redirect); stored names never escape MEDIA_ROOT;
nothing serves MEDIA_URL; in production the view hands the file to nginx."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from apps.orders import services
from apps.orders.models import OrderPhoto

pytestmark = pytest.mark.django_db


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (0, 80, 160)).save(buf, format="JPEG")
    return buf.getvalue()


@pytest.fixture
def photo(flow: Any, cast: Any, settings: Any, tmp_path: Any) -> OrderPhoto:
    settings.MEDIA_ROOT = tmp_path
    settings.MEDIA_INTERNAL_URL = ""
    order = flow("in_service")
    upload = ContentFile(jpeg(), name="p.jpg")
    services.order_complete(order_id=order.pk, actor=cast.vol1, summary="打扫", photos=[upload])
    return OrderPhoto.objects.get(order=order)


def paths(photo: OrderPhoto) -> list[str]:
    return [f"/orders/photos/{photo.pk}/", f"/orders/photos/{photo.pk}/thumb/"]


@pytest.mark.parametrize("who", ["res1", "vol1", "village1", "town1", "county"])
def test_people_who_may_see_the_order_get_the_photo(
    photo: OrderPhoto, cast: Any, login_as: Any, who: str
) -> None:
    client = login_as(getattr(cast, who))
    for path, field in zip(paths(photo), ("image", "thumbnail"), strict=True):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r["Content-Type"] == "image/jpeg"
        assert r["Cache-Control"] == "private, no-cache"
        body = b"".join(r.streaming_content)
        assert body == getattr(photo, field).read()


@pytest.mark.parametrize("who", ["town2", "res9", "nobody"])
def test_anyone_else_gets_404(photo: OrderPhoto, cast: Any, login_as: Any, who: str) -> None:
    client = login_as(getattr(cast, who))
    for path in paths(photo):
        assert client.get(path).status_code == 404


def test_anonymous_gets_404_not_a_login_redirect(photo: OrderPhoto, client: Any) -> None:
    for path in paths(photo):
        r = client.get(path)
        assert r.status_code == 404
        assert "Location" not in r


def test_unknown_photo_and_unsafe_methods(photo: OrderPhoto, cast: Any, login_as: Any) -> None:
    client = login_as(cast.res1)
    assert client.get(f"/orders/photos/{photo.pk + 1000}/").status_code == 404
    assert client.post(paths(photo)[0]).status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "/orders/photos/../../pyproject.toml",
        "/orders/photos/%2e%2e/%2e%2e/pyproject.toml",
        "/orders/photos/1/../../../../etc/passwd",
        "/media/../pyproject.toml",
        "/media/%2e%2e/pyproject.toml",
        "/_protected/../pyproject.toml",
    ],
)
def test_path_traversal_in_the_url_is_404(
    photo: OrderPhoto, cast: Any, login_as: Any, path: str
) -> None:
    assert login_as(cast.county).get(path).status_code == 404


@pytest.mark.parametrize(
    "name",
    ["../../pyproject.toml", "/etc/passwd", "orders/../../pyproject.toml", "orders\\..\\x.jpg"],
)
def test_a_stored_name_outside_media_root_is_404(
    photo: OrderPhoto, cast: Any, login_as: Any, name: str, settings: Any
) -> None:
    # A tampered row: the view still never reads outside MEDIA_ROOT.
    OrderPhoto.objects.filter(pk=photo.pk).update(image=name)
    assert login_as(cast.res1).get(paths(photo)[0]).status_code == 404
    settings.MEDIA_INTERNAL_URL = "/_protected/"
    assert login_as(cast.res1).get(paths(photo)[0]).status_code == 404


def test_media_url_is_never_served_even_with_debug(
    photo: OrderPhoto, settings: Any, login_as: Any, cast: Any
) -> None:
    import importlib

    from django.urls import clear_url_caches

    import practice_portal.urls

    settings.DEBUG = True  # the URLconf is built again as a development server builds it
    try:
        importlib.reload(practice_portal.urls)
        clear_url_caches()
        assert login_as(cast.county).get(f"/media/{photo.image.name}").status_code == 404
    finally:
        settings.DEBUG = False
        importlib.reload(practice_portal.urls)
        clear_url_caches()


def test_production_hands_the_file_to_nginx(
    photo: OrderPhoto, cast: Any, login_as: Any, settings: Any
) -> None:
    settings.MEDIA_INTERNAL_URL = "/_protected/"
    client = login_as(cast.res1)
    r = client.get(paths(photo)[1])
    assert r.status_code == 200
    assert r["X-Accel-Redirect"] == f"/_protected/{photo.thumbnail.name}"
    assert r["Content-Type"] == "image/jpeg"
    assert r.content == b""
    assert login_as(cast.town2).get(paths(photo)[1]).has_header("X-Accel-Redirect") is False


def test_api_and_page_link_the_checked_view(
    photo: OrderPhoto, cast: Any, api_as: Any, login_as: Any
) -> None:
    body = api_as(cast.res1).get(f"/api/v1/orders/{photo.order_id}/").json()
    assert body["photos"][0]["image"] == f"http://testserver/orders/photos/{photo.pk}/"
    assert body["photos"][0]["thumbnail"] == f"http://testserver/orders/photos/{photo.pk}/thumb/"
    html = login_as(cast.res1).get(f"/orders/{photo.order_id}/").content.decode()
    assert f'href="/orders/photos/{photo.pk}/"' in html
    assert f'src="/orders/photos/{photo.pk}/thumb/"' in html
    assert "/media/" not in html
