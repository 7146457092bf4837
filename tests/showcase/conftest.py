"""Showcase fixtures on top of the named cast (tests/conftest.py): the media center's
``editor`` held at the county, ``editor2`` at another county (not yours), photos with
GPS in their EXIF, and ``make_post`` to bring a post to any state."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.accounts.models import RoleName
from apps.showcase import services
from apps.showcase.models import ShowcasePost
from apps.sites.models import Site, SiteLevel
from tests.browser.conftest import browser  # noqa: F401 - the Playwright fixture
from tests.factories import user_with_role
from tests.orders.conftest import flow, m, v  # noqa: F401 - re-exported fixtures

GPS_IFD = 0x8825


def jpeg_with_gps(
    width: int = 3000, height: int = 2000, name: str = "photo.jpg"
) -> SimpleUploadedFile:
    """A camera-like JPEG: large, with an EXIF block holding the GPS position."""
    img = Image.new("RGB", (width, height), (200, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (39.0, 54.0, 12.5)
    gps[3] = "E"
    gps[4] = (116.0, 23.0, 30.1)
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif, quality=80)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def small_png(name: str = "p.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@pytest.fixture
def editor(tree: Any) -> Any:
    return user_with_role("editor", RoleName.EDITOR, tree.county, mobile="13900000031")


@pytest.fixture
def other_county(db: Any) -> Site:
    site = Site(name="邻县新时代文明实践中心", level=SiteLevel.COUNTY, parent=None)
    site.save()
    return site


@pytest.fixture
def editor2(other_county: Site) -> Any:
    return user_with_role("editor2", RoleName.EDITOR, other_county, mobile="13900000032")


@pytest.fixture
def county_staff(tree: Any) -> Any:
    return user_with_role("countystaff", RoleName.STAFF, tree.county, mobile="13900000002")


def draft(actor: Any, site: Any, *, photos: int = 0, **extra: Any) -> ShowcasePost:
    post, created = services.post_create(
        actor=actor,
        site=site,
        title=extra.pop("title", "东关社区环境整治成果"),
        body=extra.pop("body", "清理楼道杂物 30 处，群众拍手叫好。\n\n第二段。"),
        photos=[small_png(f"p{i}.png") for i in range(photos)],
        **extra,
    )
    assert created
    return post


def walk(post: ShowcasePost, *, to: str, author: Any, reviewers: list[Any]) -> ShowcasePost:
    """Move ``post`` along the chain until it reaches ``to`` (a status)."""
    if post.status == to:
        return post
    services.post_submit(actor=author, post_id=post.pk, consent=True)
    post.refresh_from_db()
    for reviewer in reviewers:
        if post.status == to:
            break
        services.post_approve(actor=reviewer, post_id=post.pk)
        post.refresh_from_db()
    assert post.status == to, post.status
    return post


@pytest.fixture
def make_post(cast: Any, tree: Any, editor: Any) -> Any:
    """``make_post(status, site="village1", photos=0)``: a post of that site brought
    to ``status`` through the services."""

    def make(
        status: str = "draft", site: str = "village1", photos: int = 0, **extra: Any
    ) -> ShowcasePost:
        author = {"village1": cast.village1, "town1": cast.town1, "county": cast.county}[site]
        post = draft(author, getattr(tree, site), photos=photos, **extra)
        reviewers = {
            "village1": [cast.town1, cast.county, editor],
            "town1": [cast.county, editor],
            "county": [editor],
        }[site]
        if status in ("draft",):
            return post
        if status in ("returned", "rejected"):
            walk(post, to=_first(site), author=author, reviewers=[])
            if status == "returned":
                services.post_return(actor=reviewers[0], post_id=post.pk, comment="请补充照片说明")
            else:
                services.post_reject(actor=reviewers[0], post_id=post.pk, reason="与主题无关")
            post.refresh_from_db()
            return post
        if status == "unpublished":
            walk(post, to="published", author=author, reviewers=reviewers)
            services.post_unpublish(actor=editor, post_id=post.pk, reason="照片当事人要求撤下")
            post.refresh_from_db()
            return post
        return walk(post, to=status, author=author, reviewers=reviewers)

    return make


def _first(site: str) -> str:
    return {"village1": "township_review", "town1": "county_review", "county": "editor_review"}[
        site
    ]


def finished_activity(cast: Any, tree: Any, **extra: Any) -> Any:
    """A village1 activity held three days ago and finished."""
    import datetime as dt

    from apps.activities import services as activity_services
    from apps.activities.models import Activity
    from tests.activities.conftest import make_activity

    activity = make_activity(cast.village1, tree.village1, **extra)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=activity.starts_at - dt.timedelta(days=5),
        ends_at=activity.ends_at - dt.timedelta(days=5),
        signup_deadline=activity.signup_deadline - dt.timedelta(days=5),
    )
    activity_services.activity_finish(actor=cast.village1, activity_id=activity.pk)
    activity.refresh_from_db()
    return activity
