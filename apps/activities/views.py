"""Activity pages: thin views over selectors and services; they work without
JavaScript (plain forms and links)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.actors import signed_in
from apps.core import panels
from apps.core.errors import DomainError, NotFoundError
from apps.core.media import protected_file
from apps.core.pages import add_service_errors, paginate, query_without_page
from apps.core.params import clean_query
from apps.sites.models import Site
from apps.sites.scoping import can_manage_site, held_roles, is_manager, scope_queryset
from apps.volunteers.models import Team, Volunteer

from . import selectors, services
from .api import ActivityFilterSerializer
from .forms import ActivityForm, InviteForm, ReasonForm, SignupForm, ThemeForm
from .models import Activity, ActivityStatus, Registration, RegistrationStatus, SignupStatus
from .services.workflow import ACTION_LABELS
from .timeline import event_text

STATUS_CLASS = {
    ActivityStatus.DRAFT: "status-warn",
    ActivityStatus.PUBLISHED: "status-ok",
    ActivityStatus.CANCELLED: "status-bad",
    ActivityStatus.FINISHED: "",
}


def _access(request: HttpRequest, pk: int) -> Activity:
    try:
        return selectors.access_activity(request.user, pk)
    except NotFoundError:
        raise Http404(_("活动不存在。")) from None


def _manageable_sites(request: HttpRequest) -> Any:
    return scope_queryset(
        Site.objects.filter(is_active=True), request.user, site_field=""
    ).order_by("path")


# --- lists ------------------------------------------------------------------------------------
@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    """Open activities of my site and the sites above it; staff also see what they run."""
    try:
        filters = clean_query(ActivityFilterSerializer, request.GET)
    except ValidationError:
        filters = {}
    show_past = request.GET.get("past") == "1"
    if not show_past:
        filters["upcoming"] = timezone.now()
    qs = selectors.activity_list(fetched_by=request.user, filters=filters)
    page = paginate(request, qs)
    for activity in page.object_list:
        activity.status_class = STATUS_CLASS.get(activity.status, "")
    return render(
        request,
        "activities/list.html",
        {
            "page": page,
            "query": query_without_page(request),
            "themes": selectors.themes_visible_to(request.user).order_by("-year", "-month")[:24],
            "categories": Activity._meta.get_field("category").choices,
            "filters": request.GET,
            "can_publish": is_manager(request.user),
            "show_past": show_past,
        },
    )


@login_required
def my_activities(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.my_signups(signed_in(request)))
    return render(request, "activities/mine.html", {"page": page})


# --- create and edit --------------------------------------------------------------------------
def _form_themes(request: HttpRequest) -> Any:
    return selectors.themes_visible_to(request.user).order_by("-year", "-month")


@login_required
def activity_create(request: HttpRequest) -> HttpResponse:
    actor = signed_in(request)
    sites = list(_manageable_sites(request)[:500])
    if not sites:
        raise Http404
    form = ActivityForm(request.POST or None, request.FILES or None, themes=_form_themes(request))
    chosen = request.POST.get("site") or str(sites[0].pk)
    if request.method == "POST" and form.is_valid():
        site = next((s for s in sites if str(s.pk) == chosen), None)
        try:
            activity = services.activity_create(
                actor=actor,
                site=site,
                roles=form.roles(),
                cover=form.cleaned_data.get("cover"),
                **form.activity_fields(),
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("活动草稿已保存，确认无误后请发布。"))
            return redirect("activities:detail", activity.pk)
    return render(
        request,
        "activities/form.html",
        {"form": form, "sites": sites, "chosen_site": chosen, "activity": None},
    )


@login_required
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = signed_in(request)
    activity = _access(request, pk)
    if not can_manage_site(actor, activity.site):
        raise Http404
    initial: dict[str, Any] = {
        name: getattr(activity, name) for name in services.publishing.EDITABLE
    }
    for key in ("starts_at", "ends_at", "signup_deadline"):
        initial[key] = timezone.localtime(initial[key])
    for i, role in enumerate(activity.roles.all(), start=1):
        initial |= {
            f"role{i}_name": role.name,
            f"role{i}_slots": role.slots,
            f"role{i}_skill": role.skill,
        }
    form = ActivityForm(
        request.POST or None, request.FILES or None, initial=initial, themes=_form_themes(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(
                actor=actor,
                activity_id=pk,
                roles=form.roles(),
                cover=form.cleaned_data.get("cover"),
                **form.activity_fields(),
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("活动已修改。"))
            return redirect("activities:detail", pk)
    return render(request, "activities/form.html", {"form": form, "activity": activity})


# --- detail -----------------------------------------------------------------------------------
@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request)
    activity = _access(request, pk)
    organiser = can_manage_site(user, activity.site)
    mine = selectors.my_signup(activity, user)
    volunteer = Volunteer.objects.filter(user=user).select_related("site").first()
    roles = list(activity.roles.all())
    context: dict[str, Any] = {
        "activity": activity,
        "status_class": STATUS_CLASS.get(ActivityStatus(activity.status), ""),
        "organiser": organiser,
        "mine": mine,
        "roles": roles,
        "registration": Registration.objects.filter(
            activity=activity, user=user, status=RegistrationStatus.REGISTERED
        ).first(),
        "residents": services.registration_counts(activity),
        "is_resident": any(
            r.role == "resident" and r.site_path.startswith(activity.site.path)
            for r in held_roles(user)
        ),
        "can_sign_up": volunteer is not None
        and activity.status == ActivityStatus.PUBLISHED
        and volunteer.site.is_within(activity.site)
        and timezone.now() < activity.signup_deadline
        and (mine is None or mine.status not in ("pending", "confirmed", "waitlisted")),
        "signup_form": SignupForm(roles=roles),
        "extra_panels": panels.render("activity_detail", request, activity),
    }
    if mine is not None and mine.status == SignupStatus.WAITLISTED:
        context["waitlist_position"] = selectors.waitlist_position(mine)
    if organiser:
        context["signups"] = list(selectors.signups_of(activity))
        context["events"] = [
            (e, event_text(e, str(ACTION_LABELS.get(e.action, e.action))))
            for e in selectors.events_of(activity)
        ]
        teams = (
            Team.objects.filter(is_active=True, site__path__startswith=activity.site.path)
            .select_related("site")
            .order_by("name")[:100]
        )
        context["invite_form"] = InviteForm(
            roles=roles, teams=[t for t in teams if can_manage_site(user, t.site)]
        )
        context["cancel_form"] = ReasonForm()
    return render(request, "activities/detail.html", context)


def _run(request: HttpRequest, pk: int, fn: Callable[[], Any], done: str) -> HttpResponse:
    try:
        fn()
    except NotFoundError:
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("activities:detail", pk)


@login_required
@require_POST
def activity_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = signed_in(request)
    moves: dict[str, tuple[Callable[[], Any], str]] = {
        "publish": (
            lambda: services.activity_publish(actor=actor, activity_id=pk),
            _("活动已发布，志愿者可以报名了。"),
        ),
        "finish": (
            lambda: services.activity_finish(actor=actor, activity_id=pk),
            _("活动已结束。"),
        ),
        "withdraw": (
            lambda: services.signup_withdraw(actor=actor, activity_id=pk),
            _("您已退出报名。"),
        ),
        "register": (
            lambda: services.registration_create(actor=actor, activity_id=pk),
            _("报名成功，请按时参加。"),
        ),
        "unregister": (
            lambda: services.registration_cancel(actor=actor, activity_id=pk),
            _("已取消参加。"),
        ),
        "decline-invite": (
            lambda: services.invite_answer(actor=actor, activity_id=pk, accept=False),
            _("已谢绝邀请。"),
        ),
    }
    if action == "cancel":
        form = ReasonForm(request.POST)
        reason = form.data.get("reason", "")
        moves["cancel"] = (
            lambda: services.activity_cancel(actor=actor, activity_id=pk, reason=reason),
            _("活动已取消，已通知报名的人。"),
        )
    if action not in moves:
        raise Http404
    fn, done = moves[action]
    return _run(request, pk, fn, done)


@login_required
@require_POST
def signup(request: HttpRequest, pk: int) -> HttpResponse:
    """Sign up (or accept an invitation): a clash with another activity or an order
    shows the clash and asks again, with the confirm box to tick."""
    actor = signed_in(request)
    activity = _access(request, pk)
    form = SignupForm(request.POST, roles=list(activity.roles.all()))
    accept_invite = request.POST.get("invite") == "1"
    if not form.is_valid() and not accept_invite:
        messages.error(request, _("请选择岗位。"))
        return redirect("activities:detail", pk)
    confirm = bool(request.POST.get("confirm_overlap"))
    try:
        if accept_invite:
            result = services.invite_answer(
                actor=actor, activity_id=pk, accept=True, confirm_overlap=confirm
            )
        else:
            result, _created = services.signup_create(
                actor=actor,
                activity_id=pk,
                role_id=form.cleaned_data["role"],
                confirm_overlap=confirm,
                idempotency_key=request.POST.get("request_key") or None,
            )
    except NotFoundError:
        raise Http404 from None
    except DomainError as exc:
        if exc.code == "overlap":
            return render(
                request,
                "activities/overlap.html",
                {
                    "activity": activity,
                    "overlaps": exc.errors.get("overlaps", []),
                    "role": request.POST.get("role", ""),
                    "invite": accept_invite,
                },
                status=409,
            )
        messages.error(request, exc.message)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if result.status == SignupStatus.WAITLISTED:
            messages.info(request, _("岗位已满，您已进入候补，有人退出时按顺序递补。"))
        elif result.status == SignupStatus.PENDING:
            messages.success(request, _("报名已提交，等待工作人员审核。"))
        else:
            messages.success(request, _("报名成功！"))
    return redirect("activities:detail", pk)


@login_required
@require_POST
def signup_decide(request: HttpRequest, pk: int, signup_id: int, decision: str) -> HttpResponse:
    actor = signed_in(request)
    if decision == "approve":
        return _run(
            request,
            pk,
            lambda: services.signup_approve(actor=actor, activity_id=pk, signup_id=signup_id),
            _("已通过报名。"),
        )
    if decision == "refuse":
        reason = request.POST.get("reason", "")
        return _run(
            request,
            pk,
            lambda: services.signup_refuse(
                actor=actor, activity_id=pk, signup_id=signup_id, reason=reason
            ),
            _("已不通过该报名。"),
        )
    raise Http404


@login_required
@require_POST
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    actor = signed_in(request)
    activity = _access(request, pk)
    teams = Team.objects.filter(is_active=True, site__path__startswith=activity.site.path)[:100]
    form = InviteForm(request.POST, roles=list(activity.roles.all()), teams=teams)
    if not form.is_valid():
        messages.error(request, _("请选择岗位，以及服务队或志愿者编号。"))
        return redirect("activities:detail", pk)
    numbers = [n for n in re.split(r"[\s,，、]+", form.cleaned_data["numbers"]) if n][:200]
    ids = list(Volunteer.objects.filter(number__in=numbers).values_list("pk", flat=True))
    team = form.cleaned_data.get("team")
    if not team and not ids:
        messages.error(request, _("没有找到这些编号的志愿者。"))
        return redirect("activities:detail", pk)

    def run() -> None:
        invited = services.signup_invite(
            actor=actor,
            activity_id=pk,
            role_id=form.cleaned_data["role"],
            volunteer_ids=ids,
            team_id=team,
        )
        messages.info(request, _("已邀请 %(n)s 人。") % {"n": len(invited)})

    return _run(request, pk, run, _("邀请已发出。"))


# --- themes -----------------------------------------------------------------------------------
@login_required
def theme_calendar(request: HttpRequest) -> HttpResponse:
    """一月一主题: the year's calendar; county admins set each month's theme here."""
    actor = signed_in(request)
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    year = min(max(year, 2000), 2100)
    counties = services.theme_counties(actor)
    editable = bool(counties)
    if not counties:
        county_ids = {t.site_id for t in selectors.themes_visible_to(actor)[:1]}
        counties = list(Site.objects.filter(pk__in=county_ids))
    county = counties[0] if counties else None
    forms_by_month: dict[int, ThemeForm] = {}
    if request.method == "POST" and editable:
        try:
            month = int(request.POST.get("month", "0"))
        except ValueError:
            month = 0
        form = ThemeForm(request.POST, prefix=f"m{month}")
        if request.POST.get("delete") and request.POST.get("theme"):
            try:
                services.theme_delete(actor=actor, theme_id=request.POST["theme"])
            except NotFoundError:
                raise Http404 from None
            messages.success(request, _("已删除该月主题。"))
            return redirect(f"{request.path}?year={year}")
        if form.is_valid():
            try:
                services.theme_set(
                    actor=actor,
                    year=year,
                    month=month,
                    site_id=county.pk if county else None,
                    **form.cleaned_data,
                )
            except (ValidationError, DomainError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("月度主题已保存。"))
                return redirect(f"{request.path}?year={year}")
        forms_by_month[month] = form
    months = []
    for month, theme in selectors.theme_calendar(county, year) if county else []:
        form = forms_by_month.get(month) or ThemeForm(
            prefix=f"m{month}",
            initial={"title": theme.title, "guidance": theme.guidance} if theme else None,
        )
        months.append({"month": month, "theme": theme, "form": form})
    return render(
        request,
        "activities/themes.html",
        {
            "year": year,
            "county": county,
            "months": months,
            "editable": editable,
            "prev_year": year - 1,
            "next_year": year + 1,
        },
    )


@login_required
def cover(request: HttpRequest, pk: int, variant: str = "image") -> HttpResponseBase:
    """The cover photo, only to people who may see the activity (404 otherwise)."""
    activity = _access(request, pk)
    image = activity.cover_thumb if variant == "thumb" else activity.cover
    if not image:
        raise Http404
    return protected_file(image.name)
