"""Order pages: thin views over selectors and services. Resident pages work without
JavaScript; the dispatch board refreshes itself with a small script when it can."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from apps.accounts.actors import signed_in
from apps.accounts.mobile import normalize_mobile
from apps.accounts.models import User
from apps.accounts.phone_in import saved_address
from apps.core import panels
from apps.core.errors import DomainError, NotFoundError
from apps.core.pages import add_service_errors, paginate, query_without_page
from apps.sites.models import Site, SiteLevel
from apps.sites.scoping import (
    can_manage_site,
    is_global,
    is_manager,
    managed_paths,
    scope_queryset,
)

from . import selectors, services
from .forms import (
    AssessForm,
    CompleteForm,
    ConfirmForm,
    DispatchForm,
    DisputeForm,
    OptionalReasonForm,
    OrderForm,
    ProxyOrderForm,
    RateForm,
    ReasonForm,
    ServiceItemForm,
)
from .models import AssignmentStatus, OrderStatus, ServiceItem, ServiceOrder

STEPS: list[tuple[str, str]] = [  # the resident's view of the workflow, for the progress line
    (OrderStatus.SUBMITTED, "点单"),
    (OrderStatus.DISPATCHED, "派单"),
    (OrderStatus.ACCEPTED, "接单"),
    (OrderStatus.IN_SERVICE, "服务"),
    (OrderStatus.COMPLETED, "完成"),
    (OrderStatus.RATED, "评价"),
    (OrderStatus.ASSESSED, "考核"),
]
STATUS_CLASS: dict[str, str] = {
    OrderStatus.SUBMITTED: "status-warn",
    OrderStatus.DISPATCHED: "status-warn",
    OrderStatus.ACCEPTED: "",
    OrderStatus.IN_SERVICE: "",
    OrderStatus.COMPLETED: "status-ok",
    OrderStatus.RATED: "status-ok",
    OrderStatus.ASSESSED: "status-ok",
    OrderStatus.CANCELLED: "status-bad",
    OrderStatus.REJECTED: "status-bad",
}
AGE_CHOICES = [
    ("", _("不限")),
    ("2", _("超过 2 小时")),
    ("24", _("超过 1 天")),
    ("72", _("超过 3 天")),
]
BOARD_REFRESH_SECONDS = 30


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return default


def _access(request: HttpRequest, pk: int) -> ServiceOrder:
    try:
        return selectors.access_order(request.user, pk)
    except NotFoundError:
        raise Http404("订单不存在。") from None


def _decorate(order: ServiceOrder) -> ServiceOrder:
    order.status_class = STATUS_CLASS.get(order.status, "")  # type: ignore[attr-defined]
    order.nudge_opens_at = services.nudge_opens_at(order)  # type: ignore[attr-defined]
    return order


def steps_for(order: ServiceOrder) -> list[dict[str, Any]]:
    order_index = {s: i for i, (s, _label) in enumerate(STEPS)}
    current = order_index.get(order.status, -1)
    return [
        {"label": label, "done": i <= current, "current": i == current}
        for i, (_s, label) in enumerate(STEPS)
    ]


# --- resident -------------------------------------------------------------------------------
@login_required
def menu(request: HttpRequest) -> HttpResponse:
    """The menu of the resident's point (its own items, the township's, the county's)."""
    points = list(
        Site.objects.filter(pk__in=services.resident_points(signed_in(request))).order_by("path")
    )
    site = next(
        (s for s in points if str(s.pk) == request.GET.get("site")), points[0] if points else None
    )
    items = list(selectors.menu_for_site(site)) if site else []
    return render(request, "orders/menu.html", {"site": site, "points": points, "items": items})


def _place(request: HttpRequest, form: OrderForm, **extra: Any) -> HttpResponse | None:
    data = form.cleaned_data
    try:
        order, created = services.order_place(
            actor=signed_in(request),
            service=data["service"],
            address=data["address"],
            contact_mobile=data["contact_mobile"],
            preferred_start=data["preferred_start"],
            preferred_end=data["preferred_end"],
            note=data.get("note", ""),
            volunteers_needed=data.get("volunteers_needed"),
            idempotency_key=f"form-{data['token']}",
            **extra,
        )
    except (ValidationError, DomainError) as exc:
        add_service_errors(form, exc)
        return None
    if created:
        messages.success(request, f"点单成功！订单号 {order.pk}，请留意派单进度。")
    else:
        messages.info(request, f"该订单已经提交过（订单号 {order.pk}），无需重复提交。")
    return redirect("orders:detail", order.pk)


