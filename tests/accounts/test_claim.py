"""Claiming a staff-registered (phone-in) account by a code texted to its mobile: the
code goes once, through the outbox; wrong, expired, exhausted and used codes are
refused; sending is limited per mobile and per address; an unknown number gets the
same answer; a claim keeps the orders, signs the caller in and happens once."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts import claim as claims
from apps.accounts.claim import (
    ClaimThrottledError,
    account_claim_code_send,
    account_claim_complete,
)
from apps.accounts.models import AccountClaim, ResidentProfile, User
from apps.accounts.phone_in import claimable_by_mobile
from apps.accounts.services import user_register_resident
from apps.notifications.models import Channel, Delivery, DeliveryStatus
from apps.notifications.sms import MAX_SMS_CHARS
from apps.orders import services as orders
from apps.orders.models import ServiceOrder
from tests.orders.factories import ServiceItemFactory

pytestmark = pytest.mark.django_db

MOBILE = "13500001111"
PASSWORD = "Qinghe-2026!"


@pytest.fixture
def caller(cast: Any, tree: Any) -> User:
    """刘大爷: registered by village1's staff from a phone call, with one order."""
    item = ServiceItemFactory(site=tree.village1, title="助老上门服务", category="elderly")
    start = timezone.now() + dt.timedelta(days=1)
    order, _ = orders.phone_order_place(
        actor=cast.village1,
        idempotency_key="call-1",
        called_at=timezone.now() - dt.timedelta(minutes=3),
        request="腿脚不便，想请人帮忙打扫卫生。",
        site=tree.village1,
        service=item,
        preferred_start=start,
        preferred_end=start + dt.timedelta(hours=2),
        address="东关社区 7 号楼 1 单元",
        caller_name="刘大爷",
        caller_mobile=MOBILE,
    )
    return User.objects.get(pk=order.resident_id)


def send(mobile: str = MOBILE, key: str = "form-1", capture: Any = None) -> AccountClaim:
    if capture is None:
        return account_claim_code_send(mobile=mobile, request_key=key, client_address="10.0.0.1")
    with capture(execute=True):
        return account_claim_code_send(mobile=mobile, request_key=key, client_address="10.0.0.1")


def code_in(outbox: list[Any], mobile: str = MOBILE) -> str:
    texts = [s.text for s in outbox if s.mobile == mobile]
    assert len(texts) == 1, texts
    match = re.search(r"\d{6}", texts[0])
    assert match, texts[0]
    return match.group(0)


def complete(claim: AccountClaim, code: str, username: str = "liudaye") -> User:
    return account_claim_complete(
        claim_id=claim.pk, code=code, username=username, password=PASSWORD
    )


