"""Points writes: rewards, redemption (兑换), hand-over, cancellation with refund, and
county adjustments. Every movement of points goes through ``ledger.post``."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from apps.core.types import Id
from apps.core.uploads import clean_image
from apps.notifications.services import notify
from apps.sites.models import Site
from apps.sites.scoping import can_manage_site, held_roles, is_global
from apps.volunteers.models import Volunteer, VolunteerStatus

from . import ledger
from .models import AccountKind, EntryKind, Redemption, RedemptionStatus, Reward

_KEY_RE = re.compile(r"^[\x21-\x7e]{1,100}$")
R = RedemptionStatus


def _clean_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not _KEY_RE.match(key):
        raise ValidationError(
            {"idempotency_key": [gettext("Idempotency-Key 应为 1 到 100 个可见 ASCII 字符。")]}
        )
    return key


# --- rewards --------------------------------------------------------------------------
REWARD_FIELDS = ("name", "description", "points_cost", "stock", "per_volunteer_limit", "is_active")


def _clean_reward(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if "name" in fields and not str(fields["name"] or "").strip():
        errors["name"] = [gettext("请填写名称。")]
    if "points_cost" in fields and (
        fields["points_cost"] is None or int(fields["points_cost"]) <= 0
    ):
        errors["points_cost"] = [gettext("所需积分必须大于 0。")]
    if "stock" in fields and (fields["stock"] is None or int(fields["stock"]) < 0):
        errors["stock"] = [gettext("库存不能为负数。")]
    limit = fields.get("per_volunteer_limit")
    if limit is not None and int(limit) <= 0:
        errors["per_volunteer_limit"] = [gettext("每人限兑应大于 0，留空表示不限。")]
    unknown = set(fields) - set(REWARD_FIELDS) - {"photo"}
    for f in unknown:
        errors[f] = [gettext("该字段不可修改。")]
    if errors:
        raise ValidationError(errors)
    return fields


def reward_create(*, actor: User, site: Site, photo: Any = None, **fields: Any) -> Reward:
    if not can_manage_site(actor, site):
        raise NotFoundError(gettext("该阵地不在您的管理范围内。"), code="not_found")
    fields = _clean_reward(fields)
    reward = Reward(site=site, **fields)
    if photo is not None:
        img = clean_image(photo)
        reward.photo.save(img.image.name or "reward.jpg", img.image, save=False)
    reward.save()
    return reward


def reward_update(*, actor: User, reward: Reward, photo: Any = None, **fields: Any) -> Reward:
    if not can_manage_site(actor, reward.site):
        raise NotFoundError(gettext("兑换商品不存在。"), code="not_found")
    fields = _clean_reward(fields)
    with transaction.atomic():
        # Lock: a stock edit must not interleave with a redemption decrementing it.
        locked = Reward.objects.select_for_update().get(pk=reward.pk)
        for key, value in fields.items():
            setattr(locked, key, value)
        if photo is not None:
            img = clean_image(photo)
            locked.photo.save(img.image.name or "reward.jpg", img.image, save=False)
        locked.save()
    return locked


def reward_available_to(volunteer: Volunteer, reward: Reward) -> bool:
    """A volunteer redeems in the shops of their own site and its ancestors."""
    return volunteer.site.path.startswith(reward.site.path)


# --- redemption -----------------------------------------------------------------------
def reward_redeem(
    *, actor: User, reward_id: Id, idempotency_key: str | None = None
) -> tuple[Redemption, bool]:
    """Spend points on a reward: points debited and stock decremented in one
    transaction. A repeated request with the same Idempotency-Key returns the first
    redemption, ``(redemption, False)``."""
    key = _clean_key(idempotency_key)
    volunteer = Volunteer.objects.select_related("site").filter(user=actor).first()
    if volunteer is None or volunteer.status != VolunteerStatus.APPROVED:
        raise PermissionDeniedError(gettext("只有审核通过的志愿者可以兑换。"), code="not_volunteer")
    if key:
        existing = Redemption.objects.filter(volunteer=volunteer, idempotency_key=key).first()
        if existing:
            _check_same_reward(existing, reward_id)
            return existing, False
    try:
        with transaction.atomic():
            # Lock order everywhere: reward row, then the volunteer's account row.
            reward = (
                Reward.objects.select_for_update()
                .select_related("site")
                .filter(pk=reward_id)
                .first()
            )
            if reward is None or not reward_available_to(volunteer, reward):
                raise NotFoundError(gettext("兑换商品不存在。"), code="not_found")
            account = ledger.lock_volunteer_account(volunteer)
            if key:
                # Stripe's rule under races: a repeat that waited on these locks while
                # the first request committed must return the first redemption, not
                # fail the stock or balance check the first one used up. Every
                # redemption of this volunteer holds their account lock, so the key is
                # re-read here after any racing first request has committed.
                existing = Redemption.objects.filter(
                    volunteer=volunteer, idempotency_key=key
                ).first()
                if existing:
                    _check_same_reward(existing, reward_id)
                    return existing, False
            if not reward.is_active:
                raise ConflictError(gettext("该商品已下架。"), code="reward_inactive")
            if reward.stock <= 0:
                raise ConflictError(gettext("该商品已兑完。"), code="out_of_stock")
            if reward.per_volunteer_limit is not None:
                taken = (
                    Redemption.objects.filter(volunteer=volunteer, reward=reward)
                    .exclude(status=R.CANCELLED)
                    .count()
                )
                if taken >= reward.per_volunteer_limit:
                    raise ConflictError(
                        gettext("每人限兑 %(n)s 件，您已兑满。")
                        % {"n": reward.per_volunteer_limit},
                        code="limit_reached",
                    )
            if account.balance < reward.points_cost:
                raise ConflictError(
                    gettext("积分不足：需要 %(cost)s 分，当前余额 %(balance)s 分。")
                    % {"cost": reward.points_cost, "balance": account.balance},
                    code="insufficient_points",
                )
            redemption = Redemption.objects.create(
                reward=reward,
                volunteer=volunteer,
                site=reward.site,
                points=reward.points_cost,
                idempotency_key=key,
            )
            shop = ledger.site_account(reward.site, AccountKind.SHOP)
            ledger.post(
                kind=EntryKind.REDEMPTION,
                source_key=f"redemption:{redemption.pk}",
                legs=[(account, -reward.points_cost), (shop, reward.points_cost)],
                created_by=actor,
                memo=reward.name,
                volunteer=volunteer,
                site=reward.site,
            )
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - 1)
            notify(
                users=[actor],
                kind="redemption_ready",
                params={
                    "site": redemption.site.name,
                    "points": redemption.points,
                    "reward": redemption.reward.name,
                },
                url=reverse("points:my_points"),
                dedupe_key=f"redemption:{redemption.pk}",
            )
    except IntegrityError:
        # The same Idempotency-Key raced past the first check: the winner is committed.
        if key:
            existing = Redemption.objects.filter(volunteer=volunteer, idempotency_key=key).first()
            if existing:
                _check_same_reward(existing, reward_id)
                return existing, False
        raise
    return redemption, True


def _check_same_reward(existing: Redemption, reward_id: Id) -> None:
    """A repeated Idempotency-Key must repeat the same request (the same reward)."""
    if str(existing.reward_id) != str(reward_id):
        raise ConflictError(
            gettext("该 Idempotency-Key 已用于另一次兑换，请为新的兑换使用新的键。"),
            code="idempotency_key_reused",
        )


def _lock_redemption(redemption_id: Id) -> Redemption:
    redemption = (
        Redemption.objects.select_related("reward", "volunteer", "site")
        .filter(pk=redemption_id)
        .first()
    )
    if redemption is None:
        raise NotFoundError(gettext("兑换记录不存在。"), code="not_found")
    Reward.objects.select_for_update().filter(pk=redemption.reward_id).first()
    return (
        Redemption.objects.select_for_update()
        .select_related("reward", "volunteer", "site")
        .get(pk=redemption.pk)
    )


def redemption_hand_over(*, actor: User, redemption_id: Id) -> Redemption:
    """Staff at the shop's site hand the reward over."""
    with transaction.atomic():
        redemption = _lock_redemption(redemption_id)
        if not can_manage_site(actor, redemption.site):
            raise NotFoundError(gettext("兑换记录不存在。"), code="not_found")
        if redemption.status != R.PENDING:
            raise ConflictError(
                gettext("当前状态“%(status)s”不能领取。")
                % {"status": redemption.get_status_display()},
                code="illegal_transition",
            )
        redemption.status = R.HANDED_OVER
        redemption.handed_over_at, redemption.handed_over_by = timezone.now(), actor
        redemption.save(update_fields=["status", "handed_over_at", "handed_over_by"])
    return redemption


