"""Points pages: my points, the rewards shop, staff hand-over, rewards management and
the county's settlement runs."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from apps.accounts.actors import signed_in
from apps.core.errors import DomainError
from apps.core.media import protected_file
from apps.core.pages import add_service_errors, paginate, query_without_page
from apps.sites.models import Site
from apps.sites.scoping import has_role, is_global, is_manager, scope_queryset
from apps.volunteers.selectors import volunteer_of

from . import selectors, services
from .forms import RerunForm, RewardForm
from .models import RedemptionStatus, Reward
from .settlement import abandon_dead_runs, settle


def _volunteer_or_404(request: HttpRequest):  # type: ignore[no-untyped-def]
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    return volunteer


@login_required
def my_points(request: HttpRequest) -> HttpResponse:
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        return render(request, "points/not_volunteer.html")
    page = paginate(request, selectors.ledger_entries(fetched_by=request.user, volunteer=volunteer))
    return render(
        request,
        "points/my_points.html",
        {
            "v": volunteer,
            "b": selectors.balance_of(volunteer),
            "page": page,
            "redemptions": selectors.redemption_list(fetched_by=request.user).filter(
                volunteer=volunteer
            )[:20],
        },
    )


@login_required
def shop(request: HttpRequest) -> HttpResponse:
    volunteer = _volunteer_or_404(request)
    rewards = selectors.rewards_for(volunteer=volunteer)
    return render(
        request,
        "points/shop.html",
        {
            "v": volunteer,
            "b": selectors.balance_of(volunteer),
            "rewards": rewards,
            # One key per rendered form: a double click or a resubmitted page spends once.
            "idempotency_key": uuid.uuid4().hex,
        },
    )


@login_required
@require_POST
def redeem(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        redemption, created = services.reward_redeem(
            actor=signed_in(request),
            reward_id=pk,
            idempotency_key=request.POST.get("idempotency_key") or None,
        )
    except (DomainError, ValidationError) as exc:
        messages.error(
            request, exc.message if isinstance(exc, DomainError) else "；".join(exc.messages)
        )
        return redirect("points:shop")
    if created:
        messages.success(
            request, f"兑换成功：{redemption.reward.name}，请到{redemption.site.name}领取。"
        )
    else:
        messages.info(request, "这次兑换已经提交过了，没有重复扣分。")
    return redirect("points:my_points")


@login_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancelling refunds points: GET confirms, POST cancels."""
    redemption = selectors.redemption_list(fetched_by=request.user).filter(pk=pk).first()
    if redemption is None:
        raise Http404
    if request.method == "POST":
        try:
            services.redemption_cancel(
                actor=signed_in(request), redemption_id=pk, reason=request.POST.get("reason", "")
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已取消兑换，{redemption.points} 积分已退回。")
        own = redemption.volunteer.user_id == request.user.pk
        return redirect("points:my_points" if own else "points:handover")
    return render(request, "points/cancel_confirm.html", {"r": redemption})


@login_required
def handover(request: HttpRequest) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404
    status = request.GET.get("status", RedemptionStatus.PENDING)
    qs = selectors.redemption_list(
        fetched_by=request.user, status=status if status in RedemptionStatus.values else None
    )
    qs = qs.exclude(volunteer__user_id=request.user.pk or 0) if not is_global(request.user) else qs
    qs = scope_queryset(qs, request.user)
    return render(
        request,
        "points/handover.html",
        {
            "page": paginate(request, qs),
            "status": status,
            "statuses": RedemptionStatus.choices,
            "query": query_without_page(request),
        },
    )


@login_required
@require_POST
def hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        r = services.redemption_hand_over(actor=signed_in(request), redemption_id=pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{r.volunteer.real_name} 已领取 {r.reward.name}。")
    return redirect("points:handover")


@login_required
def rewards(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404
    sites = scope_queryset(
        Site.objects.filter(is_active=True).order_by("path"), request.user, site_field=""
    )
    reward = None
    if pk is not None:
        reward = selectors.rewards_managed(fetched_by=request.user).filter(pk=pk).first()
        if reward is None:
            raise Http404
    initial: dict[str, Any] = {"is_active": True}
    if reward is not None:
        initial = {
            f: getattr(reward, f)
            for f in (
                "name",
                "description",
                "points_cost",
                "stock",
                "per_volunteer_limit",
                "is_active",
            )
        }
        initial["site"] = reward.site_id
    form = RewardForm(request.POST or None, request.FILES or None, sites=sites, initial=initial)
    if reward is not None:
        form.fields["site"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        site = data.pop("site")
        try:
            if reward is None:
                saved = services.reward_create(actor=signed_in(request), site=site, **data)
            else:
                saved = services.reward_update(actor=signed_in(request), reward=reward, **data)
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已保存：{saved.name}")
            return redirect("points:rewards")
    return render(
        request,
        "points/rewards.html",
        {
            "form": form,
            "reward": reward,
            "page": paginate(request, selectors.rewards_managed(fetched_by=request.user)),
        },
        status=400 if form.errors else 200,
    )


@require_safe
def reward_photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A reward's picture (goods in a shop, nothing personal): for signed-in users, who
    are the ones the shop and the rewards API show it to; 404 for anyone else."""
    if not request.user.is_authenticated:
        raise Http404
    reward = Reward.objects.filter(pk=pk).only("photo").first()
    if reward is None:
        raise Http404
    return protected_file(reward.photo.name)


@login_required
def settlements(request: HttpRequest) -> HttpResponse:
    """County staff: settlement runs, and a rerun for a date (idempotent)."""
    if not (is_global(request.user) or has_role(request.user, "county_admin")):
        raise Http404
    form = RerunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["settlement_date"]
        try:
            run = settle(day, triggered_by=request.user)
        except Exception as exc:  # the run row records the failure for staff to see
            messages.error(request, f"{day} 结算失败：{exc}")
        else:
            messages.success(
                request,
                f"{day} 结算完成：新增流水 {run.entries_created} 笔，积分 {run.points_credited}。",
            )
        return redirect("points:settlements")
    # A run whose process died (killed, out of memory) shows as abandoned, not running.
    abandon_dead_runs()
    return render(
        request,
        "points/settlements.html",
        {
            "form": form,
            "page": paginate(request, selectors.settlement_runs(fetched_by=request.user)),
        },
    )