@login_required
def order_create(request: HttpRequest) -> HttpResponse:
    points = services.resident_points(signed_in(request))
    if not points:
        messages.error(request, "只有登记为群众的用户可以点单。")
        return redirect("home")
    chosen = request.POST.get("site") or request.GET.get("site")
    site = Site.objects.get(
        pk=int(chosen) if chosen and chosen.isdigit() and int(chosen) in points else points[0]
    )
    menu_qs = selectors.menu_for_site(site)
    initial = {
        "contact_mobile": getattr(request.user, "mobile", "") or "",
        "address": saved_address(signed_in(request)),  # their own, not the point's
        "service": request.GET.get("service"),
    }
    form = OrderForm(request.POST or None, menu=menu_qs, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = _place(request, form, site=site)
        if done is not None:
            return done
    return render(
        request,
        "orders/order_form.html",
        {"form": form, "site": site, "proxy": False},
        status=400 if form.errors else 200,
    )


def _menu_for_scope(user: User | AnonymousUser) -> Any:
    """Items a staff member can order from: published in their subtree or above it."""
    if is_global(user):
        return ServiceItem.objects.filter(is_active=True).select_related("site")
    above: set[int] = set()
    within = Q(pk__in=[])
    for path in managed_paths(user):
        above |= {int(seg) for seg in path.strip("/").split("/")}
        within |= Q(site__path__startswith=path)
    return (
        ServiceItem.objects.filter(within | Q(site_id__in=above), is_active=True)
        .select_related("site")
        .order_by("site__path", "title")
    )


@login_required
def proxy_create(request: HttpRequest) -> HttpResponse:
    """代点单: staff take a resident's order on the phone."""
    if not is_manager(request.user):
        raise Http404
    sites = scope_queryset(
        Site.objects.filter(level=SiteLevel.VILLAGE, is_active=True), request.user, site_field=""
    ).order_by("path")
    form = ProxyOrderForm(request.POST or None, menu=_menu_for_scope(request.user), sites=sites)
    if request.method == "POST" and form.is_valid():
        resident = None
        try:
            mobile = normalize_mobile(form.cleaned_data["resident_mobile"])
            resident = User.objects.filter(mobile=mobile).first()
            if resident is None:
                form.add_error(
                    "resident_mobile", "该手机号还没有在平台登记，请用“电话点单”当场登记并点单。"
                )
        except ValidationError as exc:
            form.add_error("resident_mobile", exc.messages[0])
        if resident is not None:
            done = _place(request, form, site=form.cleaned_data["site"], resident=resident)
            if done is not None:
                return done
    return render(
        request,
        "orders/order_form.html",
        {"form": form, "proxy": True},
        status=400 if form.errors else 200,
    )


@login_required
def my_orders(request: HttpRequest) -> HttpResponse:
    qs = selectors.with_timeline(
        selectors.order_list(fetched_by=request.user, filters={"mine": True})
    )
    page = paginate(request, qs, per_page=10)
    for order in page.object_list:
        _decorate(order)
        order.steps = steps_for(order)  # type: ignore[attr-defined]
    return render(request, "orders/my_orders.html", {"page": page})


# --- volunteer: my tasks live in task_views.py ------------------------------------------


# --- staff ----------------------------------------------------------------------------------
def _board_filters(request: HttpRequest) -> dict[str, Any]:
    status = request.GET.get("status", "")
    if status not in OrderStatus.values and status != "all":
        status = ""
    age = request.GET.get("age", "")
    return {
        "status": (list(OrderStatus.values) if status == "all" else status) or None,
        "age_hours": age if age in {"2", "24", "72"} else None,
        "nudged": request.GET.get("nudged") == "1",
        "overdue": request.GET.get("overdue") == "1",
        "status_value": status,
        "age_value": age,
    }


def _board_url(request: HttpRequest) -> str:
    """Where a one-click dispatch returns: the board with its filters, never the
    rows-only partial the refresh fetched."""
    params = request.GET.copy()
    params.pop("partial", None)
    query = params.urlencode()
    return reverse("orders:board") + (f"?{query}" if query else "")


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """派单台: the subtree's open orders, oldest first, nudged ones marked, suggested
    volunteers one click away. ``?partial=1`` returns just the rows (the refresh)."""
    if not is_manager(request.user):
        raise Http404
    filters = _board_filters(request)
    selector_filters = {k: filters[k] for k in ("status", "age_hours", "nudged", "overdue")}
    try:
        per_page = min(max(int(request.GET.get("per_page", 20)), 5), 100)
    except ValueError:
        per_page = 20
    page = paginate(
        request,
        selectors.board_orders(fetched_by=request.user, filters=selector_filters),
        per_page=per_page,
    )
    orders = list(page.object_list)
    selectors.attach_suggestions(orders)
    for order in orders:
        _decorate(order)
        order.can_dispatch = (
            order.status == OrderStatus.SUBMITTED  # type: ignore[attr-defined]
            and can_manage_site(request.user, order.handling_site)
        )
    context = {
        "page": page,
        "orders": orders,
        "filters": filters,
        "query": query_without_page(request),
        "status_choices": [("", _("进行中")), *OrderStatus.choices, ("all", _("全部"))],
        "age_choices": AGE_CHOICES,
        "refresh": BOARD_REFRESH_SECONDS,
        "board_url": _board_url(request),
    }
    if request.GET.get("partial") == "1":
        return render(request, "orders/_board_rows.html", context)
    return render(request, "orders/board.html", context)


@login_required
def assessment(request: HttpRequest) -> HttpResponse:
    """考核: township and county staff's queue of finished orders; complaints first."""
    if not is_manager(request.user):
        raise Http404
    assessor = services.is_assessor(request.user)
    page = paginate(request, selectors.assessment_queue(fetched_by=request.user))
    for order in page.object_list:
        _decorate(order)
    return render(request, "orders/assessment.html", {"page": page, "assessor": assessor})


@login_required
def items(request: HttpRequest) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404
    page = paginate(request, selectors.service_item_list(fetched_by=request.user), per_page=30)
    return render(request, "orders/items.html", {"page": page})


@login_required
def item_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404
    item = None
    if pk is not None:
        try:
            item = selectors.access_service_item(request.user, pk)
        except NotFoundError:
            raise Http404 from None
    sites = scope_queryset(
        Site.objects.exclude(level=SiteLevel.BASE).order_by("path"), request.user, site_field=""
    )
    initial: dict[str, Any] = {}
    if item is not None:
        initial = {
            f: getattr(item, f)
            for f in (
                "title",
                "category",
                "description",
                "duration_hours",
                "points_per_hour",
                "volunteers_needed",
                "is_active",
            )
        } | {"site": item.site_id}
    form = ServiceItemForm(
        request.POST or None, sites=sites, editing=item is not None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        site = data.pop("site")
        try:
            if item is None:
                item = services.service_item_create(actor=signed_in(request), site=site, **data)
                messages.success(request, f"已发布服务：{item.title}")
            else:
                item = services.service_item_update(
                    actor=signed_in(request), item_id=item.pk, **data
                )
                messages.success(request, f"已保存：{item.title}")
            return redirect("orders:items")
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
    return render(
        request,
        "orders/item_form.html",
        {"form": form, "item": item},
        status=400 if form.errors else 200,
    )


# --- one order ------------------------------------------------------------------------------
def _mine(order: ServiceOrder, user: User | AnonymousUser) -> Any:
    return next((a for a in order.assignments.all() if a.volunteer.user_id == user.pk), None)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _decorate(_access(request, pk))
    mine = _mine(order, request.user)
    actions = services.actions_for(order, signed_in(request), mine)
    suggestions = (
        selectors.dispatch_suggestions(order=order, fetched_by=request.user, limit=5)
        if "dispatch" in actions
        else []
    )
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "mine": mine,
            "actions": actions,
            "suggestions": suggestions,
            "steps": steps_for(order),
            "labels": services.ACTION_LABELS,
            "is_resident": request.user.pk == order.resident_id,
            "staff_view": can_manage_site(request.user, order.site),
            "extra_panels": panels.render("order_detail", request, order),
        },
    )


