"""Events, notifications and service errors are data rendered in the reader's language:
an order's timeline, the inbox, the bell's API, e-mails and text messages read English
(with English punctuation) for an English reader, Chinese otherwise, whatever language
was active when they were written."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from apps.core.errors import ConflictError
from apps.notifications.messages import KINDS, SMS, render_message, render_sms
from apps.notifications.models import Channel, Delivery, Notification
from apps.notifications.services import notify
from apps.notifications.sms import MAX_SMS_CHARS
from apps.orders import services
from apps.orders.models import OrderEvent
from apps.orders.timeline import EVENT_TEXTS, event_text
from apps.volunteers.models import VolunteerEvent
from tests.notifications.conftest import with_email

pytestmark = pytest.mark.django_db

# Full-width punctuation that must never appear inside an English sentence.
CJK_PUNCTUATION = re.compile(r"[，。：；（）！？、【】《》]")


def english(client: Any) -> Any:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def chinese(client: Any) -> Any:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def timeline(html: str) -> str:
    match = re.search(r'<ol class="timeline">(.*?)</ol>', html, re.S)
    assert match, "no timeline on the page"
    return match.group(1)


def notes_list(html: str) -> str:
    match = re.search(r'<ul class="plain notes">(.*?)</ul>', html, re.S)
    assert match, "no notifications on the page"
    return match.group(1)


# --- the order timeline ---------------------------------------------------------------------
def test_timeline_reads_english_for_an_english_reader(
    flow: Any, v: Any, cast: Any, login_as: Any
) -> None:
    order = flow("completed", volunteers=[v.vol1])
    url = reverse("orders:detail", args=[order.pk])
    html = timeline(english(login_as(cast.village1)).get(url).content.decode())
    assert f"Dispatched to {v.vol1.real_name}" in html
    assert f"{v.vol1.real_name} accepted" in html
    assert f"{v.vol1.real_name} checked in" in html
    assert "checked out after 2.0 h of service" in html
    assert not CJK_PUNCTUATION.search(html), html
    # The same rows, read in Chinese.
    zh = timeline(chinese(login_as(cast.village1)).get(url).content.decode())
    assert f"派给：{v.vol1.real_name}" in zh and f"{v.vol1.real_name} 签到" in zh


def test_events_are_stored_as_code_and_params_with_the_persons_words_in_note(
    flow: Any, v: Any, cast: Any
) -> None:
    order = flow("submitted", needed=2)
    services.order_dispatch(
        order_id=order.pk,
        actor=cast.village1,
        volunteer_ids=[v.vol1.pk, v.vol2.pk],
        note="请带工具",
    )
    services.order_accept(order_id=order.pk, actor=v.vol1.user)
    services.order_decline(order_id=order.pk, actor=v.vol2.user, reason="那天要值班")
    dispatch, accept, decline = OrderEvent.objects.filter(order=order).order_by("id")[1:4]
    assert (dispatch.code, dispatch.note) == ("dispatched_to", "请带工具")
    names = dispatch.params["names"]
    assert sorted(names) == sorted([v.vol1.real_name, v.vol2.real_name])
    assert (accept.code, accept.params, accept.note) == (
        "accepted_n_of_m",
        {"name": v.vol1.real_name, "accepted": 1, "needed": 2},
        "",
    )
    assert (decline.code, decline.note) == ("declined", "那天要值班")
    assert decline.params == {"name": v.vol2.real_name, "requeued": True}
    with translation.override("en"):
        assert event_text(dispatch) == (f"Dispatched to {names[0]}, {names[1]}; 请带工具")
        assert event_text(accept) == f"{v.vol1.real_name} accepted (1/2)"
        assert event_text(decline) == (
            f"{v.vol2.real_name} declined: 那天要值班; the order is back in the dispatch queue"
        )
    with translation.override("zh-hans"):
        assert event_text(dispatch) == f"派给：{names[0]}、{names[1]}；请带工具"
        assert event_text(decline) == f"{v.vol2.real_name} 谢绝：那天要值班；订单退回待派单"


@pytest.mark.parametrize("code", sorted(EVENT_TEXTS))
def test_every_event_code_has_an_english_sentence_without_chinese_punctuation(code: str) -> None:
    params = {
        "staff": "王五",
        "names": ["张丽", "李强"],
        "name": "张丽",
        "accepted": 1,
        "needed": 2,
        "hours": "2.0",
        "photos": 3,
        "score": 5,
        "count": 2,
        "from_site": "东关社区实践站",
        "to_site": "城关镇新时代文明实践所",
        "minutes": 120,
        "total": "4.0",
        "hours_by_volunteer": [["张丽", "2.0"], ["李强", "2.0"]],
        "requeued": True,
    }
    for note in ("", "家里有事"):
        event = OrderEvent(code=code, params=params, note=note)
        with translation.override("en"):
            english_text = event_text(event)
        with translation.override("zh-hans"):
            chinese_text = event_text(event)
        assert english_text != chinese_text, code
        assert not CJK_PUNCTUATION.search(english_text), (code, english_text)
        assert "%(" not in english_text and "%(" not in chinese_text
        assert note in english_text


def test_an_event_from_before_codes_shows_its_note() -> None:
    old = OrderEvent(action="nudge", note="第 1 次催单", params={})
    with translation.override("en"):
        assert event_text(old) == "第 1 次催单"


def test_the_order_api_gives_the_event_text_in_the_request_language(
    flow: Any, api_as: Any, cast: Any
) -> None:
    order = flow("dispatched")
    client = api_as(cast.res1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    events = client.get(f"/api/v1/orders/{order.pk}/").json()["events"]
    dispatch = next(e for e in events if e["action"] == "dispatch")
    assert dispatch["code"] == "dispatched_to" and dispatch["text"] == "Dispatched to 张丽"


def test_volunteer_application_event_reads_in_the_reader_language() -> None:
    event = VolunteerEvent(code="applied", note="")
    with translation.override("en"):
        assert event.text == "Application submitted"
    with translation.override("zh-hans"):
        assert event.text == "提交申请"


# --- notifications --------------------------------------------------------------------------
def test_a_notification_written_in_chinese_reads_english_for_an_english_reader(
    flow: Any, v: Any, cast: Any, login_as: Any
) -> None:
    with translation.override("zh-hans"):
        flow("dispatched")
    note = Notification.objects.get(user=v.vol1.user, kind="order_dispatched")
    # The stored columns keep the Chinese (admin, search, old rows' fallback).
    assert note.title == "新派单：助老上门服务"
    assert note.params["service"] == "助老上门服务" and note.params["address"]
    inbox = reverse("notifications:inbox")
    html = notes_list(english(login_as(v.vol1.user)).get(inbox).content.decode())
    assert "New assignment: 助老上门服务" in html
    assert "has assigned you an order: 助老上门服务. Time: " in html
    assert not CJK_PUNCTUATION.search(html), html
    zh = notes_list(chinese(login_as(v.vol1.user)).get(inbox).content.decode())
    assert "新派单：助老上门服务" in zh


def test_the_bell_api_renders_in_the_request_language(flow: Any, cast: Any, api_as: Any) -> None:
    flow("rejected")  # the resident is told, with the staff's reason
    client = api_as(cast.res1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    item = client.get("/api/v1/notifications/").json()["results"][0]
    assert item["kind"] == "order_rejected"
    assert item["title"] == "Your order could not be accepted: 助老上门服务"
    assert "Reason: 超出范围." in item["body"]
    assert not CJK_PUNCTUATION.search(item["title"] + item["body"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    item = client.get("/api/v1/notifications/").json()["results"][0]
    assert item["title"] == "您的点单未能受理：助老上门服务"


def test_inbox_queries_do_not_grow_with_the_page(
    cast: Any, login_as: Any, django_assert_max_num_queries: Any
) -> None:
    client = english(login_as(cast.res1))
    inbox = reverse("notifications:inbox")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(inbox).status_code == 200
        return len(ctx.captured_queries)

    params = {"order_id": 7, "service": "助老上门服务", "site": "东关社区实践站", "reason": "x"}
    notify(users=[cast.res1], kind="resident_cancelled", params=params)
    one = queries()
    for _ in range(19):
        notify(users=[cast.res1], kind="resident_cancelled", params=params)
    assert queries() == one


def test_old_rows_without_params_show_their_stored_text() -> None:
    note = Notification(kind="order_nudged", title="旧标题", body="旧内容", params={})
    with translation.override("en"):
        assert (note.message.title, note.message.body) == ("旧标题", "旧内容")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_renders_english_without_chinese_punctuation(kind: str) -> None:
    params = {
        "order_id": 12,
        "service": "助老上门服务",
        "site": "东关社区实践站",
        "handling_site": "城关镇新时代文明实践所",
        "status": "assessed",
        "volunteer": "张丽",
        "volunteer_phone": "138****5678",
        "reason": "人手不足",
        "from_site": "东关社区实践站",
        "address": "东关社区 3 号楼",
        "start": "2026-12-03T09:00:00+08:00",
        "end": "2026-12-03T11:00:00+08:00",
        "score": 5,
        "comment": "很好",
        "dispute": "没来",
        "name": "张丽",
        "why": "suspended",
        "requeued": True,
        "number": "V0001",
        "points": 100,
        "reward": "毛巾",
    }
    with translation.override("en"):
        message = render_message(kind, params)
    with translation.override("zh-hans"):
        chinese = render_message(kind, params)
    text = message.title + "\n" + message.body
    assert message != chinese
    assert not CJK_PUNCTUATION.search(text), (kind, text)
    assert "%(" not in text


def test_dispatch_time_is_written_the_english_way() -> None:
    params = {"start": "2026-12-03T09:00:00+08:00", "end": "2026-12-03T11:00:00+08:00"}
    with translation.override("en"):
        assert "Time: Dec 3, 09:00–11:00." in render_message("order_dispatched", params).body
    with translation.override("zh-hans"):
        assert "时间：12月3日 09:00—11:00，" in render_message("order_dispatched", params).body


# --- e-mail and SMS, rendered when sent, in the recipient's language ------------------------
def test_email_goes_out_in_the_language_the_recipient_chose(
    flow: Any, v: Any, django_capture_on_commit_callbacks: Any
) -> None:
    vol1, vol2 = v.vol1.user, v.vol2.user
    with_email(vol1, vol2)
    type(vol1).objects.filter(pk=vol1.pk).update(language="en")
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        flow("dispatched", volunteers=[v.vol1, v.vol2], needed=2)
    sent = {message.to[0]: message for message in mail.outbox}
    english_mail, chinese_mail = sent[vol1.email], sent[vol2.email]
    assert english_mail.subject == "New assignment: 助老上门服务"
    assert "Details: http" in english_mail.body and "查看详情" not in english_mail.body
    assert not CJK_PUNCTUATION.search(english_mail.subject + english_mail.body)
    assert chinese_mail.subject == "新派单：助老上门服务"
    assert "查看详情：http" in chinese_mail.body


def test_sms_goes_out_in_the_language_the_recipient_chose(
    flow: Any, cast: Any, _sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    type(cast.res1).objects.filter(pk=cast.res1.pk).update(language="en")
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        flow("rejected")
    texts = [s.text for s in _sms_outbox if s.mobile == cast.res1.mobile]
    assert texts == [f"“助老上门服务” not accepted: 超出范围. Order {_order_id(cast)}"]
    assert all(len(t) <= MAX_SMS_CHARS for t in texts)
    assert not CJK_PUNCTUATION.search(texts[0])
    # The row keeps the Chinese text it was queued with.
    stored = Delivery.objects.get(channel=Channel.SMS, recipient=cast.res1.mobile)
    assert stored.body.startswith("您的点单“助老上门服务”未能受理")


def _order_id(cast: Any) -> int:
    return Notification.objects.get(user=cast.res1, kind="order_rejected").params["order_id"]


@pytest.mark.parametrize("kind", sorted(SMS))
def test_english_sms_fits_one_message(kind: str) -> None:
    params = {
        "order_id": 9_999_999,
        "status": "rejected",
        "service": "A" * 100,
        "handling_site": "B" * 100,
        "volunteer": "C" * 50,
        "volunteer_phone": "138****5678",
        "reason": "D" * 300,
    }
    with translation.override("en"):
        text = render_sms(kind, params)
    assert len(text) <= MAX_SMS_CHARS and not CJK_PUNCTUATION.search(text), text


def test_the_language_switch_remembers_a_signed_in_users_choice(
    cast: Any, login_as: Any, client: Any
) -> None:
    response = login_as(cast.res1).post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    cast.res1.refresh_from_db()
    assert cast.res1.language == "en"
    # Someone signed out can switch too (only the cookie).
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302


def test_signing_in_keeps_the_language_chosen_before(cast: Any, client: Any) -> None:
    """Chosen while signed out (the cookie), then signed in: the account remembers it,
    so texts sent later outside a request speak it."""
    from tests.factories import PASSWORD

    assert cast.res9.language != "en"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.post(
        "/accounts/login/", {"username": cast.res9.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    cast.res9.refresh_from_db()
    assert cast.res9.language == "en"


# --- service errors ---------------------------------------------------------------------------
def test_service_errors_speak_the_request_language(flow: Any, cast: Any, api_as: Any) -> None:
    order = flow("cancelled")
    client = api_as(cast.res1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.post(f"/api/v1/orders/{order.pk}/cancel/", {}, format="json").json()
    assert body["code"] == "illegal_transition"
    assert body["message"] == "The order is “Cancelled”: “Cancel” is not possible now."
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = client.post(f"/api/v1/orders/{order.pk}/cancel/", {}, format="json").json()
    assert body["message"] == "订单当前状态为“已取消”，不能取消。"


def test_validation_errors_are_translated_at_raise_time(flow: Any, cast: Any) -> None:
    order = flow("completed")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.order_rate(order_id=order.pk, actor=cast.res1, score=9)
    assert exc.value.message_dict == {"score": ["Give a score from 1 to 5."]}
    with translation.override("en"), pytest.raises(ConflictError) as conflict:
        services.order_dispute(order_id=order.pk, actor=cast.res1, text="x")
        services.order_dispute(order_id=order.pk, actor=cast.res1, text="x")
    assert conflict.value.message == (
        "A complaint about this order was already made. "
        "Please wait for the county center to handle it."
    )


# --- rows written before codes ------------------------------------------------------------------
def test_the_migration_reads_common_old_sentences_back_into_codes(flow: Any) -> None:
    import importlib

    from django.apps import apps as django_apps

    migration = importlib.import_module("apps.orders.migrations.0008_event_code_params")
    order = flow("submitted")
    at = order.created_at

    def old(action: str, note: str) -> OrderEvent:
        return OrderEvent.objects.create(
            order=order, action=action, to_status="submitted", note=note, created_at=at
        )

    rows = [
        old("dispatch", "派给：张丽、李强；请带工具"),
        old("accept", "张丽 接单（1/2）"),
        old("nudge", "第 3 次催单"),
        old("lapse_rating", "完成 7 天未评价，转入考核"),
        old("reject", "超出范围"),  # a person's words: left alone
    ]
    migration.convert(django_apps, None)
    for row in rows:
        row.refresh_from_db()
    assert [(r.code, r.params, r.note) for r in rows] == [
        ("dispatched_to", {"names": ["张丽", "李强"]}, "请带工具"),
        ("accepted_n_of_m", {"name": "张丽", "accepted": 1, "needed": 2}, ""),
        ("nudged", {"count": 3}, ""),
        ("auto_assess_after_7_days", {}, ""),
        ("", {}, "超出范围"),
    ]
    with translation.override("en"):
        assert event_text(rows[0]) == "Dispatched to 张丽, 李强; 请带工具"
