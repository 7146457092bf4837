"""Browser: a post from draft to the public page through the real pages — the village
point's staff write it with a photo and submit it (the consent tick), the township and
the county approve, the editor gives the final approval, and an anonymous visitor sees
it on the public pages — with screenshots at 360 px and on a desktop, in standard,
large-text (长辈模式) and English modes; the public pages have no serious axe violation
and nothing overflows sideways at 360 px."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from apps.showcase.models import ShowcasePost
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import AXE, LAYOUT, MODES, RUN_AXE, VIEWPORT, session_cookie

from .conftest import jpeg_with_gps

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"width": 1280, "height": 900}
OUT = ARTIFACTS / "showcase"


def _page(
    browser: Any,
    live_server: Any,
    user: Any = None,
    cookies: dict[str, str] | None = None,
    viewport: dict[str, int] = VIEWPORT,
) -> Any:
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    jar = [{"name": k, "value": v, "url": live_server.url} for k, v in (cookies or {}).items()]
    if user is not None:
        jar.append(session_cookie(user, live_server.url))
    if jar:
        context.add_cookies(jar)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _shot(page: Any, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_draft_to_public_page(
    live_server: Any, browser: Any, cast: Any, tree: Any, editor: Any
) -> None:
    base = live_server.url
    # 1. The village point's staff write the post with a photo and submit it.
    author = _page(browser, live_server, cast.village1)
    author.goto(f"{base}/showcase/manage/")
    author.click("#new-post")
    author.fill("#id_title", "东关社区冬日送温暖")
    author.fill(
        "#id_body", "志愿者走访 12 户独居老人，送去棉被和米面油。\n\n刘大爷说：“心里暖和。”"
    )
    photo = jpeg_with_gps(1800, 1200)
    author.set_input_files(
        "#id_photos", {"name": "visit.jpg", "mimeType": "image/jpeg", "buffer": photo.read()}
    )
    author.click("#save-post")
    author.wait_for_url("**/showcase/*/")
    post = ShowcasePost.objects.get(title="东关社区冬日送温暖")
    assert post.photos.count() == 1
    _shot(author, "1-draft-360")
    author.check("#id_consent")
    author.click("#do-submit")
    assert author.locator("#post-status").inner_text() == "待乡镇审核"
    _shot(author, "2-submitted-360")

    # 2. The township, then the county approve; 3. the editor publishes.
    for user, status in ((cast.town1, "待县中心审核"), (cast.county, "待媒体中心终审")):
        reviewer = _page(browser, live_server, user)
        reviewer.goto(f"{base}/showcase/manage/")
        reviewer.locator("#queue a", has_text="东关社区冬日送温暖").click()
        reviewer.click("#do-approve")
        assert reviewer.locator("#post-status").inner_text() == status
    desk = _page(browser, live_server, editor, viewport=DESKTOP)
    desk.goto(f"{base}/showcase/manage/")
    _shot(desk, "3-editor-queue-desktop")
    desk.locator("#queue a", has_text="东关社区冬日送温暖").click()
    _shot(desk, "4-editor-review-desktop")
    desk.click("#do-approve")
    assert desk.locator("#post-status").inner_text() == "已发布"
    post.refresh_from_db()
    assert post.status == "published"

    # 4. Anyone sees it on the public pages, its photo loaded, in every mode.
    axe = AXE.read_text(encoding="utf-8")
    problems: list[str] = []
    for mode, cookies in MODES.items():
        for viewport, size in ((VIEWPORT, "360"), (DESKTOP, "desktop")):
            visitor = _page(browser, live_server, cookies=cookies, viewport=viewport)
            for path, name in (
                ("/showcase/", "list"),
                (f"/showcase/{post.pk}/", "post"),
                (f"/showcase/site/{tree.village1.pk}/", "site"),
            ):
                visitor.goto(f"{base}{path}")
                visitor.wait_for_load_state("networkidle")
                assert "东关社区冬日送温暖" in visitor.content()
                loaded = visitor.evaluate(
                    "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
                )
                assert loaded, (mode, path)
                _shot(visitor, f"5-public-{name}-{mode}-{size}")
                if size == "360":
                    layout = visitor.evaluate(LAYOUT)
                    if layout["scrollWidth"] > layout["width"]:
                        problems.append(
                            f"{mode} {path}: overflows sideways ({layout['scrollWidth']} px)"
                        )
                    if layout["h1Top"] is None or layout["h1Top"] > VIEWPORT["height"] - 60:
                        problems.append(f"{mode} {path}: title not on the first screen")
                    visitor.add_script_tag(content=axe)
                    violations = visitor.evaluate(RUN_AXE)
                    if violations:
                        problems.append(
                            f"{mode} {path}: {json.dumps(violations, ensure_ascii=False)}"
                        )
            if mode == "english" and size == "360":
                assert "Showcase" in visitor.content()
            visitor.context.close()
    # The staff pages at 360 px in large text and English.
    for mode in ("large", "english"):
        staff = _page(browser, live_server, cast.village1, cookies=MODES[mode])
        for path, name in (
            ("/showcase/manage/", "manage"),
            ("/showcase/new/", "new"),
            (f"/showcase/{post.pk}/", "post-staff"),
        ):
            staff.goto(f"{base}{path}")
            _shot(staff, f"6-{name}-{mode}-360")
            layout = staff.evaluate(LAYOUT)
            if layout["scrollWidth"] > layout["width"]:
                problems.append(
                    f"staff {mode} {path}: overflows sideways ({layout['scrollWidth']} px)"
                )
    assert not problems, "\n".join(problems)