@dataclass(frozen=True)
class ActionPage:
    form: Callable[..., forms.Form]
    call: Callable[[HttpRequest, ServiceOrder, forms.Form], Any]
    done: str
    danger: bool = False


def _data(request: HttpRequest) -> Any:
    # Bound on every POST, even an empty one (accept, start and nudge send no fields).
    return request.POST if request.method == "POST" else None


def _dispatch_form(request: HttpRequest, order: ServiceOrder) -> forms.Form:
    suggestions = selectors.dispatch_suggestions(order=order, fetched_by=request.user, limit=30)
    return DispatchForm(_data(request), suggestions=suggestions)


def _assess_form(request: HttpRequest, order: ServiceOrder) -> forms.Form:
    served = [
        a
        for a in order.assignments.all()
        if a.status == AssignmentStatus.ACCEPTED and a.checked_out_at is not None
    ]
    return AssessForm(_data(request), served=served)


def _simple(form_class: type[forms.Form]) -> Callable[..., forms.Form]:
    def make(request: HttpRequest, order: ServiceOrder) -> forms.Form:
        if form_class is CompleteForm:
            return form_class(_data(request), request.FILES or None)
        return form_class(_data(request))

    return make


ACTIONS: dict[str, ActionPage] = {
    "dispatch": ActionPage(
        _dispatch_form,
        lambda r, o, f: services.order_dispatch(
            order_id=o.pk,
            actor=signed_in(r),
            volunteer_ids=f.cleaned_data["volunteers"],
            note=f.cleaned_data.get("note", ""),
        ),
        "已派单，等待志愿者接单。",
    ),
    "accept": ActionPage(
        _simple(ConfirmForm),
        lambda r, o, f: services.order_accept(order_id=o.pk, actor=signed_in(r)),
        "已接单，请按约定时间前往服务。",
    ),
    "decline": ActionPage(
        _simple(ReasonForm),
        lambda r, o, f: services.order_decline(
            order_id=o.pk, actor=signed_in(r), reason=f.cleaned_data["reason"]
        ),
        "已谢绝该派单。",
        True,
    ),
    "start": ActionPage(
        _simple(ConfirmForm),
        lambda r, o, f: services.order_start(order_id=o.pk, actor=signed_in(r)),
        "已签到，开始服务。",
    ),
    "complete": ActionPage(
        _simple(CompleteForm),
        lambda r, o, f: services.order_complete(
            order_id=o.pk,
            actor=signed_in(r),
            summary=f.cleaned_data["summary"],
            hours=f.cleaned_data.get("hours"),
            photos=f.cleaned_data.get("photos") or [],
        ),
        "已签退，服务完成。感谢您的付出！",
    ),
    "rate": ActionPage(
        _simple(RateForm),
        lambda r, o, f: services.order_rate(
            order_id=o.pk,
            actor=signed_in(r),
            score=f.cleaned_data["score"],
            comment=f.cleaned_data.get("comment", ""),
        ),
        "感谢您的评价！",
    ),
    "dispute": ActionPage(
        _simple(DisputeForm),
        lambda r, o, f: services.order_dispute(
            order_id=o.pk, actor=signed_in(r), text=f.cleaned_data["comment"]
        ),
        "投诉已提交县新时代文明实践中心。",
        True,
    ),
    "cancel": ActionPage(
        _simple(OptionalReasonForm),
        lambda r, o, f: services.order_cancel(
            order_id=o.pk, actor=signed_in(r), reason=f.cleaned_data.get("reason", "")
        ),
        "订单已取消。",
        True,
    ),
    "nudge": ActionPage(
        _simple(ConfirmForm),
        lambda r, o, f: services.order_nudge(order_id=o.pk, actor=signed_in(r)),
        "已催单，工作人员会尽快处理。",
    ),
    "reject": ActionPage(
        _simple(ReasonForm),
        lambda r, o, f: services.order_reject(
            order_id=o.pk, actor=signed_in(r), reason=f.cleaned_data["reason"]
        ),
        "已驳回该订单。",
        True,
    ),
    "escalate": ActionPage(
        _simple(OptionalReasonForm),
        lambda r, o, f: services.order_escalate(
            order_id=o.pk, actor=signed_in(r), reason=f.cleaned_data.get("reason", "")
        ),
        "已上报上级阵地。",
    ),
    "assess": ActionPage(
        _assess_form,
        lambda r, o, f: services.order_assess(
            order_id=o.pk,
            actor=signed_in(r),
            approved=f.cleaned_data["approved"],
            hours=f.hours(),  # type: ignore[attr-defined]
            comment=f.cleaned_data.get("comment", ""),
        ),
        "考核完成。",
    ),
}


@login_required
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """GET: the action's form (or confirmation); POST: run the service, back to the
    order (or to ``next``, e.g. the dispatch board)."""
    page = ACTIONS.get(action)
    if page is None:
        raise Http404
    order = _decorate(_access(request, pk))
    form = page.form(request, order)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                page.call(request, order, form)
            except NotFoundError:
                raise Http404 from None
            except (ValidationError, DomainError) as exc:
                add_service_errors(form, exc)
                status = getattr(exc, "status_code", 400)
            else:
                messages.success(request, page.done)
                return redirect(_safe_next(request, reverse("orders:detail", args=[order.pk])))
        else:
            status = 400
    return render(
        request,
        "orders/action.html",
        {
            "order": order,
            "form": form,
            "action": action,
            "label": services.ACTION_LABELS[action],
            "danger": page.danger,
            "next": _safe_next(request, ""),
            "multipart": action == "complete",
        },
        status=status,
    )
