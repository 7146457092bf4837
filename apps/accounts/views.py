from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from apps.core.pages import add_service_errors
from apps.sites.models import SiteLevel
from apps.sites.scoping import held_roles, is_global
from apps.sites.selectors import county_tree

from .actors import signed_in
from .claim import CODE_MINUTES, ClaimThrottledError, account_claim_code_send
from .forms import ClaimCompleteForm, ClaimStartForm, ProfileForm, RegisterForm
from .phone_in import resident_profile_save, saved_address
from .services import user_language_set


def home_context(request: HttpRequest) -> dict[str, Any]:
    """What every start page shows: the roles, the resident's point, the network."""
    roles = held_roles(request.user)
    role_names = {r.role for r in roles}
    tree = county_tree() if not request.user.is_authenticated else []
    villages = [r for r in roles if r.site_level == SiteLevel.VILLAGE and r.role == "resident"]
    return {
        "tree": tree,
        "role_names": role_names,
        "resident_site": villages[0] if villages else None,
        "is_global": is_global(request.user),
    }


def home(request: HttpRequest) -> HttpResponse:
    """Each role gets its own starting point; visitors see the portal and the network.
    (The day's work on it is added by ``apps.reports.start``, which sees every app.)"""
    return render(request, "home.html", home_context(request))


def register_attempt_allowed(request: HttpRequest) -> bool:
    """The registration page shares the API's ``register`` rate (THROTTLE_REGISTER,
    default 20/hour) per client address, as DRF computes it (NUM_PROXIES)."""
    return attempt_allowed(request, "register")


def attempt_allowed(request: HttpRequest, scope: str) -> bool:
    """DRF's scoped rate ``scope`` (settings' DEFAULT_THROTTLE_RATES) per client address."""
    from rest_framework.request import Request
    from rest_framework.throttling import ScopedRateThrottle
    from rest_framework.views import APIView

    view = APIView()
    view.throttle_scope = scope  # type: ignore[attr-defined]
    return ScopedRateThrottle().allow_request(Request(request), view)


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the throttles see it (NUM_PROXIES), if it is one."""
    import ipaddress

    from rest_framework.request import Request
    from rest_framework.throttling import BaseThrottle

    ident = BaseThrottle().get_ident(Request(request))
    try:
        return str(ipaddress.ip_address((ident or "").strip()))
    except ValueError:
        return None


def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST" and not register_attempt_allowed(request):
        return render(
            request,
            "accounts/register.html",
            {"form": RegisterForm(), "throttled": True},
            status=429,
        )
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = form.save()
        except ValidationError:
            pass  # the form now carries the field errors; nothing was saved
        else:
            login(request, user, backend="apps.accounts.backends.UsernameOrMobileBackend")
            messages.success(request, gettext("注册成功，欢迎使用！"))
            return redirect("home")
    return render(
        request, "accounts/register.html", {"form": form}, status=400 if form.errors else 200
    )


CLAIM_SESSION_KEY = "account_claim"


def claim_start(request: HttpRequest) -> HttpResponse:
    """Step 1 of claiming a staff-registered account: the mobile; a code goes by text
    if an unclaimed such account has it. The same answer whatever the number."""
    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST" and not attempt_allowed(request, "claim"):
        return render(
            request,
            "accounts/claim_start.html",
            {"form": ClaimStartForm(), "throttled": True},
            status=429,
        )
    form = ClaimStartForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            claim = account_claim_code_send(
                mobile=form.cleaned_data["mobile"],
                request_key=form.cleaned_data["token"],
                client_address=client_address(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except ClaimThrottledError as exc:
            add_service_errors(form, exc)
            status = 429
        else:
            request.session[CLAIM_SESSION_KEY] = claim.pk
            return redirect("accounts:claim_complete")
    if form.errors and status == 200:
        status = 400
    return render(request, "accounts/claim_start.html", {"form": form}, status=status)


def claim_complete(request: HttpRequest) -> HttpResponse:
    """Step 2: the code, a username and a password; then signed in."""
    if request.user.is_authenticated:
        return redirect("home")
    claim_id = request.session.get(CLAIM_SESSION_KEY)
    if not isinstance(claim_id, int):
        return redirect("accounts:claim")
    form = ClaimCompleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = form.save(claim_id=claim_id)
        except ValidationError:
            pass  # the form now carries the field errors
        else:
            login(request, user, backend="apps.accounts.backends.UsernameOrMobileBackend")
            request.session.pop(CLAIM_SESSION_KEY, None)
            messages.success(request, _("账号已开通，欢迎使用！以后可以用用户名或手机号登录。"))
            return redirect("home")
    return render(
        request,
        "accounts/claim_complete.html",
        {"form": form, "minutes": CODE_MINUTES},
        status=400 if form.errors else 200,
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    form = ProfileForm(
        request.POST or None, instance=user, initial={"address": saved_address(user)}
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        resident_profile_save(user=user, address=form.cleaned_data.get("address", ""))
        messages.success(request, gettext("个人资料已保存。"))
        return redirect("accounts:profile")
    return render(
        request, "accounts/profile.html", {"form": form, "roles": held_roles(request.user)}
    )


@require_POST
def toggle_large_text(request: HttpRequest) -> HttpResponse:
    """长辈模式: larger type, bigger controls, high contrast; remembered in a cookie."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    on = request.COOKIES.get(settings.LARGE_TEXT_COOKIE) != "1"
    if on:
        response.set_cookie(
            settings.LARGE_TEXT_COOKIE,
            "1",
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=request.is_secure(),
        )
    else:
        response.delete_cookie(settings.LARGE_TEXT_COOKIE)
    return response


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language switch: Django's ``set_language`` (the cookie), and for a signed-in
    user the choice remembered, so their e-mails and text messages follow it."""
    response = set_language(request)
    if request.user.is_authenticated:
        user_language_set(user=signed_in(request), language=request.POST.get("language", ""))
    return response


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    """County admins read (and export as CSV) the personal-data access log."""
    from django.core.paginator import Paginator

    from .access_log import access_log_csv, can_read_access_log
    from .models import PersonalDataAccess

    if not can_read_access_log(request.user):
        raise Http404
    rows = PersonalDataAccess.objects.select_related("viewer", "subject")
    if request.GET.get("format") == "csv":
        return access_log_csv(rows)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/access_log.html", {"page": page})
