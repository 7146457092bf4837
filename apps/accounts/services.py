"""Account writes: resident self-registration and role grants."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext

from apps.core.errors import PermissionDeniedError
from apps.sites.models import Site, SiteLevel
from apps.sites.scoping import can_manage_site, forget_roles, has_role, is_global

from .mobile import looks_like_mobile, normalize_mobile
from .models import Role, RoleName, User
from .phone_in import claimable_by_mobile


def _username_chars_ok(username: str) -> bool:
    try:
        User.username_validator(username)
    except ValidationError:
        return False
    return True


def username_problems(username: str, *, except_user_id: int | None = None) -> list[str]:
    """What is wrong with a new username (stripped), as registration checks it
    (``except_user_id``: the account being renamed, whose own name is not "taken")."""
    if not username:
        return [gettext("请填写用户名。")]
    if len(username) > 150:
        return [gettext("用户名不能超过 150 个字符。")]
    if not _username_chars_ok(username):
        return [gettext("用户名只能包含字母、数字、汉字和 @ . + - _ 字符。")]
    taken = User.objects.filter(username__iexact=username)
    if except_user_id is not None:
        taken = taken.exclude(pk=except_user_id)
    if taken.exists():
        return [gettext("该用户名已被注册。")]
    return []


def username_mobile_problems(username: str, mobile: str) -> list[str]:
    # Login takes a username or a mobile number and tries the username first: a
    # username that is someone else's number would shadow that person's mobile login.
    if looks_like_mobile(username) and normalize_mobile(username) != mobile:
        return [gettext("用户名不能是手机号（您本人的手机号除外）。")]
    return []


def password_problems(password: str, username: str, mobile: str) -> list[str]:
    """Django's password validators (settings), as registration applies them."""
    try:
        validate_password(password or "", user=User(username=username, mobile=mobile))
    except ValidationError as exc:
        return list(exc.messages)
    return []


def errors_on(errors: dict[str, list[str]], field: str, problems: list[str]) -> None:
    if problems:
        errors.setdefault(field, []).extend(problems)


def user_register_resident(
    *, username: str, password: str, mobile: str, site: Site | None, real_name: str = ""
) -> User:
    """Create a resident at a village point. All errors are collected into one
    ValidationError keyed by field, and nothing is saved unless everything is valid."""
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    errors_on(errors, "username", username_problems(username))
    normalized = ""
    try:
        normalized = normalize_mobile(mobile)
    except ValidationError as exc:
        errors.setdefault("mobile", []).extend(exc.messages)
    else:
        if claimable_by_mobile(normalized) is not None:
            # A caller staff registered from a phone call. Knowing a mobile number is no
            # proof of holding it, so the account is not handed to whoever registers
            # with it: the caller claims it with a code sent to that mobile
            # (``claim.py``, README: phone-in orders).
            errors.setdefault("mobile", []).append(
                gettext(
                    "该手机号已由实践站代为登记，请在“开通账号”页面（/accounts/claim/）"
                    "用短信验证码开通。"
                )
            )
        elif User.objects.filter(Q(mobile=normalized) | Q(username=normalized)).exists():
            # Helpful for a real resident (who may have forgotten an old account); the
            # registration endpoints are throttled per address, so this cannot be
            # used to sweep numbers (README: registration).
            errors.setdefault("mobile", []).append(
                gettext("该手机号已被注册，请直接登录或联系实践站找回。")
            )
    errors_on(errors, "username", username_mobile_problems(username, normalized))
    if site is None:
        errors.setdefault("site", []).append(gettext("请选择所在的村（社区）实践站。"))
    elif site.level != SiteLevel.VILLAGE or not site.is_active:
        errors.setdefault("site", []).append(gettext("请选择一个启用中的村（社区）实践站。"))
    errors_on(errors, "password", password_problems(password, username, normalized))
    if errors:
        # The same work on every path: a refused registration (a taken mobile
        # included) hashes the password like a successful one, so the answer's
        # timing does not tell whether a number is registered.
        make_password(password or "")
        raise ValidationError(errors)

    assert site is not None  # checked above
    try:
        with transaction.atomic():
            user = User(username=username, mobile=normalized, real_name=real_name.strip())
            user.set_password(password)
            user.save()
            Role.objects.create(user=user, site=site, role=RoleName.RESIDENT)
    except IntegrityError:
        # Two registrations raced past the checks above; the unique indexes decided.
        raise ValidationError({"username": [gettext("该用户名或手机号已被注册。")]}) from None
    return user


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language ``user`` chose, for messages sent outside a request."""
    if language in dict(settings.LANGUAGES) and user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


# Roles only a county admin (or a superuser) hands out: the staff who manage sites, and
# the media center's editors, who decide what the county publishes.
ADMIN_GRANTED = frozenset({RoleName.STAFF, RoleName.COUNTY_ADMIN, RoleName.EDITOR})


def role_grant(*, actor: User, user: User, role: str, site: Site) -> Role:
    """Give ``user`` a role at ``site``. Staff may grant resident/volunteer roles in
    their subtree; only county admins (in scope) and superusers grant staff roles and
    the media center's editor role (held at a county only)."""
    if role not in RoleName.values:
        raise ValidationError({"role": [gettext("未知角色。")]})
    if not can_manage_site(actor, site):
        raise PermissionDeniedError(gettext("该阵地不在您的管理范围内。"), code="out_of_scope")
    if role in ADMIN_GRANTED and not (is_global(actor) or has_role(actor, RoleName.COUNTY_ADMIN)):
        raise PermissionDeniedError(
            gettext("只有县级管理员可以任命工作人员。"), code="not_county_admin"
        )
    if role == RoleName.COUNTY_ADMIN and site.level != SiteLevel.COUNTY:
        raise ValidationError({"site": [gettext("县级管理员只能设在县级中心。")]})
    if role == RoleName.EDITOR and site.level != SiteLevel.COUNTY:
        raise ValidationError({"site": [gettext("媒体中心编辑只能设在县级中心。")]})
    obj, _created = Role.objects.get_or_create(user=user, site=site, role=role)
    forget_roles(user)
    return obj


def role_revoke(*, actor: User, role: Role) -> None:
    if not can_manage_site(actor, role.site):
        raise PermissionDeniedError(gettext("该阵地不在您的管理范围内。"), code="out_of_scope")
    if role.role in ADMIN_GRANTED and not (
        is_global(actor) or has_role(actor, RoleName.COUNTY_ADMIN)
    ):
        raise PermissionDeniedError(
            gettext("只有县级管理员可以撤销工作人员。"), code="not_county_admin"
        )
    role.delete()
    forget_roles(role.user)
