"""The media center's feeds: JSON Feed 1.1 (structure checked field by field) and RSS
2.0 read by a real parser (feedparser), county-wide and per site, newest first, full
text and absolute image URLs, paged, and 304 on a conditional request."""

from __future__ import annotations

import datetime as dt
from typing import Any

import feedparser
import pytest
from django.utils import timezone

from apps.showcase import feeds, services
from apps.showcase.models import ShowcasePost

pytestmark = pytest.mark.django_db


def _published(make_post: Any, n: int, **kwargs: Any) -> list[ShowcasePost]:
    posts = []
    base = timezone.now() - dt.timedelta(days=n)
    for i in range(n):
        post = make_post("published", title=f"成果 {i}", **kwargs)
        ShowcasePost.objects.filter(pk=post.pk).update(published_at=base + dt.timedelta(hours=i))
        posts.append(post)
    return posts


def check_json_feed(feed: dict[str, Any]) -> None:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1): required and typed fields."""
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    for key in ("home_page_url", "feed_url", "next_url"):
        if key in feed:
            assert feed[key].startswith("http://") or feed[key].startswith("https://"), key
    assert isinstance(feed["items"], list)
    ids = set()
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"] not in ids
        ids.add(item["id"])
        assert "content_html" in item or "content_text" in item
        assert item["url"].startswith("http")
        dt.datetime.fromisoformat(item["date_published"])  # RFC 3339
        dt.datetime.fromisoformat(item["date_modified"])
        assert all(isinstance(a["name"], str) for a in item["authors"])
        if "image" in item:
            assert item["image"].startswith("http")
        for attachment in item.get("attachments", []):
            assert attachment["url"].startswith("http") and attachment["mime_type"]
        for key in item:
            assert key in {
                "id",
                "url",
                "external_url",
                "title",
                "content_html",
                "content_text",
                "summary",
                "image",
                "banner_image",
                "date_published",
                "date_modified",
                "authors",
                "tags",
                "language",
                "attachments",
            } or key.startswith("_"), key


def test_json_feed_county_wide(client: Any, make_post: Any) -> None:
    posts = _published(make_post, 3, photos=2)
    make_post("editor_review", title="还在审核")
    response = client.get("/showcase/feed.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/feed+json")
    feed = response.json()
    check_json_feed(feed)
    assert [i["title"] for i in feed["items"]] == ["成果 2", "成果 1", "成果 0"]  # newest first
    item = feed["items"][0]
    assert item["url"] == f"http://testserver/showcase/{posts[2].pk}/"
    assert (
        "清理楼道杂物" in item["content_html"]
        and '<img src="http://testserver/showcase/photos/' in item["content_html"]
    )
    assert len(item["attachments"]) == 2 and item["image"] == item["attachments"][0]["url"]
    assert "next_url" not in feed


def test_json_feed_pages(client: Any, make_post: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(feeds, "FEED_PAGE_SIZE", 2)
    _published(make_post, 5)
    first = client.get("/showcase/feed.json").json()
    assert [i["title"] for i in first["items"]] == ["成果 4", "成果 3"]
    assert first["next_url"] == "http://testserver/showcase/feed.json?page=2"
    second = client.get("/showcase/feed.json?page=2").json()
    third = client.get("/showcase/feed.json?page=3").json()
    assert [i["title"] for i in second["items"] + third["items"]] == ["成果 2", "成果 1", "成果 0"]
    assert "next_url" not in third
    assert client.get("/showcase/feed.json?page=4").status_code == 404
    assert client.get("/showcase/feed.json?page=x").status_code == 404


def test_site_feed_holds_its_subtree_only(client: Any, make_post: Any, tree: Any) -> None:
    make_post("published", title="东关的")
    make_post("published", site="county", title="县里的")
    town = client.get(f"/showcase/site/{tree.town1.pk}/feed.json").json()
    assert [i["title"] for i in town["items"]] == ["东关的"]
    county = client.get(f"/showcase/site/{tree.county.pk}/feed.json").json()
    assert {i["title"] for i in county["items"]} == {"东关的", "县里的"}
    assert client.get(f"/showcase/site/{tree.town2.pk}/feed.json").json()["items"] == []
    assert client.get("/showcase/site/999999/feed.json").status_code == 404


def test_rss_parsed_by_feedparser(client: Any, make_post: Any, tree: Any) -> None:
    _published(make_post, 2, photos=1)
    make_post("unpublished", title="撤下的")
    response = client.get("/showcase/feed.rss")
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert [e.title for e in parsed.entries] == ["成果 1", "成果 0"]
    entry = parsed.entries[0]
    assert entry.link.startswith("http://testserver/showcase/")
    assert "清理楼道杂物" in entry.content[0].value  # content:encoded, the full text
    assert "http://testserver/showcase/photos/" in entry.summary
    assert entry.enclosures[0].href.startswith("http://testserver/showcase/photos/")
    assert entry.published_parsed > parsed.entries[1].published_parsed
    site = feedparser.parse(client.get(f"/showcase/site/{tree.town2.pk}/feed.rss").content)
    assert not site.bozo and site.entries == []


def test_rss_pages(client: Any, make_post: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(feeds, "FEED_PAGE_SIZE", 1)
    _published(make_post, 2)
    parsed = feedparser.parse(client.get("/showcase/feed.rss").content)
    nexts = [link.href for link in parsed.feed.links if link.rel == "next"]
    assert nexts == ["http://testserver/showcase/feed.rss?page=2"]
    second = feedparser.parse(client.get("/showcase/feed.rss?page=2").content)
    assert [e.title for e in second.entries] == ["成果 0"]


@pytest.mark.parametrize("url", ["/showcase/feed.json", "/showcase/feed.rss"])
def test_conditional_requests_answer_304(
    client: Any, make_post: Any, editor: Any, url: str
) -> None:
    post = make_post("published")
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag and modified
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    # A withdrawal changes the feed: the old tag no longer matches.
    services.post_unpublish(actor=editor, post_id=post.pk, reason="撤")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_other_pages_have_other_tags(client: Any, make_post: Any) -> None:
    make_post("published")
    assert client.get("/showcase/feed.json")["ETag"] != client.get("/showcase/feed.rss")["ETag"]


def test_empty_feeds_are_valid(client: Any, tree: Any) -> None:
    check_json_feed(client.get("/showcase/feed.json").json())
    parsed = feedparser.parse(client.get("/showcase/feed.rss").content)
    assert not parsed.bozo and parsed.entries == []
