"""The media center's feeds (双中心融合): published posts, newest first, county-wide
and per site, as JSON Feed 1.1 and RSS 2.0 (Django's syndication framework).

Both are paged (``?page=N``, ``FEED_PAGE_SIZE`` items; JSON Feed says where the next
page is in ``next_url``, RSS in an ``atom:link rel="next"``) and carry the full text
(``content_html``) with absolute image URLs. Polling is cheap: every response has an
``ETag`` and a ``Last-Modified`` from one aggregate over the posts that are or were
published in scope, and a conditional request that matches answers 304 with no body
(``django.views.decorators.http.condition``)."""

from __future__ import annotations

from typing import Any

from django.contrib.syndication.views import Feed
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import feedgenerator, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import condition

from apps.core.errors import NotFoundError
from apps.sites.models import Site

from . import selectors
from .content import content_html, image_urls, photos_of, post_url

FEED_PAGE_SIZE = 20
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def _site(site_id: int | None) -> Site | None:
    if site_id is None:
        return None
    try:
        return selectors.public_site(site_id)
    except NotFoundError:
        raise Http404 from None


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    if not raw.isdigit() or len(raw) > 6 or int(raw) < 1:
        raise Http404
    return int(raw)


def _page(request: HttpRequest, site: Site | None) -> Any:
    paginator = Paginator(selectors.published(site=site), FEED_PAGE_SIZE)
    try:
        return paginator.page(_page_number(request))
    except EmptyPage:
        if _page_number(request) == 1:
            return paginator.page(1)  # an empty feed is a feed
        raise Http404 from None


def _state(request: HttpRequest, site_id: int | None) -> tuple[str, Any]:
    """``selectors.feed_state`` once per request (the ETag and the Last-Modified both
    ask for it)."""
    cached = getattr(request, "_showcase_feed_state", None)
    if cached is None:
        cached = selectors.feed_state(_site(site_id))
        request._showcase_feed_state = cached  # type: ignore[attr-defined]
    return cached


def _etag(request: HttpRequest, site_id: int | None = None) -> str:
    seed, _changed = _state(request, site_id)
    # The page and the format are part of the entity: each has its own tag.
    fmt = request.path.rsplit(".", 1)[-1]
    return f"{seed}-{fmt}-{request.GET.get('page', '1')}-{translation.get_language()}"


def _last_modified(request: HttpRequest, site_id: int | None = None) -> Any:
    return _state(request, site_id)[1]


def _feed_title(site: Site | None) -> str:
    return (site.name if site else _("全县")) + " · " + _("晒成果")


# --- JSON Feed 1.1 ----------------------------------------------------------------------------
@condition(etag_func=_etag, last_modified_func=_last_modified)
def json_feed(request: HttpRequest, site_id: int | None = None) -> HttpResponse:
    site = _site(site_id)
    page = _page(request, site)
    base = request.build_absolute_uri("/")
    here = request.build_absolute_uri(request.path)
    home = request.build_absolute_uri(
        reverse("showcase:site", args=[site.pk]) if site else reverse("showcase:list")
    )
    items = []
    for post in page.object_list:
        images = image_urls(post, base)
        item: dict[str, Any] = {
            "id": post_url(post, base),
            "url": post_url(post, base),
            "title": post.title,
            "content_html": content_html(post, base),
            "content_text": post.body,
            "summary": post.body[:140],
            "date_published": timezone.localtime(post.published_at).isoformat(),
            "date_modified": timezone.localtime(post.updated_at).isoformat(),
            "authors": [{"name": post.site.name}],
            "tags": [post.site.name] + ([post.activity.title] if post.activity else []),
            "language": "zh-CN",
        }
        if images:
            item["image"] = images[0]
            item["attachments"] = [
                {"url": url, "mime_type": "image/jpeg", "title": post.title} for url in images
            ]
        item["_portal"] = {
            "post_id": post.pk,
            "site_id": post.site_id,
            "activity_id": post.activity_id,
            "photo_count": len(photos_of(post)),
        }
        items.append(item)
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": _feed_title(site),
        "home_page_url": home,
        "feed_url": here,
        "description": _("经县新时代文明实践中心和融媒体中心审核发布的志愿服务成果。"),
        "language": "zh-CN",
        "items": items,
    }
    if page.has_next():
        feed["next_url"] = f"{here}?page={page.next_page_number()}"
    response = JsonResponse(
        feed, json_dumps_params={"ensure_ascii": False}, content_type="application/feed+json"
    )
    response["Cache-Control"] = "public, max-age=60"
    return response


