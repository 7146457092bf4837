"""The in-app side: the API, the bell on every page, the inbox, and the staff page of
failed deliveries (scoped: town2 sees nothing of town1's)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from apps.accounts.models import Role, RoleName
from apps.notifications.models import Channel, Delivery, DeliveryStatus, Notification
from apps.notifications.services import notify

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/"


def note(user: Any, title: str, **kw: Any) -> Notification:
    return Notification.objects.create(
        user=user, kind="order_nudged", title=title, body=f"{title}的内容", **kw
    )


@pytest.fixture
def inboxes(cast: Any) -> dict[str, Notification]:
    from django.utils import timezone

    return {
        "a": note(cast.res1, "第一条"),
        "b": note(cast.res1, "第二条"),
        "read": note(cast.res1, "已读的", read_at=timezone.now()),
        "other": note(cast.res9, "别人的"),
    }


# --- API ------------------------------------------------------------------------------------
def test_list_shows_own_notifications_with_unread_count(
    api_as: Any, cast: Any, inboxes: Any
) -> None:
    r = api_as(cast.res1).get(URL)
    assert r.status_code == 200
    body = r.json()
    assert body["unread_count"] == 2
    assert [n["title"] for n in body["results"]] == ["已读的", "第二条", "第一条"]
    assert {n["id"] for n in body["results"]}.isdisjoint({inboxes["other"].pk})
    first = next(n for n in body["results"] if n["id"] == inboxes["a"].pk)
    assert first["is_read"] is False and first["body"] == "第一条的内容"

    unread = api_as(cast.res1).get(URL, {"unread": "1"}).json()
    assert [n["title"] for n in unread["results"]] == ["第二条", "第一条"]
    assert api_as(cast.nobody).get(URL).json()["unread_count"] == 0


def test_list_needs_login(api: Any) -> None:
    assert api.get(URL).status_code in (401, 403)


def test_mark_read(api_as: Any, cast: Any, inboxes: Any) -> None:
    r = api_as(cast.res1).post(f"{URL}{inboxes['a'].pk}/read/")
    assert r.status_code == 200
    assert r.json()["is_read"] is True
    inboxes["a"].refresh_from_db()
    assert inboxes["a"].read_at is not None
    first_read = inboxes["a"].read_at
    # Marking again keeps the first time.
    api_as(cast.res1).post(f"{URL}{inboxes['a'].pk}/read/")
    inboxes["a"].refresh_from_db()
    assert inboxes["a"].read_at == first_read
    assert api_as(cast.res1).get(URL).json()["unread_count"] == 1


def test_mark_read_of_someone_elses_is_404(api_as: Any, cast: Any, inboxes: Any) -> None:
    r = api_as(cast.res1).post(f"{URL}{inboxes['other'].pk}/read/")
    assert r.status_code == 404
    inboxes["other"].refresh_from_db()
    assert inboxes["other"].read_at is None
    assert api_as(cast.res1).get(f"{URL}{inboxes['other'].pk}/").status_code == 404
    assert api_as(cast.res1).post(f"{URL}999999/read/").status_code == 404


def test_read_all_marks_only_own(api_as: Any, cast: Any, inboxes: Any) -> None:
    r = api_as(cast.res1).post(f"{URL}read-all/")
    assert r.status_code == 200 and r.json() == {"marked": 2}
    assert not Notification.objects.filter(user=cast.res1, read_at__isnull=True).exists()
    inboxes["other"].refresh_from_db()
    assert inboxes["other"].read_at is None


# --- pages ----------------------------------------------------------------------------------
def bell_count(html: str) -> str | None:
    """The number in the header bell, or None when the bell shows none."""
    import re

    m = re.search(r'class="btn-tool bell"[^>]*>.*?</a>', html, re.S)
    assert m, "no bell in the header"
    count = re.search(r'<span class="count">(\d+)</span>', m.group(0))
    return count.group(1) if count else None


@pytest.mark.parametrize(
    "page", ["home", "orders:my_orders", "notifications:inbox", "points:my_points"]
)
def test_bell_shows_the_unread_count_on_every_page(
    login_as: Any, cast: Any, inboxes: Any, page: str
) -> None:
    r = login_as(cast.res1).get(reverse(page), follow=True)
    assert r.status_code == 200
    assert bell_count(r.content.decode()) == "2"


def test_bell_without_unread_shows_no_count(login_as: Any, cast: Any) -> None:
    r = login_as(cast.res9).get(reverse("home"))
    assert bell_count(r.content.decode()) is None


def test_inbox_lists_own_messages(login_as: Any, cast: Any, inboxes: Any) -> None:
    html = login_as(cast.res1).get(reverse("notifications:inbox")).content.decode()
    assert "第一条" in html and "第二条" in html and "已读的" in html
    assert "别人的" not in html
    assert "全部标为已读" in html
    unread = login_as(cast.res1).get(reverse("notifications:inbox"), {"unread": "1"})
    assert "已读的" not in unread.content.decode()


def test_inbox_read_follows_the_link_and_foreign_is_404(login_as: Any, cast: Any) -> None:
    mine = note(cast.res1, "有链接", url=reverse("orders:my_orders"))
    client = login_as(cast.res1)
    r = client.post(reverse("notifications:read", args=[mine.pk]))
    assert r.status_code == 302 and r["Location"] == reverse("orders:my_orders")
    mine.refresh_from_db()
    assert mine.read_at is not None
    other = note(cast.res9, "别人的")
    assert client.post(reverse("notifications:read", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_inbox_read_all(login_as: Any, cast: Any, inboxes: Any) -> None:
    r = login_as(cast.res1).post(reverse("notifications:read_all"), follow=True)
    assert "已将 2 条消息标为已读。" in r.content.decode()
    assert bell_count(r.content.decode()) is None
    inboxes["other"].refresh_from_db()
    assert inboxes["other"].read_at is None


def test_inbox_read_ignores_an_outside_link(login_as: Any, cast: Any) -> None:
    evil = note(cast.res1, "外链", url="https://evil.example/")
    r = login_as(cast.res1).post(reverse("notifications:read", args=[evil.pk]))
    assert r["Location"] == reverse("notifications:inbox")


# --- staff: failed deliveries ---------------------------------------------------------------
@pytest.fixture
def problems(tree: Any, cast: Any, v: Any) -> dict[str, Delivery]:
    def delivery(subject: str, status: str, **kw: Any) -> Delivery:
        return Delivery.objects.create(
            subject=subject,
            body="…",
            status=status,
            attempts=3,
            last_error=f"{subject}的错误",
            **kw,
        )

    # Approved volunteers hold a volunteer role at their point (the order fixtures only
    # give vol1 and vol2 theirs): the e-mail scope follows the recipient's roles.
    Role.objects.create(user=v.vol9.user, site=tree.village2, role=RoleName.VOLUNTEER)
    vol1_note = notify(users=[v.vol1.user], kind="order_nudged", params={"order_id": 1})[0]
    vol9_note = notify(users=[v.vol9.user], kind="order_nudged", params={"order_id": 1})[0]
    return {
        "hook1": delivery(
            "东关机器人",
            DeliveryStatus.FAILED,
            channel=Channel.WEBHOOK,
            site=tree.village1,
            recipient="http://127.0.0.1:9/a",
        ),
        "mail1": delivery(
            "张丽的邮件",
            DeliveryStatus.RETRY,
            channel=Channel.EMAIL,
            notification=vol1_note,
            recipient="vol1@example.cn",
        ),
        "hook2": delivery(
            "桃花机器人",
            DeliveryStatus.FAILED,
            channel=Channel.WEBHOOK,
            site=tree.village2,
            recipient="http://127.0.0.1:9/b",
        ),
        "mail2": delivery(
            "赵磊的邮件",
            DeliveryStatus.FAILED,
            channel=Channel.EMAIL,
            notification=vol9_note,
            recipient="vol9@example.cn",
        ),
        "sent1": delivery(
            "已经发出的",
            DeliveryStatus.SENT,
            channel=Channel.WEBHOOK,
            site=tree.village1,
            recipient="http://127.0.0.1:9/a",
        ),
    }


def test_deliveries_page_is_scoped(login_as: Any, cast: Any, problems: Any) -> None:
    url = reverse("notifications:deliveries")
    town1 = login_as(cast.town1).get(url).content.decode()
    assert "东关机器人" in town1 and "张丽的邮件" in town1 and "东关机器人的错误" in town1
    assert "桃花机器人" not in town1 and "赵磊的邮件" not in town1
    assert "已经发出的" not in town1

    town2 = login_as(cast.town2).get(url).content.decode()
    assert "桃花机器人" in town2
    assert "赵磊的邮件" in town2
    assert "东关机器人" not in town2 and "张丽的邮件" not in town2

    county = login_as(cast.county).get(url).content.decode()
    assert all(s in county for s in ("东关机器人", "张丽的邮件", "桃花机器人", "赵磊的邮件"))


@pytest.mark.parametrize("who", ["res1", "vol1", "nobody"])
def test_deliveries_page_is_for_staff_only(
    login_as: Any, cast: Any, problems: Any, who: str
) -> None:
    assert login_as(getattr(cast, who)).get(reverse("notifications:deliveries")).status_code == 404