def redemption_cancel(*, actor: User, redemption_id: Id, reason: str = "") -> Redemption:
    """Cancel a pending redemption: points refunded by a ``refund`` entry, stock back.
    The volunteer may cancel their own; staff of the shop's site any in their scope."""
    with transaction.atomic():
        redemption = _lock_redemption(redemption_id)
        own = redemption.volunteer.user_id == getattr(actor, "pk", None)
        if not (own or can_manage_site(actor, redemption.site)):
            raise NotFoundError(gettext("兑换记录不存在。"), code="not_found")
        if redemption.status != R.PENDING:
            raise ConflictError(
                gettext("当前状态“%(status)s”不能取消。")
                % {"status": redemption.get_status_display()},
                code="illegal_transition",
            )
        account = ledger.lock_volunteer_account(redemption.volunteer_id)
        shop = ledger.site_account(redemption.site_id, AccountKind.SHOP)
        ledger.post(
            kind=EntryKind.REFUND,
            source_key=f"refund:{redemption.pk}",
            legs=[(shop, -redemption.points), (account, redemption.points)],
            created_by=actor,
            memo=reason or redemption.reward.name,
            volunteer=redemption.volunteer,
            site=redemption.site,
        )
        Reward.objects.filter(pk=redemption.reward_id).update(stock=F("stock") + 1)
        redemption.status = R.CANCELLED
        redemption.cancelled_at, redemption.cancelled_by = timezone.now(), actor
        redemption.cancel_reason = (reason or "").strip()[:300]
        redemption.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    return redemption