# --- RSS 2.0 ----------------------------------------------------------------------------------
class PagedRss(feedgenerator.Rss201rev2Feed):
    """RSS 2.0 with an ``atom:link rel="self"``/``rel="next"`` for paging."""

    def add_root_elements(self, handler: Any) -> None:
        super().add_root_elements(handler)
        if self.feed.get("next_url"):
            handler.addQuickElement(
                "atom:link", None, {"rel": "next", "href": self.feed["next_url"]}
            )

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("content_html"):
            handler.addQuickElement("content:encoded", item["content_html"])

    def rss_attributes(self) -> dict[str, str]:
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }


class ShowcaseRss(Feed):  # type: ignore[type-arg]
    feed_type = PagedRss

    def get_object(self, request: HttpRequest, site_id: int | None = None) -> dict[str, Any]:
        site = _site(site_id)
        page = _page(request, site)
        return {
            "site": site,
            "page": page,
            "base": request.build_absolute_uri("/"),
            "here": request.build_absolute_uri(request.path),
        }

    def title(self, obj: dict[str, Any]) -> str:
        return _feed_title(obj["site"])

    def link(self, obj: dict[str, Any]) -> str:
        site = obj["site"]
        return reverse("showcase:site", args=[site.pk]) if site else reverse("showcase:list")

    def description(self, obj: dict[str, Any]) -> str:
        return _("经县新时代文明实践中心和融媒体中心审核发布的志愿服务成果。")

    def feed_extra_kwargs(self, obj: dict[str, Any]) -> dict[str, Any]:
        page = obj["page"]
        return {
            "next_url": f"{obj['here']}?page={page.next_page_number()}" if page.has_next() else ""
        }

    def items(self, obj: dict[str, Any]) -> list[Any]:
        for post in obj["page"].object_list:
            post.feed_base = obj["base"]
        return list(obj["page"].object_list)

    def item_title(self, item: Any) -> str:
        return str(item.title)

    def item_description(self, item: Any) -> str:
        return content_html(item, item.feed_base)

    def item_link(self, item: Any) -> str:
        return post_url(item, item.feed_base)

    def item_guid(self, item: Any) -> str:
        return post_url(item, item.feed_base)

    def item_pubdate(self, item: Any) -> Any:
        return item.published_at

    def item_updateddate(self, item: Any) -> Any:
        return item.updated_at

    def item_author_name(self, item: Any) -> str:
        return str(item.site.name)

    def item_categories(self, item: Any) -> list[str]:
        return [item.site.name]

    def item_enclosures(self, item: Any) -> list[feedgenerator.Enclosure]:
        # RSS 2.0 allows one enclosure per item: the first photo (all are in the text).
        urls = image_urls(item, item.feed_base)
        return [feedgenerator.Enclosure(urls[0], "0", "image/jpeg")] if urls else []

    def item_extra_kwargs(self, item: Any) -> dict[str, Any]:
        return {"content_html": content_html(item, item.feed_base)}


_rss = ShowcaseRss()


@condition(etag_func=_etag, last_modified_func=_last_modified)
def rss_feed(request: HttpRequest, site_id: int | None = None) -> HttpResponse:
    response = _rss(request, site_id=site_id)
    response["Cache-Control"] = "public, max-age=60"
    return response
