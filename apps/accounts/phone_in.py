"""Callers registered by staff (代点单 for someone without an account), claiming such an
account later, and family proxies (家属代办) who act for an elderly resident."""

from __future__ import annotations

import re
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.core.errors import NotFoundError
from apps.sites.models import Site, SiteLevel
from apps.sites.scoping import can_manage_site

from .mobile import normalize_mobile
from .models import FamilyProxy, ResidentProfile, Role, RoleName, User

# Landlines: an area code (0 + 2–3 digits) and a 7–8 digit number, optional extension.
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def normalize_landline(raw: str) -> str:
    value = re.sub(r"[\s()（）]", "", raw or "")
    if not LANDLINE_RE.match(value):
        raise ValidationError(
            gettext("请输入有效的固定电话，例如 0311-12345678。"), code="invalid_landline"
        )
    if "-" not in value:  # 0311 12345678 → 0311-12345678 (area codes of 3 or 4 digits)
        split = 3 if value[1] in "12" else 4
        value = f"{value[:split]}-{value[split:]}"
    return value


def normalize_contact_phone(raw: str) -> str:
    """A mobile (11 digits) or a landline (0311-12345678); the mobile's error otherwise."""
    try:
        return normalize_mobile(raw)
    except ValidationError as mobile_error:
        try:
            return normalize_landline(raw)
        except ValidationError:
            raise mobile_error from None


def resident_register_by_staff(
    *,
    actor: User,
    real_name: str,
    mobile: str = "",
    landline: str = "",
    address: str,
    site: Site | None,
) -> User:
    """Staff register a caller on the spot: a resident at ``site`` with no password
    (nobody can sign in as them until they claim it), marked as registered by staff.

    A caller whose mobile is already registered is not registered twice: that user is
    returned if they are a resident of ``site``, an error otherwise."""
    errors: dict[str, list[str]] = {}
    real_name = (real_name or "").strip()
    if not real_name:
        errors["real_name"] = [gettext("请填写来电群众的姓名。")]
    elif len(real_name) > 50:
        errors["real_name"] = [gettext("姓名不能超过 50 个字。")]
    address = (address or "").strip()
    if not address:
        errors["address"] = [gettext("请填写服务地址。")]
    elif len(address) > 200:
        errors["address"] = [gettext("地址不能超过 200 个字。")]
    normalized_mobile = ""
    if (mobile or "").strip():
        try:
            normalized_mobile = normalize_mobile(mobile)
        except ValidationError as exc:
            errors["mobile"] = list(exc.messages)
    normalized_landline = ""
    if (landline or "").strip():
        try:
            normalized_landline = normalize_landline(landline)
        except ValidationError as exc:
            errors["landline"] = list(exc.messages)
    if not (mobile or "").strip() and not (landline or "").strip():
        errors["mobile"] = [gettext("请填写手机号或固定电话。")]
    if site is None or site.level != SiteLevel.VILLAGE or not site.is_active:
        errors["site"] = [gettext("请选择来电群众所在的村（社区）实践站。")]
    elif not can_manage_site(actor, site):
        raise NotFoundError(gettext("阵地不存在。"), code="site_not_found")
    if errors:
        raise ValidationError(errors)
    assert site is not None

    if normalized_mobile:
        existing = User.objects.filter(mobile=normalized_mobile).first()
        if existing is not None:
            if Role.objects.filter(user=existing, site=site, role=RoleName.RESIDENT).exists():
                return existing
            raise ValidationError(
                {"mobile": [gettext("该手机号已登记在其他实践站或不是群众账号。")]}
            )
    now = timezone.now()
    try:
        with transaction.atomic():
            user = User(
                username=_caller_username(),
                mobile=normalized_mobile or None,
                real_name=real_name,
            )
            user.set_unusable_password()
            user.save()
            Role.objects.create(user=user, site=site, role=RoleName.RESIDENT)
            ResidentProfile.objects.create(
                user=user,
                address=address,
                landline=normalized_landline,
                registered_by=actor,
                registered_at=now,
            )
    except IntegrityError:
        raise ValidationError({"mobile": [gettext("该手机号刚刚已被登记，请重新查找。")]}) from None
    return user


def _caller_username() -> str:
    # Not guessable, never a mobile number; the caller picks a real one when claiming.
    return f"caller-{secrets.token_hex(5)}"


