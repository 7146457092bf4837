"""Volunteer pages: apply, my profile, the staff roster with its approval queue,
volunteer detail with review actions, teams, certificates and the public check."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from apps.accounts.actors import signed_in
from apps.core.errors import DomainError
from apps.core.media import protected_file
from apps.core.pages import add_service_errors, paginate, query_without_page
from apps.sites.models import Site
from apps.sites.scoping import is_manager, scope_queryset

from . import selectors, services
from .forms import (
    ApplyForm,
    CertificateForm,
    MemberForm,
    ReasonForm,
    ServiceRecordForm,
    TeamForm,
    mask_from_slots,
    slots_from_mask,
)
from .idcard import mask_name
from .models import (
    PERIODS,
    WEEKDAYS,
    ServiceCategory,
    Volunteer,
    VolunteerStatus,
    availability_bit,
)
from .services import REAPPLY_FROM
from .stars import next_level_hours


def _manager_only(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise Http404


def _access(request: HttpRequest, pk: Any) -> Volunteer:
    try:
        return selectors.access_volunteer(request.user, pk)
    except DomainError:
        raise Http404 from None


def _availability_grid(mask: int) -> list[dict[str, Any]]:
    return [
        {"day": day, "slots": [bool(mask & availability_bit(d, i)) for i in range(len(PERIODS))]}
        for d, day in enumerate(WEEKDAYS)
    ]


# --- the volunteer's own pages --------------------------------------------------------
@login_required
def apply(request: HttpRequest) -> HttpResponse:
    existing = selectors.volunteer_of(request.user)
    if existing and existing.status not in REAPPLY_FROM:
        messages.info(request, "您已提交过志愿者申请，这里是您的志愿者档案。")
        return redirect("volunteers:me")
    initial: dict[str, Any] = {
        "real_name": getattr(request.user, "real_name", ""),
        "mobile": getattr(request.user, "mobile", ""),
    }
    if existing:
        initial.update(
            real_name=existing.real_name,
            mobile=existing.mobile,
            site=existing.site_id,
            skills=existing.skill_codes,
            specialties=existing.specialties,
            service_area=existing.service_area,
            availability=slots_from_mask(existing.availability),
            emergency_contact_name=existing.emergency_contact_name,
            emergency_contact_phone=existing.emergency_contact_phone,
        )
    form = ApplyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["availability"] = mask_from_slots(data["availability"])
        try:
            services.volunteer_apply(user=signed_in(request), **data)
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "申请已提交，请等待阵地工作人员审核。")
            return redirect("volunteers:me")
    slot_rows = [
        {"day": day, "slots": [{"value": f"{d}-{code}", "label": label} for code, label in PERIODS]}
        for d, day in enumerate(WEEKDAYS)
    ]
    return render(
        request,
        "volunteers/apply.html",
        {
            "form": form,
            "existing": existing,
            "periods": PERIODS,
            "slot_rows": slot_rows,
        },
        status=400 if form.errors else 200,
    )


@login_required
def me(request: HttpRequest) -> HttpResponse:
    volunteer = selectors.volunteer_of(request.user)
    if volunteer is None:
        return render(request, "volunteers/me_empty.html")
    records = paginate(request, selectors.service_records_of(volunteer))
    return render(
        request,
        "volunteers/me.html",
        {
            "v": volunteer,
            "records": records,
            "page": records,
            "certificates": volunteer.certificates.select_related("issuing_site").order_by("-id"),
            "to_next": next_level_hours(volunteer.hours),
            "grid": _availability_grid(volunteer.availability),
            "periods": PERIODS,
            "can_reapply": volunteer.status in REAPPLY_FROM,
        },
    )


@login_required
def withdraw(request: HttpRequest) -> HttpResponse:
    """Leaving is destructive: GET asks for confirmation, POST does it."""
    volunteer = selectors.volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    if request.method == "POST":
        try:
            services.volunteer_withdraw(
                volunteer=volunteer, actor=signed_in(request), reason=request.POST.get("reason", "")
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "您已退出志愿者队伍。感谢您的付出！")
        return redirect("volunteers:me")
    return render(request, "volunteers/withdraw_confirm.html", {"v": volunteer})


# --- staff: roster and review ---------------------------------------------------------
@login_required
def roster(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    filters = {
        k: request.GET.get(k, "") for k in ("status", "skill", "team", "star_level", "q", "site")
    }
    qs = selectors.volunteer_list(fetched_by=request.user, filters=filters)
    page = paginate(request, qs)
    counts = selectors.status_counts(fetched_by=request.user)
    return render(
        request,
        "volunteers/roster.html",
        {
            "page": page,
            "filters": filters,
            "query": query_without_page(request),
            "statuses": VolunteerStatus.choices,
            "skills": ServiceCategory.choices,
            "teams": selectors.team_list(fetched_by=request.user),
            "sites": scope_queryset(Site.objects.order_by("path"), request.user, site_field=""),
            "counts": counts,
            "pending_count": counts.get(VolunteerStatus.PENDING, 0),
            "stars": range(0, 6),
        },
    )


@login_required
def detail(request: HttpRequest, pk: int, revealed: dict[str, str] | None = None) -> HttpResponse:
    _manager_only(request)
    volunteer = _access(request, pk)
    if volunteer.user_id == request.user.pk:
        return redirect("volunteers:me")
    sites = scope_queryset(
        Site.objects.filter(is_active=True).order_by("path"), request.user, site_field=""
    )
    return render(
        request,
        "volunteers/detail.html",
        {
            "v": volunteer,
            "shown_mobile": (revealed or {}).get("mobile")
            or selectors.volunteer_mobile_for(request.user, volunteer),
            "shown_id_number": (revealed or {}).get("id_number")
            or selectors.id_number_for(request.user, volunteer),
            "revealed": revealed or {},
            "events": volunteer.events.select_related("actor").order_by("-created_at", "-id")[:50],
            "records": selectors.service_records_of(volunteer)[:50],
            "certificates": volunteer.certificates.select_related("issuing_site").order_by("-id"),
            "reason_form": ReasonForm(),
            "record_form": ServiceRecordForm(
                sites=sites,
                initial={"site": volunteer.site_id, "service_date": timezone.localdate()},
            ),
            "certificate_form": CertificateForm(),
            "grid": _availability_grid(volunteer.availability),
            "periods": PERIODS,
        },
    )


@login_required
@require_POST
def reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """The "show" button: the full ID-card number or mobile, logged."""
    _manager_only(request)
    volunteer = _access(request, pk)
    try:
        value = services.volunteer_reveal(
            actor=signed_in(request), volunteer=volunteer, field=field, source=request.path
        )
    except ValidationError:
        raise Http404 from None
    response = detail(request, pk, revealed={field: value})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def review(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _manager_only(request)
    volunteer = _access(request, pk)
    reason = request.POST.get("reason", "")
    funcs = {
        "approve": lambda: services.volunteer_approve(
            volunteer=volunteer, actor=signed_in(request)
        ),
        "reject": lambda: services.volunteer_reject(
            volunteer=volunteer, actor=signed_in(request), reason=reason
        ),
        "suspend": lambda: services.volunteer_suspend(
            volunteer=volunteer, actor=signed_in(request), reason=reason
        ),
    }
    if action not in funcs or volunteer.user_id == request.user.pk:
        raise Http404
    try:
        updated = funcs[action]()
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{updated.real_name}：{updated.get_status_display()}")
    if request.POST.get("next") == "queue":
        return redirect(f"{reverse('volunteers:roster')}?status=pending")
    return redirect("volunteers:detail", pk=pk)


@login_required
@require_POST
def record_service(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    volunteer = _access(request, pk)
    sites = scope_queryset(Site.objects.filter(is_active=True), request.user, site_field="")
    form = ServiceRecordForm(request.POST, sites=sites)
    if form.is_valid():
        try:
            services.service_record_add(
                actor=signed_in(request), volunteer=volunteer, **form.cleaned_data
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "服务记录已保存，时长已计入。")
            return redirect("volunteers:detail", pk=pk)
    for field, errs in form.errors.items():
        for e in errs:
            messages.error(
                request, f"{form.fields[field].label if field in form.fields else ''} {e}".strip()
            )
    return redirect("volunteers:detail", pk=pk)


@login_required
@require_POST
def issue_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    volunteer = _access(request, pk)
    form = CertificateForm(request.POST)
    if form.is_valid():
        try:
            cert = services.certificate_issue(
                actor=signed_in(request), volunteer=volunteer, notes=form.cleaned_data["notes"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已开具志愿服务记录证明 {cert.number}")
            return redirect("volunteers:certificate", number=cert.number)
    return redirect("volunteers:detail", pk=pk)


# --- teams ----------------------------------------------------------------------------
@login_required
def teams(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    sites = scope_queryset(
        Site.objects.filter(is_active=True).order_by("path"), request.user, site_field=""
    )
    form = TeamForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(actor=signed_in(request), **form.cleaned_data)
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已成立服务队：{team.name}")
            return redirect("volunteers:team", pk=team.pk)
    page = paginate(request, selectors.team_list(fetched_by=request.user))
    return render(
        request,
        "volunteers/teams.html",
        {"page": page, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def team(request: HttpRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    try:
        obj = selectors.access_team(request.user, pk)
    except DomainError:
        raise Http404 from None
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        term = form.cleaned_data["volunteer"].strip()
        candidate = (
            selectors.volunteer_list(fetched_by=request.user, filters={})
            .filter(number=term)
            .first()
            or selectors.volunteer_list(fetched_by=request.user, filters={})
            .filter(mobile=term)
            .first()
        )
        if candidate is None:
            form.add_error("volunteer", "在您的管理范围内没有找到该志愿者。")
        else:
            try:
                services.team_add_member(
                    actor=signed_in(request),
                    team=obj,
                    volunteer=candidate,
                    is_leader=form.cleaned_data["is_leader"],
                )
            except (ValidationError, DomainError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"{candidate.real_name} 已加入 {obj.name}")
                return redirect("volunteers:team", pk=pk)
    return render(
        request,
        "volunteers/team.html",
        {
            "team": obj,
            "members": selectors.team_members(obj),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
def team_remove(request: HttpRequest, pk: int, volunteer_id: int) -> HttpResponse:
    """Removing a member: GET confirms, POST removes."""
    _manager_only(request)
    try:
        obj = selectors.access_team(request.user, pk)
        volunteer = selectors.access_volunteer(request.user, volunteer_id)
    except DomainError:
        raise Http404 from None
    if request.method == "POST":
        services.team_remove_member(actor=signed_in(request), team=obj, volunteer=volunteer)
        messages.success(request, f"{volunteer.real_name} 已移出 {obj.name}")
        return redirect("volunteers:team", pk=pk)
    return render(request, "volunteers/team_remove_confirm.html", {"team": obj, "v": volunteer})


# --- certificates ---------------------------------------------------------------------
TWO_COLUMN_FROM = 30  # service rows; one column of up to 30 fits an A4 page


@login_required
def certificate(request: HttpRequest, number: str) -> HttpResponse:
    try:
        cert = selectors.access_certificate(request.user, number)
    except DomainError:
        raise Http404 from None
    services = cert.content.get("services", [])
    # A long record prints in two side-by-side columns so it stays on one A4 page.
    half = (len(services) + 1) // 2
    columns = [services[:half], services[half:]] if len(services) > TWO_COLUMN_FROM else [services]
    return render(
        request,
        "volunteers/certificate.html",
        {
            "cert": cert,
            "c": cert.content,
            "columns": columns,
        },
    )


@require_safe
def certificate_seal(request: HttpRequest, number: str) -> HttpResponseBase:
    """The issuing site's seal printed on a certificate: for whoever may see the
    certificate, 404 for anyone else (a seal image is not for strangers to copy)."""
    try:
        cert = selectors.access_certificate(request.user, number)
    except DomainError:
        raise Http404 from None
    return protected_file(cert.content.get("issuer", {}).get("seal"))


def verify(request: HttpRequest) -> HttpResponse:
    """Public certificate check: masked name, total hours, issuer — nothing more."""
    number, code = request.GET.get("number", ""), request.GET.get("code", "")
    result = None
    searched = bool(number or code)
    if searched:
        cert = selectors.certificate_verify(number=number, code=code)
        if cert is not None:
            result = {
                "number": cert.number,
                "name": mask_name(cert.volunteer.real_name),
                "total_hours": cert.total_hours,
                "issuer": cert.issuing_site.name,
                "issued_on": cert.issued_on,
            }
    return render(
        request,
        "volunteers/verify.html",
        {
            "number": number,
            "code": code,
            "result": result,
            "searched": searched,
        },
        status=404 if searched and result is None else 200,
    )