def test_the_code_goes_once_by_text_through_the_outbox(
    caller: User, _sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    claim = send(capture=django_capture_on_commit_callbacks)
    code = code_in(_sms_outbox)
    text = _sms_outbox[0].text
    assert len(text) <= MAX_SMS_CHARS and "10分钟" in text
    delivery = Delivery.objects.get(channel=Channel.SMS, recipient=MOBILE)
    assert delivery.status == DeliveryStatus.SENT and delivery.dedupe_key == f"claim:{claim.pk}"
    # Stored hashed, bound to the account, expiring in ten minutes.
    claim.refresh_from_db()
    assert claim.user == caller and code not in claim.code_hash
    assert MOBILE not in claim.mobile_digest
    assert dt.timedelta(minutes=9) < claim.expires_at - timezone.now() <= dt.timedelta(minutes=10)
    # The same form submitted again (a double tap): the same row, no second text.
    again = send(capture=django_capture_on_commit_callbacks)
    assert again.pk == claim.pk and len(_sms_outbox) == 1
    assert AccountClaim.objects.count() == 1


def test_a_failing_provider_is_retried_by_the_outbox(
    caller: User, _sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    from apps.notifications import delivery
    from apps.notifications.sms import locmem

    locmem.fail_next.append("provider down")
    send(capture=django_capture_on_commit_callbacks)
    row = Delivery.objects.get(channel=Channel.SMS, recipient=MOBILE)
    assert row.status == DeliveryStatus.RETRY and not _sms_outbox
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=None)
    assert delivery.delivery_send(row.pk) == DeliveryStatus.SENT
    assert delivery.delivery_send(row.pk) == "skipped"  # a task run twice sends once
    code_in(_sms_outbox)


def test_the_right_code_claims_the_account_and_keeps_its_orders(
    caller: User, cast: Any, _sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    order_ids = list(ServiceOrder.objects.filter(resident=caller).values_list("pk", flat=True))
    assert order_ids
    claim = send(capture=django_capture_on_commit_callbacks)
    user = complete(claim, code_in(_sms_outbox))
    assert user.pk == caller.pk
    user.refresh_from_db()
    assert user.username == "liudaye" and user.check_password(PASSWORD)
    assert user.mobile == MOBILE and user.real_name == "刘大爷"
    profile = ResidentProfile.objects.get(user=user)
    assert profile.claimed_at is not None and profile.registered_by == cast.village1
    assert list(ServiceOrder.objects.filter(resident=user).values_list("pk", flat=True)) == (
        order_ids
    )
    claim.refresh_from_db()
    assert claim.used_at == profile.claimed_at  # the record of the claim
    # Now an ordinary account: nothing left to claim, registering says "taken".
    assert claimable_by_mobile(MOBILE) is None
    with pytest.raises(ValidationError) as exc:
        user_register_resident(
            username="other", password=PASSWORD, mobile=MOBILE, site=profile.user.roles.get().site
        )
    assert "已被注册" in exc.value.message_dict["mobile"][0]


def test_a_code_is_used_once_and_a_claimed_account_cannot_be_claimed_again(
    caller: User, _sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    claim = send(capture=django_capture_on_commit_callbacks)
    code = code_in(_sms_outbox)
    complete(claim, code)
    with pytest.raises(ValidationError) as exc:
        complete(claim, code, username="someone-else")  # the double submit
    assert "code" in exc.value.message_dict
    caller.refresh_from_db()
    assert caller.username == "liudaye" and caller.check_password(PASSWORD)
    # A new request for the number: the same answer, but no text and nothing to claim.
    _sms_outbox.clear()
    AccountClaim.objects.update(created_at=timezone.now() - dt.timedelta(hours=2))
    again = send(key="form-2", capture=django_capture_on_commit_callbacks)
    assert again.user_id is None and not _sms_outbox
    with pytest.raises(ValidationError):
        complete(again, code, username="someone-else")
    caller.refresh_from_db()
    assert caller.username == "liudaye"


def test_a_wrong_code_counts_and_five_exhaust_the_code(
    caller: User, _sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    claim = send(capture=django_capture_on_commit_callbacks)
    code = code_in(_sms_outbox)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(ValidationError) as exc:
            complete(claim, wrong)
        assert f"还可以再试 {left} 次" in exc.value.message_dict["code"][0]
    with pytest.raises(ValidationError):
        complete(claim, wrong)
    claim.refresh_from_db()
    assert claim.wrong_attempts == claims.MAX_WRONG_ATTEMPTS
    # Exhausted: even the right code is refused now.
    with pytest.raises(ValidationError) as exc:
        complete(claim, code)
    assert "已失效" in exc.value.message_dict["code"][0]
    caller.refresh_from_db()
    assert not caller.has_usable_password()
    assert ResidentProfile.objects.get(user=caller).claimed_at is None


def test_an_expired_code_is_refused(
    caller: User, _sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    claim = send(capture=django_capture_on_commit_callbacks)
    AccountClaim.objects.filter(pk=claim.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(ValidationError) as exc:
        complete(claim, code_in(_sms_outbox))
    assert "已失效" in exc.value.message_dict["code"][0]
    assert ResidentProfile.objects.get(user=caller).claimed_at is None


def test_the_right_code_with_a_bad_username_keeps_the_code(
    caller: User, cast: Any, _sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    claim = send(capture=django_capture_on_commit_callbacks)
    code = code_in(_sms_outbox)
    for username, password in (("res1", PASSWORD), ("13600000001", PASSWORD), ("liu", "12345678")):
        with pytest.raises(ValidationError) as exc:
            account_claim_complete(
                claim_id=claim.pk, code=code, username=username, password=password
            )
        assert "code" not in exc.value.message_dict
    # The user's own mobile is a fine username (as at registration).
    assert complete(claim, code, username=MOBILE).username == MOBILE


def test_sending_is_limited_per_mobile(caller: User, _sms_outbox: list[Any]) -> None:
    send(key="a")
    with pytest.raises(ClaimThrottledError):  # again within the minute
        send(key="b")
    for i, minutes in enumerate((30, 20)):
        AccountClaim.objects.update(created_at=timezone.now() - dt.timedelta(minutes=minutes))
        send(key=f"c{i}")
    AccountClaim.objects.filter(request_key="c1").update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    with pytest.raises(ClaimThrottledError):  # the fourth within the hour
        send(key="d")
    assert AccountClaim.objects.count() == claims.CODES_PER_HOUR


def test_an_unknown_number_gets_the_same_answer_and_the_same_limit(
    caller: User, _sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    unknown = send(mobile="13500002222", capture=django_capture_on_commit_callbacks)
    assert unknown.user_id is None and unknown.code_hash and not _sms_outbox
    assert not Delivery.objects.exists()
    with pytest.raises(ClaimThrottledError):
        send(mobile="13500002222", key="form-2")
    # No code ever matches a row with no account.
    with pytest.raises(ValidationError) as exc:
        complete(unknown, "000000")
    assert "还可以再试 4 次" in exc.value.message_dict["code"][0]
    # A registered resident's own number (not staff-registered) is "unknown" here too.
    other = send(mobile="13600000001", key="form-3")
    assert other.user_id is None


def test_pages_give_the_same_answer_for_any_number(
    client: Any, caller: User, _sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    def ask(mobile: str) -> str:
        page = client.get("/accounts/claim/")
        token = page.context["form"].initial["token"]
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/accounts/claim/", {"mobile": mobile, "token": token})
        assert response.status_code == 302 and response["Location"] == "/accounts/claim/verify/"
        return client.get("/accounts/claim/verify/").content.decode()

    known, unknown = ask(MOBILE), ask("13500002222")
    known = known.replace(client.cookies["csrftoken"].value, "")
    assert re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", known) == re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]*"', "", unknown
    )
    assert "验证码已通过短信发送" in unknown
    assert len(_sms_outbox) == 1


def test_the_pages_claim_and_sign_in_and_a_double_submit_is_safe(
    client: Any, caller: User, _sms_outbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    assert 'href="/accounts/claim/"' in client.get("/accounts/login/").content.decode()
    assert client.get("/accounts/claim/verify/")["Location"] == "/accounts/claim/"
    token = client.get("/accounts/claim/").context["form"].initial["token"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/claim/", {"mobile": "135 0000 1111", "token": token})
        client.post("/accounts/claim/", {"mobile": "135 0000 1111", "token": token})
    code = code_in(_sms_outbox)  # a double tap sent one text
    data = {"code": code, "username": "liudaye", "password1": PASSWORD, "password2": PASSWORD}
    wrong = client.post("/accounts/claim/verify/", {**data, "code": "00000"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    response = client.post("/accounts/claim/verify/", data)
    assert response.status_code == 302 and response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == caller.pk
    again = client.post("/accounts/claim/verify/", data)  # the double submit
    assert again.status_code == 302 and int(client.session["_auth_user_id"]) == caller.pk
    assert AccountClaim.objects.filter(used_at__isnull=False).count() == 1
    client.logout()
    # An ordinary account now: signing in with the mobile and the new password.
    signed = client.post("/accounts/login/", {"username": MOBILE, "password": PASSWORD})
    assert signed.status_code == 302 and int(client.session["_auth_user_id"]) == caller.pk


def test_sending_is_limited_per_client_address(
    client: Any, monkeypatch: Any, caller: User, _sms_outbox: list[Any]
) -> None:
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"claim": "2/hour"})
    statuses = [
        client.post("/accounts/claim/", {"mobile": f"1350000{i:04d}", "token": f"t{i}"})
        for i in range(3)
    ]
    assert [r.status_code for r in statuses] == [302, 302, 429]
    assert "过于频繁" in statuses[2].content.decode()
    assert AccountClaim.objects.count() == 2
    # Another address is not held back by this one.
    other = client.post(
        "/accounts/claim/", {"mobile": "13500009999", "token": "t9"}, REMOTE_ADDR="10.9.9.9"
    )
    assert other.status_code == 302


def test_a_stale_row_costs_the_same_hash(monkeypatch: Any, caller: User) -> None:
    # Every refusal path hashes once, as checking a live code does.
    calls: list[str] = []
    monkeypatch.setattr(
        claims, "make_password", lambda raw: calls.append(raw) or make_password(raw)
    )
    with pytest.raises(ValidationError):
        account_claim_complete(claim_id=999_999, code="123456", username="x", password=PASSWORD)
    assert calls == ["123456"]


def test_the_claim_pages_in_english(client: Any, caller: User) -> None:
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/accounts/claim/").content.decode()
    assert "Claim an account a station registered for you" in html and "Send me a code" in html
    client.post("/accounts/claim/", {"mobile": MOBILE, "token": "t-en"})
    response = client.post(
        "/accounts/claim/verify/",
        {"code": "000000", "username": "liu", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert "Wrong code. 4 tries left." in response.content.decode()