def claimable_by_mobile(mobile: str) -> User | None:
    """The staff-registered, unclaimed account with this mobile, if any."""
    return (
        User.objects.filter(
            mobile=mobile,
            resident_profile__registered_by__isnull=False,
            resident_profile__claimed_at__isnull=True,
        )
        .select_related("resident_profile")
        .first()
    )


def resident_profile_save(
    *, user: User, address: str, landline: str | None = None
) -> ResidentProfile:
    """The resident's own saved address (and landline, unless None: kept), prefilled
    on the order form."""
    address = (address or "").strip()
    if len(address) > 200:
        raise ValidationError({"address": [gettext("地址不能超过 200 个字。")]})
    profile, _created = ResidentProfile.objects.get_or_create(user=user)
    profile.address = address
    if landline is not None:
        profile.landline = normalize_landline(landline) if landline.strip() else ""
    profile.save(update_fields=["address", "landline"])
    return profile


def saved_address(user: User) -> str:
    profile = ResidentProfile.objects.filter(user=user).only("address").first()
    return profile.address if profile else ""


# --- family proxies ---------------------------------------------------------------------
def family_proxy_link(
    *, actor: User, elder: User, proxy_mobile: str, relation: str = ""
) -> FamilyProxy:
    """Staff of the elder's point link a family member (found by their registered
    mobile) as the elder's proxy. Idempotent: linking twice returns the same link."""
    points = list(Site.objects.filter(roles__user=elder, roles__role=RoleName.RESIDENT).distinct())
    if not points or not any(can_manage_site(actor, p) for p in points):
        raise NotFoundError(gettext("群众不存在。"), code="not_found")
    try:
        mobile = normalize_mobile(proxy_mobile)
    except ValidationError as exc:
        raise ValidationError({"proxy_mobile": list(exc.messages)}) from None
    proxy = User.objects.filter(mobile=mobile, is_active=True).first()
    if proxy is None:
        raise ValidationError(
            {"proxy_mobile": [gettext("没有找到用这个手机号注册的用户，请家属先在平台注册。")]}
        )
    if proxy.pk == elder.pk:
        raise ValidationError({"proxy_mobile": [gettext("不能把群众本人设为自己的代办家属。")]})
    relation = (relation or "").strip()[:20]
    link, _created = FamilyProxy.objects.get_or_create(
        elder=elder, proxy=proxy, defaults={"relation": relation, "created_by": actor}
    )
    forget_proxies(actor)
    return link


def family_proxy_unlink(*, actor: User, link_id: int) -> None:
    link = FamilyProxy.objects.select_related("elder").filter(pk=link_id).first()
    if link is None or not (actor.pk in (link.elder_id, link.proxy_id) or _manages(actor, link)):
        raise NotFoundError(gettext("代办关系不存在。"), code="not_found")
    link.delete()
    forget_proxies(actor)


def _manages(actor: User, link: FamilyProxy) -> bool:
    points = Site.objects.filter(roles__user_id=link.elder_id, roles__role=RoleName.RESIDENT)
    return any(can_manage_site(actor, p) for p in points)


def proxied_elder_ids(actor: User) -> frozenset[int]:
    """Whom ``actor`` acts for, read once per user object (a request's user): pages
    asking for every order on a list cost one query, not one per order."""
    cached: frozenset[int] | None = getattr(actor, "_proxied_elder_ids", None)
    if cached is None:
        cached = frozenset(
            FamilyProxy.objects.filter(proxy_id=actor.pk).values_list("elder_id", flat=True)
        )
        actor._proxied_elder_ids = cached  # type: ignore[attr-defined]
    return cached


def forget_proxies(user: User) -> None:
    user.__dict__.pop("_proxied_elder_ids", None)


def is_family_proxy(actor: User, elder_id: int | None) -> bool:
    if elder_id is None or actor.pk is None or actor.pk == elder_id:
        return False
    return elder_id in proxied_elder_ids(actor)


def proxy_ids_for(elder_id: int) -> list[int]:
    return list(FamilyProxy.objects.filter(elder_id=elder_id).values_list("proxy_id", flat=True))


def elders_of(user: User) -> list[User]:
    """The residents ``user`` may act for as a family proxy."""
    return list(User.objects.filter(family_proxies__proxy=user).order_by("pk"))
