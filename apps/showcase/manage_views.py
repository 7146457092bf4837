"""Staff and editor pages: my posts and the review queue, drafting (also from a
finished activity or an assessed order), editing, and the review moves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.actors import signed_in
from apps.activities.models import Activity
from apps.core.errors import DomainError, NotFoundError
from apps.core.pages import add_service_errors, paginate
from apps.orders.models import ServiceOrder
from apps.sites.models import Site
from apps.sites.scoping import scope_queryset

from . import selectors, services
from .content import photos_of
from .forms import CommentForm, NoteForm, PostForm, ReasonForm, SubmitForm
from .models import PostStatus
from .views import STATUS_CLASS


def _require_user(request: HttpRequest) -> None:
    if not selectors.may_use_showcase(request.user):
        raise Http404


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """The review queue (what waits for me) and the posts of my sites."""
    _require_user(request)
    status = request.GET.get("status", "")
    statuses = [status] if status in PostStatus.values else None
    queue = list(selectors.review_queue(fetched_by=request.user)[:50])
    page = paginate(request, selectors.managed_posts(fetched_by=request.user, status=statuses))
    for post in [*queue, *page.object_list]:
        post.status_class = STATUS_CLASS.get(post.status, "")
    return render(
        request,
        "showcase/manage.html",
        {
            "queue": queue,
            "page": page,
            "status": status,
            "statuses": PostStatus.choices,
            "query": f"status={status}" if statuses else "",
            "can_write": bool(_sites(request)[:1]),
        },
    )


def _sites(request: HttpRequest) -> Any:
    return scope_queryset(
        Site.objects.filter(is_active=True), request.user, site_field=""
    ).order_by("path")


def _source(request: HttpRequest) -> tuple[Activity | None, ServiceOrder | None]:
    def pick(model: Any, key: str) -> Any:
        raw = request.GET.get(key) or request.POST.get(key) or ""
        return (
            model.objects.select_related("site").filter(pk=int(raw)).first()
            if raw.isdigit() and len(raw) < 12
            else None
        )

    return pick(Activity, "activity"), pick(ServiceOrder, "order")


@login_required
def create(request: HttpRequest) -> HttpResponse:
    actor = signed_in(request)
    sites = list(_sites(request)[:500])
    if not sites:
        raise Http404
    activity, order = _source(request)
    source_site = activity.site if activity else order.site if order else None
    initial = {"title": activity.title if activity else (order.service.title if order else "")}
    form = PostForm(request.POST or None, request.FILES or None, initial=initial)
    chosen = request.POST.get("site") or str(source_site.pk if source_site else sites[0].pk)
    if request.method == "POST" and form.is_valid():
        site = next((s for s in sites if str(s.pk) == chosen), None)
        try:
            post, _created = services.post_create(
                actor=actor,
                site=site,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                activity_id=activity.pk if activity else None,
                order_id=order.pk if order else None,
                photos=form.cleaned_data["photos"],
                copy_source_photos=request.POST.get("copy_photos") == "1",
                idempotency_key=request.POST.get("request_key") or None,
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("草稿已保存。确认无误后请提交审核。"))
            return redirect("showcase:detail", post.pk)
    prefill = services.source_photos(activity, order) if (activity or order) else []
    return render(
        request,
        "showcase/form.html",
        {
            "form": form,
            "sites": sites,
            "chosen_site": chosen,
            "post": None,
            "activity": activity,
            "order": order,
            "prefill_count": len(prefill),
        },
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = signed_in(request)
    try:
        post = selectors.access_post(actor, pk)
    except NotFoundError:
        raise Http404 from None
    if not services.may_author(actor, post.site):
        raise Http404
    form = PostForm(
        request.POST or None,
        request.FILES or None,
        initial={"title": post.title, "body": post.body},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.post_update(
                actor=actor,
                post_id=pk,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
            for upload in form.cleaned_data["photos"]:
                services.post_photo_add(actor=actor, post_id=pk, photo=upload)
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("稿件已修改。"))
            return redirect("showcase:detail", pk)
    return render(
        request,
        "showcase/form.html",
        {"form": form, "post": post, "photos": photos_of(post)},
    )


def _form_value(form: Any, field: str) -> str:
    return str(form.cleaned_data.get(field, "")) if form.is_valid() else ""


@login_required
@require_POST
def action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = signed_in(request)
    moves: dict[str, tuple[Callable[[], Any], str]] = {}
    if action == "submit":
        consent = SubmitForm(request.POST).is_valid()
        moves["submit"] = (
            lambda: services.post_submit(actor=actor, post_id=pk, consent=consent),
            _("已提交审核。"),
        )
    elif action == "approve":
        note = _form_value(NoteForm(request.POST), "note")
        moves["approve"] = (
            lambda: services.post_approve(actor=actor, post_id=pk, note=note),
            _("已审核通过。"),
        )
    elif action == "return":
        comment = _form_value(CommentForm(request.POST), "comment")
        moves["return"] = (
            lambda: services.post_return(actor=actor, post_id=pk, comment=comment),
            _("已退回作者修改。"),
        )
    elif action in ("reject", "unpublish"):
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请写明原因并勾选确认。"))
            return redirect("showcase:detail", pk)
        reason = form.cleaned_data["reason"]
        service = services.post_reject if action == "reject" else services.post_unpublish
        done = _("已不予通过。") if action == "reject" else _("已撤稿。")
        moves[action] = (lambda: service(actor=actor, post_id=pk, reason=reason), done)
    elif action == "remove-photo":
        photo_id = request.POST.get("photo", "")
        moves[action] = (
            lambda: services.post_photo_remove(actor=actor, post_id=pk, photo_id=photo_id),
            _("照片已删除。"),
        )
    if action not in moves:
        raise Http404
    fn, done = moves[action]
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
    if action == "remove-photo":
        return redirect("showcase:edit", pk)
    return redirect("showcase:detail", pk)
