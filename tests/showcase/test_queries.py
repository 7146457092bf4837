"""Showcase lists cost the same number of queries at page sizes 1, 50 and 200: the
site and activity are joined, the photos one prefetch (public pages, feeds, the API
and the manage page)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.showcase import feeds
from apps.showcase.models import PostPhoto, ShowcasePost

pytestmark = pytest.mark.django_db


def _copies(post: ShowcasePost, n: int, status: str) -> None:
    """``n`` posts like ``post`` in total, each with two photos (sharing its files)."""
    fields = {f.attname: getattr(post, f.attname) for f in post._meta.concrete_fields}
    fields |= {"id": None, "idempotency_key": None, "status": status}
    have = ShowcasePost.objects.count()
    made = ShowcasePost.objects.bulk_create([ShowcasePost(**fields) for _ in range(n - have)])
    photo = post.photos.first()
    PostPhoto.objects.bulk_create(
        [
            PostPhoto(
                post=p,
                position=k,
                original=photo.original.name,
                web=photo.web.name,
                thumb=photo.thumb.name,
                width=1,
                height=1,
            )
            for p in made
            for k in range(2)
        ]
    )


def _count(fn: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
        assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/showcase/published/?page_size={n}",
        "/showcase/feed.json",
        "/showcase/feed.rss",
    ],
)
def test_public_lists(client: Any, make_post: Any, monkeypatch: Any, url: str) -> None:
    post = make_post("published", photos=2)
    counts = []
    for n in (1, 50, 200):
        monkeypatch.setattr(feeds, "FEED_PAGE_SIZE", n)
        _copies(post, n, "published")
        client.get(url.format(n=n))  # warm
        counts.append(_count(lambda n=n: client.get(url.format(n=n))))
    assert counts[0] == counts[1] == counts[2], counts
    assert counts[0] <= 6


def test_public_page(client: Any, make_post: Any, django_assert_num_queries: Any) -> None:
    post = make_post("published", photos=2)
    client.get("/showcase/")
    with CaptureQueriesContext(connection) as small:
        client.get("/showcase/")
    _copies(post, 50, "published")
    with django_assert_num_queries(len(small.captured_queries)):
        client.get("/showcase/")


@pytest.mark.parametrize("who", ["town1", "editor"])
def test_staff_lists(
    api_as: Any, login_as: Any, make_post: Any, cast: Any, editor: Any, who: str
) -> None:
    user = {"town1": cast.town1, "editor": editor}[who]
    post = make_post("county_review", photos=2)
    api = api_as(user)
    counts = []
    for n in (1, 50, 200):
        _copies(post, n, "county_review")
        api.get(f"/api/v1/showcase/posts/?page_size={n}")
        counts.append(_count(lambda n=n: api.get(f"/api/v1/showcase/posts/?page_size={n}")))
        assert len(api.get(f"/api/v1/showcase/posts/?page_size={n}").json()["results"]) == n
    assert counts[0] == counts[1] == counts[2], counts
    page = login_as(user)
    page.get("/showcase/manage/")
    first = _count(lambda: page.get("/showcase/manage/"))
    _copies(post, 250, "county_review")
    assert _count(lambda: page.get("/showcase/manage/")) == first
