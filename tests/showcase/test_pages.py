"""Showcase pages: the public ones without login (county-wide, per site, one post, an
activity's), empty states, the staff pages (manage, new, edit, review actions with
confirmation), the "晒成果" button on a finished activity's and an assessed order's
page, not yours, and English."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from apps.orders.models import OrderPhoto
from apps.showcase.models import PostStatus, ShowcasePost
from tests.activities.conftest import make_activity

from .conftest import finished_activity, jpeg_with_gps

pytestmark = pytest.mark.django_db


def _english(client: Any) -> Any:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_public_pages_without_login(client: Any, make_post: Any, tree: Any) -> None:
    post = make_post("published", photos=1)
    hidden = make_post("county_review", title="审核中的稿件")
    listing = client.get("/showcase/").content.decode()
    assert post.title in listing and hidden.title not in listing
    assert f"/showcase/photos/{post.photos.get().pk}/thumb/" in listing
    site_page = client.get(f"/showcase/site/{tree.town1.pk}/").content.decode()
    assert post.title in site_page
    assert post.title not in client.get(f"/showcase/site/{tree.town2.pk}/").content.decode()
    detail = client.get(f"/showcase/{post.pk}/").content.decode()
    assert "清理楼道杂物" in detail and "内容把关" not in detail  # no review box for the public
    assert client.get(f"/showcase/{hidden.pk}/").status_code == 404
    assert client.get("/showcase/site/999999/").status_code == 404


def test_empty_states(client: Any, tree: Any) -> None:
    assert "还没有发布的成果。" in client.get("/showcase/").content.decode()
    english = _english(client).get(f"/showcase/site/{tree.village1.pk}/").content.decode()
    assert "Nothing has been published yet." in english


def test_activity_public_page_and_panel(
    client: Any, login_as: Any, cast: Any, tree: Any, editor: Any
) -> None:
    activity = finished_activity(cast, tree, title="重阳敬老")
    staff = login_as(cast.village1)
    page = staff.get(f"/activities/{activity.pk}/").content.decode()
    assert f"/showcase/new/?activity={activity.pk}" in page  # the 晒成果 button
    form = staff.get(f"/showcase/new/?activity={activity.pk}").content.decode()
    assert "关于活动：重阳敬老" in form
    response = staff.post(
        "/showcase/new/",
        {
            "activity": activity.pk,
            "title": "重阳敬老成果",
            "body": "为老人理发 20 人次。",
            "request_key": "k1",
        },
    )
    assert response.status_code == 302
    post = ShowcasePost.objects.get(title="重阳敬老成果")
    assert post.activity_id == activity.pk and post.site_id == tree.village1.pk
    client.logout()
    assert (
        "这个活动还没有发布的成果。"
        in client.get(f"/showcase/activity/{activity.pk}/").content.decode()
    )
    from .conftest import walk

    walk(post, to="published", author=cast.village1, reviewers=[cast.town1, cast.county, editor])
    assert "重阳敬老成果" in client.get(f"/showcase/activity/{activity.pk}/").content.decode()
    assert "重阳敬老成果" in login_as(cast.vol1).get(f"/activities/{activity.pk}/").content.decode()


def test_a_running_activity_offers_no_button(login_as: Any, cast: Any, tree: Any) -> None:
    activity = make_activity(cast.village1, tree.village1)
    assert (
        "/showcase/new/?activity="
        not in login_as(cast.village1).get(f"/activities/{activity.pk}/").content.decode()
    )
    assert client_status(login_as(cast.village1), f"/showcase/activity/{activity.pk}/") == 200
    draft = make_activity(cast.village1, tree.village1, publish=False, title="草稿活动")
    assert client_status(login_as(cast.village1), f"/showcase/activity/{draft.pk}/") == 404


def client_status(client: Any, url: str) -> int:
    return int(client.get(url).status_code)


def test_from_an_assessed_order_with_its_photos(
    login_as: Any, cast: Any, tree: Any, flow: Any
) -> None:
    order = flow("assessed")
    photo = OrderPhoto(order=order)
    upload = jpeg_with_gps(800, 600)
    photo.image.save("o.jpg", upload, save=False)
    photo.thumbnail.save("o_t.jpg", upload, save=False)
    photo.save()
    staff = login_as(cast.village1)
    assert f"/showcase/new/?order={order.pk}" in staff.get(f"/orders/{order.pk}/").content.decode()
    form = staff.get(f"/showcase/new/?order={order.pk}").content.decode()
    assert "带上原有的 1 张照片" in form
    response = staff.post(
        "/showcase/new/",
        {
            "order": order.pk,
            "title": "上门理发",
            "body": "为刘大爷理发。",
            "copy_photos": "1",
            "request_key": "k2",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = ShowcasePost.objects.get(title="上门理发")
    assert post.order_id == order.pk and post.photos.count() == 1


def test_staff_flow_through_the_pages(login_as: Any, cast: Any, tree: Any, editor: Any) -> None:
    author = login_as(cast.village1)
    assert author.get("/showcase/manage/").status_code == 200
    response = author.post(
        "/showcase/new/",
        {
            "site": tree.village1.pk,
            "title": "冬季送温暖",
            "body": "走访 12 户。",
            "photos": [jpeg_with_gps(400, 300)],
            "request_key": "k3",
        },
    )
    assert response.status_code == 302
    post = ShowcasePost.objects.get(title="冬季送温暖")
    assert post.photos.count() == 1
    assert author.post(f"/showcase/{post.pk}/submit/").status_code == 302  # no tick
    post.refresh_from_db()
    assert post.status == "draft"
    author.post(f"/showcase/{post.pk}/submit/", {"consent": "on"})
    post.refresh_from_db()
    assert post.status == "township_review"
    town = login_as(cast.town1)
    assert "冬季送温暖" in town.get("/showcase/manage/").content.decode()  # in the queue
    town.post(f"/showcase/{post.pk}/return/", {"comment": "请补充走访人数"})
    post.refresh_from_db()
    assert post.status == "returned"
    author = login_as(cast.village1)
    assert "请补充走访人数" in author.get(f"/showcase/{post.pk}/edit/").content.decode()
    author.post(
        f"/showcase/{post.pk}/edit/", {"title": "冬季送温暖", "body": "走访 12 户，送棉被 12 床。"}
    )
    author.post(f"/showcase/{post.pk}/submit/", {"consent": "on"})
    for reviewer in (cast.town1, cast.county, editor):
        login_as(reviewer).post(f"/showcase/{post.pk}/approve/")
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    # Unpublishing asks for a reason and the confirmation tick.
    ed = login_as(editor)
    ed.post(f"/showcase/{post.pk}/unpublish/", {"reason": "撤"})
    post.refresh_from_db()
    assert post.status == "published"
    ed.post(f"/showcase/{post.pk}/unpublish/", {"reason": "撤", "confirm": "on"})
    post.refresh_from_db()
    assert post.status == "unpublished"


def test_reject_needs_the_confirmation(login_as: Any, make_post: Any, cast: Any) -> None:
    post = make_post("township_review")
    town = login_as(cast.town1)
    page = town.get(f"/showcase/{post.pk}/").content.decode()
    assert "确认不予通过" in page and "审核通过" in page
    town.post(f"/showcase/{post.pk}/reject/", {"reason": "无关"})
    post.refresh_from_db()
    assert post.status == "township_review"
    town.post(f"/showcase/{post.pk}/reject/", {"reason": "无关", "confirm": "on"})
    post.refresh_from_db()
    assert post.status == "rejected"


def test_not_yours_pages(login_as: Any, make_post: Any, cast: Any) -> None:
    post = make_post("township_review")
    other = login_as(cast.town2)
    assert other.get(f"/showcase/{post.pk}/").status_code == 404
    assert other.get(f"/showcase/{post.pk}/edit/").status_code == 404
    assert other.post(f"/showcase/{post.pk}/approve/").status_code == 404
    post.refresh_from_db()
    assert post.status == "township_review"
    assert login_as(cast.vol1).get("/showcase/manage/").status_code == 404
    assert login_as(cast.res1).get("/showcase/new/").status_code == 404
    # The author sees the post but not the review buttons; the wrong step is refused.
    author = login_as(cast.village1)
    assert "do-approve" not in author.get(f"/showcase/{post.pk}/").content.decode()
    author.post(f"/showcase/{post.pk}/approve/")
    post.refresh_from_db()
    assert post.status == "township_review"


def test_nav_has_the_manage_page_for_staff_and_editors(
    login_as: Any, cast: Any, editor: Any
) -> None:
    assert "/showcase/manage/" in login_as(cast.village1).get("/").content.decode()
    assert "/showcase/manage/" in login_as(editor).get("/").content.decode()
    assert "/showcase/manage/" not in login_as(cast.res1).get("/").content.decode()


@pytest.mark.parametrize(
    ("who", "url", "expected"),
    [
        (None, "/showcase/", ["Showcase", "Subscribe"]),
        (None, "site", ["Showcase", "County-wide results"]),
        (None, "post", ["More from"]),
        (
            "village1",
            "/showcase/manage/",
            ["Showcase management", "Waiting for my review", "Write a post"],
        ),
        ("village1", "/showcase/new/", ["Write a post", "Title", "Photos", "Save draft"]),
        ("town1", "review", ["Content review", "Approve", "Return for changes", "Reject"]),
        ("editor", "editor_review", ["Approve and publish", "Review trail"]),
    ],
)
def test_pages_in_english(
    client: Any,
    login_as: Any,
    cast: Any,
    tree: Any,
    editor: Any,
    make_post: Any,
    who: str | None,
    url: str,
    expected: list[str],
) -> None:
    published = make_post("published", photos=1)
    review = make_post("township_review")
    at_editor = make_post("editor_review")
    urls = {
        "site": f"/showcase/site/{tree.village1.pk}/",
        "post": f"/showcase/{published.pk}/",
        "review": f"/showcase/{review.pk}/",
        "editor_review": f"/showcase/{at_editor.pk}/",
    }
    user = {"village1": cast.village1, "town1": cast.town1, "editor": editor}.get(who or "")
    c = login_as(user) if user else client
    html = _english(c).get(urls.get(url, url)).content.decode()
    for text in expected:
        assert text in html, (url, text)
    for chinese in ("晒成果", "审核", "草稿", "提交", "照片", "阵地"):
        # Only the post's own text (typed by people) may be Chinese.
        assert chinese not in _without_user_text(html, [published, review, at_editor, tree]), (
            url,
            chinese,
        )


def _without_user_text(html: str, things: list[Any]) -> str:
    import re

    for thing in things:
        if hasattr(thing, "title"):
            html = (
                html.replace(thing.title, "").replace(thing.body, "").replace(thing.site.name, "")
            )
    for name in re.findall(r"[\u4e00-\u9fff]+(?:实践站|实践所|实践中心|实践基地)", html):
        html = html.replace(name, "")
    return html
