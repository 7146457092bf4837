"""Claiming a staff-registered (phone-in) account by a code sent to its mobile.

Staff register a caller without an account on the spot (``phone_in``): a resident with
no password. Knowing the number is no proof of holding it, so the caller proves it: a
six-digit code goes by text to the mobile on that account, and with it they pick a
username and password. The account keeps its orders; ``claimed_at`` is set.

Nothing here tells whether a number is registered: every request for a code writes an
``AccountClaim`` row (with no account and no text when there is none), hashes a code,
answers the same and counts towards the same per-mobile limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import DomainError

from .mobile import normalize_mobile
from .models import AccountClaim, ResidentProfile, User
from .phone_in import claimable_by_mobile
from .services import errors_on, password_problems, username_mobile_problems, username_problems
from .texts import send_text

log = logging.getLogger(__name__)

CODE_DIGITS = 6
# Long enough to read a text on an old phone and type it; short enough that a code
# seen over someone's shoulder is soon useless.
CODE_MINUTES = 10
# Wrong codes allowed per code: 5 guesses of 10**6, and a fresh code costs a text.
MAX_WRONG_ATTEMPTS = 5
# Per mobile: one code a minute, three an hour, whatever the client address (the page
# is also limited per address, THROTTLE_CLAIM). With 5 tries per code that is at most
# 15 guesses an hour at one account.
RESEND_SECONDS = 60
CODES_PER_HOUR = 3

SMS_KIND = "account_claim_code"


class ClaimThrottledError(DomainError):
    status_code = 429
    default_code = "throttled"


def mobile_digest(mobile: str) -> str:
    """A keyed digest of the normalised mobile: rate limiting needs to recognise a
    number again, not to read it back (numbers typed by strangers are not stored)."""
    key = hashlib.sha256(f"account-claim:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, mobile.encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def account_claim_code_send(
    *, mobile: str, request_key: str, client_address: str | None = None
) -> AccountClaim:
    """Start a claim: if an unclaimed staff-registered account has ``mobile``, text it
    a code. The same row, answer and work whether or not one has.

    Idempotent per ``request_key`` (the form's one-time token): a double submit returns
    the first row and sends nothing more. Raises ``ValidationError`` for a malformed
    number and ``ClaimThrottledError`` past the per-mobile limits."""
    try:
        normalized = normalize_mobile(mobile)
    except ValidationError as exc:
        raise ValidationError({"mobile": list(exc.messages)}) from None
    digest = mobile_digest(normalized)
    request_key = (request_key or "").strip()[:100] or secrets.token_hex(16)
    earlier = AccountClaim.objects.filter(request_key=request_key).first()
    if earlier is not None:
        if earlier.mobile_digest != digest:
            raise ValidationError({"mobile": [_("页面已过期，请刷新后重新输入手机号。")]})
        return earlier
    now = timezone.now()
    code = _new_code()
    try:
        with transaction.atomic():
            # Lock this number's recent rows so two requests in the same instant
            # count each other. (Two *first* requests have no row to lock and may both
            # pass: one extra code, still bounded by the per-address limit.)
            recent = list(
                AccountClaim.objects.select_for_update()
                .filter(mobile_digest=digest, created_at__gte=now - dt.timedelta(hours=1))
                .values_list("created_at", flat=True)
            )
            if len(recent) >= CODES_PER_HOUR or any(
                t > now - dt.timedelta(seconds=RESEND_SECONDS) for t in recent
            ):
                raise ClaimThrottledError(_("获取验证码过于频繁，请稍后再试。"))
            user = claimable_by_mobile(normalized)
            claim = AccountClaim.objects.create(
                mobile_digest=digest,
                user=user,
                # Hashed on every path, so an unknown number costs the same.
                code_hash=make_password(code),
                request_key=request_key,
                client_address=client_address or None,
                created_at=now,
                expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
            )
            if user is not None:
                # One text per request: the outbox's dedupe key is this row.
                send_text(
                    mobile=normalized,
                    kind=SMS_KIND,
                    context={"code": code, "minutes": CODE_MINUTES},
                    dedupe_key=f"claim:{claim.pk}",
                )
    except IntegrityError:
        # The same form raced in twice; the first request's row stands.
        earlier = AccountClaim.objects.filter(request_key=request_key, mobile_digest=digest).first()
        if earlier is None:
            raise
        return earlier
    return claim


def account_claim_complete(*, claim_id: int, code: str, username: str, password: str) -> User:
    """Finish a claim: with the right code, the account gets ``username`` and
    ``password``, ``claimed_at`` is set and the code is used up.

    A wrong code counts against the code (``MAX_WRONG_ATTEMPTS``); an expired, used or
    exhausted code, or an account claimed meanwhile, is refused. Field errors come as
    one ``ValidationError`` keyed by field (``code``, ``username``, ``password``); with
    the right code and a bad username the code stays valid for the next try."""
    username = (username or "").strip()
    code = "".join((code or "").split())
    now = timezone.now()
    with transaction.atomic():
        # The claim row lock serialises a double submit: the second sees it used.
        claim = AccountClaim.objects.select_for_update().filter(pk=claim_id).first()
        if (
            claim is None
            or claim.used_at is not None
            or claim.expires_at <= now
            or claim.wrong_attempts >= MAX_WRONG_ATTEMPTS
        ):
            make_password(code)  # the same cost as checking a live code
            raise ValidationError({"code": [_("验证码已失效，请重新获取。")]})
        # A row with no account holds a code nobody was sent: it never matches.
        if not check_password(code, claim.code_hash) or claim.user_id is None:
            AccountClaim.objects.filter(pk=claim.pk).update(wrong_attempts=claim.wrong_attempts + 1)
            left = MAX_WRONG_ATTEMPTS - claim.wrong_attempts - 1
            wrong = (
                [_("验证码不正确，请重新获取。")]
                if left <= 0
                else [_("验证码不正确，还可以再试 %(left)d 次。") % {"left": left}]
            )
        else:
            wrong = []
    if wrong:
        # Outside the block: the count above is committed before the answer.
        raise ValidationError({"code": wrong})
    return _claim(claim_id=claim.pk, username=username, password=password, now=now)


def _claim(*, claim_id: int, username: str, password: str, now: dt.datetime) -> User:
    with transaction.atomic():
        claim = AccountClaim.objects.select_for_update().get(pk=claim_id)
        if claim.used_at is not None or claim.user_id is None:
            raise ValidationError({"code": [_("验证码已失效，请重新获取。")]})
        profile = (
            ResidentProfile.objects.select_for_update()
            .select_related("user")
            .get(user_id=claim.user_id)
        )
        user = profile.user
        if profile.claimed_at is not None or user.mobile is None:
            raise ValidationError({"code": [_("该账号已经开通，请直接登录。")]})
        errors: dict[str, list[str]] = {}
        errors_on(errors, "username", username_problems(username, except_user_id=user.pk))
        errors_on(errors, "username", username_mobile_problems(username, user.mobile))
        errors_on(errors, "password", password_problems(password, username, user.mobile))
        if errors:
            raise ValidationError(errors)
        user.username = username
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save(update_fields=["username", "password"])
        except IntegrityError:
            raise ValidationError({"username": [_("该用户名已被注册。")]}) from None
        profile.claimed_at = now
        profile.save(update_fields=["claimed_at"])
        # The row is the record of the claim: which account, when, from where.
        claim.used_at = now
        claim.save(update_fields=["used_at"])
    log.info("account %s claimed (claim %s)", user.pk, claim.pk)
    return user
