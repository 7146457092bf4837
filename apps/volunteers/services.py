"""Volunteer writes: apply, review transitions, teams, service records, certificates.

Every status change goes through ``_transition``: one table of allowed moves, the row
locked, an audit ``VolunteerEvent`` written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Round
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.access_log import log_reveals
from apps.accounts.mobile import normalize_mobile
from apps.accounts.models import RevealedField, Role, RoleName, User
from apps.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from apps.core.wording import list_text
from apps.notifications.services import notify
from apps.sites.models import Site
from apps.sites.scoping import can_manage_site, forget_roles, held_roles, is_global

from .hooks import volunteer_deactivated
from .idcard import mask_id_number, normalize_id_number
from .models import (
    Certificate,
    ServiceCategory,
    ServiceRecord,
    Team,
    TeamKind,
    TeamMembership,
    Volunteer,
    VolunteerEvent,
    VolunteerSkill,
    VolunteerStatus,
)
from .stars import star_level_case, star_level_sql

S = VolunteerStatus

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({S.PENDING, S.SUSPENDED}), S.APPROVED),
    "reject": (frozenset({S.PENDING}), S.REJECTED),
    "suspend": (frozenset({S.APPROVED}), S.SUSPENDED),
    "withdraw": (frozenset({S.PENDING, S.APPROVED, S.SUSPENDED}), S.WITHDRAWN),
}
REAPPLY_FROM = frozenset({S.REJECTED, S.WITHDRAWN})
MAX_SERVICE_HOURS_PER_RECORD = Decimal("24")


def _require_manager(actor: User, site: Site, message: str = "") -> None:
    """``message``: what "not found" says (already translated)."""
    if not can_manage_site(actor, site):
        # Out of scope answers like "not there": scope must not leak.
        raise NotFoundError(message or gettext("该志愿者不在您的管理范围内。"), code="not_found")


# --- application ----------------------------------------------------------------------
def volunteer_apply(
    *,
    user: User,
    site: Site | None,
    real_name: str,
    mobile: str,
    id_number: str,
    emergency_contact_name: str,
    emergency_contact_phone: str,
    skills: Iterable[str] = (),
    specialties: str = "",
    service_area: str = "",
    availability: int = 0,
) -> Volunteer:
    """Apply (or re-apply after a rejection/withdrawal) to volunteer at ``site``.

    All field errors are collected into one ValidationError; nothing is saved unless
    everything is valid."""
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    real_name = (real_name or "").strip()
    if not real_name:
        err("real_name", gettext("请填写真实姓名。"))
    elif len(real_name) > 50:
        err("real_name", gettext("姓名不能超过 50 个字。"))
    norm_mobile = norm_emergency = norm_id = ""
    try:
        norm_mobile = normalize_mobile(mobile)
    except ValidationError as exc:
        errors.setdefault("mobile", []).extend(exc.messages)
    try:
        norm_id = normalize_id_number(id_number)
    except ValidationError as exc:
        errors.setdefault("id_number", []).extend(exc.messages)
    if not (emergency_contact_name or "").strip():
        err("emergency_contact_name", gettext("请填写紧急联系人。"))
    try:
        norm_emergency = normalize_mobile(emergency_contact_phone)
    except ValidationError as exc:
        errors.setdefault("emergency_contact_phone", []).extend(exc.messages)
    if site is None or not site.is_active:
        err("site", gettext("请选择一个启用中的阵地。"))
    skills = list(dict.fromkeys(skills or []))
    bad = [s for s in skills if s not in ServiceCategory.values]
    if bad:
        err("skills", gettext("未知的服务领域：%(list)s") % {"list": list_text(bad)})
    if not 0 <= int(availability or 0) < (1 << 21):
        err("availability", gettext("可服务时段无效。"))

    existing = Volunteer.objects.filter(user=user).first()
    if existing and existing.status not in REAPPLY_FROM:
        err("non_field_errors", gettext("您已提交过志愿者申请，无需重复申请。"))
    if norm_id and Volunteer.objects.filter(id_number=norm_id).exclude(user=user).exists():
        err("id_number", gettext("该身份证号已登记为志愿者。"))
    if errors:
        raise ValidationError(errors)

    assert site is not None
    fields = dict(
        site=site,
        real_name=real_name,
        mobile=norm_mobile,
        id_number=norm_id,
        specialties=(specialties or "").strip()[:200],
        service_area=(service_area or "").strip()[:200],
        availability=int(availability or 0),
        emergency_contact_name=emergency_contact_name.strip()[:50],
        emergency_contact_phone=norm_emergency,
    )
    try:
        with transaction.atomic():
            if existing:
                # Lock: a re-application must not race a staff decision on the same row.
                volunteer = Volunteer.objects.select_for_update().get(pk=existing.pk)
                if volunteer.status not in REAPPLY_FROM:
                    raise ConflictError(gettext("您已提交过志愿者申请。"), code="already_applied")
                from_status = volunteer.status
                for key, value in fields.items():
                    setattr(volunteer, key, value)
                volunteer.status, volunteer.status_reason = S.PENDING, ""
                volunteer.save()
                volunteer.skills.all().delete()
            else:
                from_status = ""
                volunteer = Volunteer.objects.create(user=user, **fields)
            VolunteerSkill.objects.bulk_create(
                [VolunteerSkill(volunteer=volunteer, category=c) for c in skills]
            )
            VolunteerEvent.objects.create(
                volunteer=volunteer,
                actor=user,
                from_status=from_status,
                to_status=S.PENDING,
                code="applied",
            )
    except IntegrityError:
        raise ValidationError({"id_number": [gettext("该身份证号已登记为志愿者。")]}) from None
    return volunteer


# --- review transitions ---------------------------------------------------------------
def _transition(*, volunteer: Volunteer, actor: User, action: str, reason: str = "") -> Volunteer:
    allowed_from, to_status = TRANSITIONS[action]
    with transaction.atomic():
        # Lock the row: two staff reviewing the same application act one after another,
        # and the second sees the first one's decision.
        locked = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        if locked.status not in allowed_from:
            raise ConflictError(
                gettext("当前状态“%(status)s”下不能执行该操作。")
                % {"status": locked.get_status_display()},
                code="illegal_transition",
            )
        from_status = locked.status
        now = timezone.now()
        locked.status, locked.status_reason = to_status, reason
        if action != "withdraw":
            locked.reviewed_by, locked.reviewed_at = actor, now
        if to_status == S.APPROVED and not locked.number:
            locked.number = f"ZY{locked.pk:010d}"
        locked.save()
        if to_status == S.APPROVED:
            Role.objects.get_or_create(
                user_id=locked.user_id, site_id=locked.site_id, role=RoleName.VOLUNTEER
            )
        elif from_status == S.APPROVED:
            Role.objects.filter(
                user_id=locked.user_id, site_id=locked.site_id, role=RoleName.VOLUNTEER
            ).delete()
        event = VolunteerEvent.objects.create(
            volunteer=locked, actor=actor, from_status=from_status, to_status=to_status, note=reason
        )
        if to_status in (S.SUSPENDED, S.WITHDRAWN):
            # Suspension and withdrawal end the volunteer's open order assignments in
            # this transaction (the orders app registers the handler).
            volunteer_deactivated(volunteer=locked, actor=actor, reason=reason)
        if action in ("approve", "reject"):
            # Written in this transaction, delivered after commit.
            kind = (
                "volunteer_reinstated" if from_status == S.SUSPENDED else f"volunteer_{to_status}"
            )
            notify(
                users=[locked.user_id],
                kind=kind,
                params={
                    "name": locked.real_name,
                    "site": locked.site.name,
                    "number": locked.number,
                    "reason": locked.status_reason,
                },
                url=reverse("volunteers:me"),
                dedupe_key=f"volunteer-event:{event.pk}",
            )
    forget_roles(locked.user)
    return locked


def volunteer_approve(*, volunteer: Volunteer, actor: User) -> Volunteer:
    _require_manager(actor, volunteer.site)
    return _transition(volunteer=volunteer, actor=actor, action="approve")


def volunteer_reject(*, volunteer: Volunteer, actor: User, reason: str) -> Volunteer:
    _require_manager(actor, volunteer.site)
    if not (reason or "").strip():
        raise ValidationError({"reason": [gettext("请填写未通过的原因。")]})
    return _transition(volunteer=volunteer, actor=actor, action="reject", reason=reason.strip())


def volunteer_suspend(*, volunteer: Volunteer, actor: User, reason: str) -> Volunteer:
    _require_manager(actor, volunteer.site)
    if not (reason or "").strip():
        raise ValidationError({"reason": [gettext("请填写暂停的原因。")]})
    return _transition(volunteer=volunteer, actor=actor, action="suspend", reason=reason.strip())


def volunteer_withdraw(*, volunteer: Volunteer, actor: User, reason: str = "") -> Volunteer:
    if volunteer.user_id != getattr(actor, "pk", None):
        raise PermissionDeniedError(gettext("只有志愿者本人可以退出。"), code="not_owner")
    return _transition(volunteer=volunteer, actor=actor, action="withdraw", reason=reason.strip())


def volunteer_reveal(*, actor: User, volunteer: Volunteer, field: str, source: str) -> str:
    """The explicit "show" action: the full ID-card number or mobile of a volunteer, for
    staff whose scope holds the volunteer's site, written to the personal-data access
    log (who, whose, which field, when, from where)."""
    if field not in RevealedField.values:
        raise ValidationError({"field": [gettext("请选择要查看的信息：id_number 或 mobile。")]})
    if actor.pk != volunteer.user_id:
        _require_manager(actor, volunteer.site)
        log_reveals(
            viewer=actor,
            field=field,
            subjects=[(volunteer.user_id, volunteer.real_name)],
            source=source,
        )
    return (volunteer.id_number or "") if field == RevealedField.ID_NUMBER else volunteer.mobile


# --- teams ----------------------------------------------------------------------------
def team_create(
    *,
    actor: User,
    site: Site,
    name: str,
    kind: str = TeamKind.STANDING,
    category: str = "",
    description: str = "",
) -> Team:
    _require_manager(actor, site, gettext("该阵地不在您的管理范围内。"))
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [gettext("请填写队名。")]
    elif Team.objects.filter(site=site, name=name).exists():
        errors["name"] = [gettext("本阵地已有同名服务队。")]
    if kind not in TeamKind.values:
        errors["kind"] = [gettext("未知的服务队类型。")]
    if category and category not in ServiceCategory.values:
        errors["category"] = [gettext("未知的服务领域。")]
    if errors:
        raise ValidationError(errors)
    try:
        return Team.objects.create(
            site=site,
            name=name,
            kind=kind,
            category=category,
            description=(description or "").strip(),
        )
    except IntegrityError:
        raise ValidationError({"name": [gettext("本阵地已有同名服务队。")]}) from None


def team_update(*, actor: User, team: Team, **fields: Any) -> Team:
    _require_manager(actor, team.site, gettext("服务队不存在。"))
    allowed = {"name", "kind", "category", "description", "is_active"}
    with transaction.atomic():
        locked = Team.objects.select_for_update().get(pk=team.pk)
        for key, value in fields.items():
            if key in allowed:
                setattr(locked, key, value)
        if Team.objects.filter(site=locked.site, name=locked.name).exclude(pk=locked.pk).exists():
            raise ValidationError({"name": [gettext("本阵地已有同名服务队。")]})
        locked.save()
    return locked


def team_add_member(
    *, actor: User, team: Team, volunteer: Volunteer, is_leader: bool = False
) -> TeamMembership:
    _require_manager(actor, team.site, gettext("服务队不存在。"))
    # The team's own subtree only, whatever else the actor manages (a county admin still
    # cannot put a village2 volunteer into a village1 team).
    if not volunteer.site.is_within(team.site):
        raise ValidationError({"volunteer": [gettext("只能吸收本阵地及下级阵地的志愿者。")]})
    if volunteer.status != S.APPROVED:
        raise ValidationError({"volunteer": [gettext("只有审核通过的志愿者可以入队。")]})
    membership, created = TeamMembership.objects.get_or_create(
        team=team, volunteer=volunteer, defaults={"is_leader": is_leader}
    )
    if not created and membership.is_leader != is_leader:
        membership.is_leader = is_leader
        membership.save(update_fields=["is_leader"])
    return membership


def team_remove_member(*, actor: User, team: Team, volunteer: Volunteer) -> None:
    _require_manager(actor, team.site, gettext("服务队不存在。"))
    TeamMembership.objects.filter(team=team, volunteer=volunteer).delete()


# --- service records and hours --------------------------------------------------------
def service_record_add(
    *,
    actor: User | None,
    volunteer: Volunteer,
    site: Site,
    service_date: dt.date,
    title: str,
    hours: Decimal,
    source_key: str | None = None,
) -> tuple[ServiceRecord, bool]:
    """Record one confirmed service and add its hours to the volunteer.

    ``actor=None`` is the system (the nightly settlement, which checked scope when the
    order was assessed). Idempotent by ``source_key``: the second call with the same
    key changes nothing and returns ``(existing, False)``."""
    if actor is not None:
        if actor.pk == volunteer.user_id:
            # Hours are money-like: nobody records service for themselves.
            raise PermissionDeniedError(gettext("不能为自己记录服务时长。"), code="own_record")
        _require_manager(actor, site, gettext("该阵地不在您的管理范围内。"))
        _require_manager(actor, volunteer.site)
        if not (
            volunteer.site.path.startswith(site.path) or site.path.startswith(volunteer.site.path)
        ):
            # The site served must be on the volunteer's own branch of the tree: their
            # point, a site above it, or a base under it.
            raise ValidationError(
                {"site": [gettext("服务阵地须为志愿者所在阵地、其上级或下属阵地。")]}
            )
    hours = Decimal(str(hours))
    errors: dict[str, list[str]] = {}
    if hours <= 0 or hours > MAX_SERVICE_HOURS_PER_RECORD:
        errors["hours"] = [gettext("单次服务时长应在 0 到 24 小时之间（只计服务时间，不含路途）。")]
    if hours != hours.quantize(Decimal("0.1")):
        errors.setdefault("hours", []).append(gettext("服务时长最多保留一位小数。"))
    if service_date > timezone.localdate():
        errors["service_date"] = [gettext("服务日期不能晚于今天。")]
    if not (title or "").strip():
        errors["title"] = [gettext("请填写服务项目。")]
    if volunteer.status not in (S.APPROVED, S.SUSPENDED):
        errors["volunteer"] = [gettext("只能为已通过审核的志愿者记录服务。")]
    if errors:
        raise ValidationError(errors)
    key = source_key or f"manual:{uuid.uuid4().hex}"
    with transaction.atomic():
        # Lock the volunteer: concurrent records for one volunteer add up correctly and
        # the star level is computed from the final sum.
        Volunteer.objects.select_for_update().filter(pk=volunteer.pk).first()
        existing = ServiceRecord.objects.filter(source_key=key).first()
        if existing:
            return existing, False
        record = ServiceRecord.objects.create(
            volunteer=volunteer,
            site=site,
            service_date=service_date,
            title=title.strip(),
            hours=hours,
            source_key=key,
            recorded_by=actor,
        )
        # Round to the column's one decimal in SQL: SQLite keeps this column as a binary
        # float, where 99.8 + 0.1 + 0.1 is 99.999…, one star short of 100 h.
        Volunteer.objects.filter(pk=volunteer.pk).update(hours=Round(F("hours") + hours, 1))
        Volunteer.objects.filter(pk=volunteer.pk).update(star_level=star_level_case())
    volunteer.refresh_from_db(fields=["hours", "star_level"])
    return record, True


def volunteers_recompute_hours(*, volunteer_ids: Iterable[int] | Any = None) -> int:
    """Set each volunteer's hours to the sum of their service records and recompute the
    star level, in one set-based UPDATE that writes only rows whose figures changed
    (plus one for volunteers left with no records). ``volunteer_ids`` may be a list or
    a ``values("volunteer_id")`` queryset, kept as a subquery in SQL. Returns the number
    of volunteers whose hours or star level changed."""
    vol, rec = Volunteer._meta.db_table, ServiceRecord._meta.db_table
    params: list[Any] = []
    scope = ""
    if volunteer_ids is not None:
        if hasattr(volunteer_ids, "query"):
            sub_sql, sub_params = volunteer_ids.query.sql_with_params()
        else:
            ids = [int(i) for i in volunteer_ids] or [0]
            sub_sql, sub_params = ", ".join(["%s"] * len(ids)), ids
        scope = f"AND r.volunteer_id IN ({sub_sql})"
        params += list(sub_params)
    # Rounded to one decimal in SQL: SQLite sums binary floats (99.8 + 0.1 + 0.1).
    star_case = star_level_sql("s.total")
    with connection.cursor() as cur:
        cur.execute(
            f"""
            UPDATE {vol} SET hours = s.total, star_level = {star_case}
              FROM (SELECT r.volunteer_id, ROUND(SUM(r.hours), 1) AS total FROM {rec} r
                     WHERE 1 = 1 {scope} GROUP BY r.volunteer_id) s
             WHERE {vol}.id = s.volunteer_id
               AND ({vol}.hours <> s.total OR {vol}.star_level <> {star_case})
        """,
            params,
        )
        changed = max(cur.rowcount, 0)
        if volunteer_ids is None:
            cur.execute(f"""
                UPDATE {vol} SET hours = 0, star_level = 0
                 WHERE (hours <> 0 OR star_level <> 0)
                   AND NOT EXISTS (SELECT 1 FROM {rec} r WHERE r.volunteer_id = {vol}.id)
            """)
            changed += max(cur.rowcount, 0)
    return changed


# --- certificates ---------------------------------------------------------------------
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def issuing_site_for(actor: User, volunteer: Volunteer) -> Site:
    """The deepest site where ``actor`` holds a managing role covering the volunteer."""
    candidates = [
        r
        for r in held_roles(actor)
        if r.role in (RoleName.STAFF, RoleName.COUNTY_ADMIN)
        and volunteer.site.path.startswith(r.site_path)
    ]
    if candidates:
        best = max(candidates, key=lambda r: len(r.site_path))
        return Site.objects.get(pk=best.site_id)
    if is_global(actor):
        return volunteer.site.ancestors().first() or volunteer.site
    raise NotFoundError(gettext("该志愿者不在您的管理范围内。"), code="not_found")


def certificate_issue(*, actor: User, volunteer: Volunteer, notes: str = "") -> Certificate:
    """Issue a service record certificate listing the confirmed services recorded in
    the issuing site's subtree, frozen as issued."""
    _require_manager(actor, volunteer.site)
    issuer = issuing_site_for(actor, volunteer)
    records = list(
        ServiceRecord.objects.filter(volunteer=volunteer, site__path__startswith=issuer.path)
        .select_related("site")
        .order_by("service_date", "id")
    )
    if not records:
        raise ConflictError(
            gettext("该志愿者在本阵地范围内还没有已确认的服务记录，无法开具证明。"),
            code="no_records",
        )
    total = sum((r.hours for r in records), Decimal("0"))
    today = timezone.localdate()
    content = {
        "identity": {
            "name": volunteer.real_name,
            "id_number_masked": mask_id_number(volunteer.id_number),
            "volunteer_number": volunteer.number or "",
        },
        "services": [
            {
                "date": r.service_date.isoformat(),
                "item": r.title,
                "site": r.site.name,
                "hours": str(r.hours),
            }
            for r in records
        ],
        "issuer": {
            "site": issuer.name,
            "person_in_charge": issuer.person_in_charge or issuer.contact_name,
            "issued_by": getattr(actor, "display_name", str(actor)),
            "contact": issuer.contact_phone,
            "seal": issuer.seal.name if issuer.seal else "",
        },
    }
    with transaction.atomic():
        cert = Certificate.objects.create(
            number=f"tmp-{uuid.uuid4().hex[:20]}",
            verification_code="".join(secrets.choice(_CODE_ALPHABET) for _ in range(8)),
            volunteer=volunteer,
            issuing_site=issuer,
            issued_by=actor,
            issued_on=today,
            total_hours=total,
            star_level=volunteer.star_level,
            content=content,
            notes=(notes or "").strip(),
        )
        # The number needs the row id; same transaction, so nobody sees the placeholder.
        cert.number = f"ZM{today:%Y}{cert.pk:08d}"
        cert.save(update_fields=["number"])
    return cert
