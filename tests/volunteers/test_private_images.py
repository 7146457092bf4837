"""The other uploads pages show: a site's seal on a certificate goes only to whoever may
see the certificate; a reward's picture only to signed-in users. Neither is served from
MEDIA_URL."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from apps.points.models import Reward
from apps.volunteers import services

from .test_certificates import _issue
from .test_certificates import recorded as recorded  # the fixture

pytestmark = pytest.mark.django_db


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (120, 120), (200, 0, 0)).save(buf, format="PNG")
    return buf.getvalue()


def test_the_seal_goes_to_whoever_may_see_the_certificate(
    api_as: Any,
    cast: Any,
    tree: Any,
    recorded: Any,
    login_as: Any,
    client: Any,
    settings: Any,
    tmp_path: Any,  # noqa: F811
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.MEDIA_INTERNAL_URL = ""
    tree.village1.seal.save("seal.png", ContentFile(png()), save=True)
    number = _issue(api_as, cast.village1, recorded).json()["number"]
    path = f"/volunteers/certificates/{number}/seal/"
    page = login_as(cast.village1).get(f"/volunteers/certificates/{number}/").content.decode()
    assert f'src="{path}"' in page and "/media/" not in page
    for who in (recorded.user, cast.village1, cast.county):
        r = login_as(who).get(path)
        assert r.status_code == 200 and r["Content-Type"] == "image/png"
    for who in (cast.town2, cast.res9, cast.nobody):
        assert login_as(who).get(path).status_code == 404
    client.logout()
    assert client.get(path).status_code == 404
    assert services is not None


def test_reward_pictures_go_to_signed_in_users(
    tree: Any, cast: Any, login_as: Any, client: Any, settings: Any, tmp_path: Any, api_as: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.MEDIA_INTERNAL_URL = ""
    reward = Reward.objects.create(site=tree.village1, name="大米", points_cost=10, stock=5)
    reward.photo.save("rice.png", ContentFile(png()), save=True)
    path = f"/points/rewards/{reward.pk}/photo/"
    assert client.get(path).status_code == 404
    assert login_as(cast.vol1).get(path).status_code == 200
    body = api_as(cast.vol1).get(f"/api/v1/rewards/?site={tree.village1.pk}").json()
    assert body["results"][0]["photo"] == f"http://testserver{path}"