# --- corrections ----------------------------------------------------------------------
def points_adjust(
    *, actor: User, volunteer: Volunteer, amount: int, reason: str, source_key: str | None = None
) -> Any:
    """A correction by county staff: a new ``adjustment`` transaction between the
    volunteer and the county center's issuing account. Never edits existing rows."""
    import uuid

    county_sites = [
        r
        for r in held_roles(actor)
        if r.role == "county_admin" and volunteer.site.path.startswith(r.site_path)
    ]
    if not (county_sites or is_global(actor)):
        raise PermissionDeniedError(
            gettext("只有县级管理员可以调整积分。"), code="not_county_admin"
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": [gettext("请填写调整原因。")]})
    if not isinstance(amount, int) or amount == 0:
        raise ValidationError({"amount": [gettext("调整积分必须是非零整数。")]})
    site_id = county_sites[0].site_id if county_sites else volunteer.site.ancestor_ids()[0]
    with transaction.atomic():
        account = ledger.lock_volunteer_account(volunteer)
        if account.balance + amount < 0:
            raise ConflictError(
                gettext("调整后余额不能为负（当前 %(balance)s 分）。")
                % {"balance": account.balance},
                code="insufficient_points",
            )
        issuing = ledger.site_account(site_id, AccountKind.ISSUING)
        txn, _ = ledger.post(
            kind=EntryKind.ADJUSTMENT,
            source_key=source_key or f"adjustment:{uuid.uuid4().hex}",
            legs=[(account, amount), (issuing, -amount)],
            created_by=actor,
            memo=reason.strip(),
            volunteer=volunteer,
        )
    return txn
