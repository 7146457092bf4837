"""Writing a post: drafting (also from a finished activity or an assessed order, with
its photos), editing, adding and removing photos. Only while it is a draft or has
been returned for changes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.activities.models import Activity, ActivityStatus
from apps.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from apps.core.types import Id
from apps.orders.models import OrderStatus, ServiceOrder
from apps.sites.models import Site

from ..models import MAX_PHOTOS, PostPhoto, PostStatus, ShowcasePost
from ..photos import post_images
from .workflow import check_transition, lock_post, may_author, record, require_author

_KEY_RE = re.compile(r"^[\x21-\x7e]{1,100}$")  # printable ASCII, like the orders API
MAX_TITLE = 100
MAX_BODY = 5000


def _text(title: str, body: str) -> tuple[str, str]:
    title, body = str(title or "").strip(), str(body or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [gettext("请填写标题。")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [gettext("标题不能超过 %(n)s 个字。") % {"n": MAX_TITLE}]
    if not body:
        errors["body"] = [gettext("请填写正文。")]
    elif len(body) > MAX_BODY:
        errors["body"] = [gettext("正文不能超过 %(n)s 个字。") % {"n": MAX_BODY}]
    if errors:
        raise ValidationError(errors)
    return title, body


def _source(
    actor: User, activity_id: Id | None, order_id: Id | None
) -> tuple[Activity | None, ServiceOrder | None]:
    """The finished activity or assessed order the post reports on, if the actor runs it."""
    activity = order = None
    if activity_id not in (None, ""):
        activity = Activity.objects.select_related("site").filter(pk=int(activity_id)).first()
        if activity is None or not may_author(actor, activity.site):
            raise NotFoundError(gettext("活动不存在。"), code="activity_not_found")
        if activity.status != ActivityStatus.FINISHED:
            raise ConflictError(gettext("活动结束后才能晒成果。"), code="activity_not_finished")
    if order_id not in (None, ""):
        order = ServiceOrder.objects.select_related("site").filter(pk=int(order_id)).first()
        if order is None or not may_author(actor, order.site):
            raise NotFoundError(gettext("点单不存在。"), code="order_not_found")
        if order.status != OrderStatus.ASSESSED:
            raise ConflictError(gettext("点单考核后才能晒成果。"), code="order_not_assessed")
    return activity, order


def _add_photo(post: ShowcasePost, upload: UploadedFile | File[Any], position: int) -> PostPhoto:
    try:
        images = post_images(cast(UploadedFile, upload))
    except ValidationError as exc:
        raise ValidationError({"photos": exc.messages}) from None
    photo = PostPhoto(post=post, position=position, width=images.width, height=images.height)
    photo.original.save(images.original.name or "photo.jpg", images.original, save=False)
    photo.web.save(images.web.name or "web.jpg", images.web, save=False)
    photo.thumb.save(images.thumb.name or "thumb.jpg", images.thumb, save=False)
    photo.save()
    return photo


def _copy(field: FieldFile) -> File[Any] | None:
    """A stored upload (an order's check-out photo, an activity's cover) to clean again."""
    try:
        return File(field.open("rb"), name=field.name)
    except (OSError, ValueError):
        return None  # a file gone from the disk: the post is prefilled without it


def source_photos(activity: Activity | None, order: ServiceOrder | None) -> list[FieldFile]:
    """The photos a post about ``activity`` or ``order`` starts with."""
    found: list[FieldFile] = []
    if activity is not None and activity.cover:
        found.append(activity.cover)
    if order is not None:
        found += [p.image for p in order.photos.all()[:MAX_PHOTOS]]
    return found[:MAX_PHOTOS]


def _check_count(n: int) -> None:
    if n > MAX_PHOTOS:
        raise ValidationError({"photos": [gettext("最多 %(n)s 张照片。") % {"n": MAX_PHOTOS}]})


def post_create(
    *,
    actor: User,
    site: Site | None,
    title: str,
    body: str,
    activity_id: Id | None = None,
    order_id: Id | None = None,
    photos: Sequence[UploadedFile] = (),
    copy_source_photos: bool = True,
    idempotency_key: str | None = None,
) -> tuple[ShowcasePost, bool]:
    """Draft a post at ``site`` (default: the activity's or order's site). With an
    ``idempotency_key`` a repeat by the same user returns the first post and
    ``created=False``."""
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not _KEY_RE.match(idempotency_key):
            raise ValidationError(
                {"idempotency_key": [gettext("Idempotency-Key 应为 1 到 100 个可见 ASCII 字符。")]}
            )
        existing = ShowcasePost.objects.filter(
            created_by=actor, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            if existing.title != str(title or "").strip():
                raise ConflictError(
                    gettext("该 Idempotency-Key 已用于另一篇稿件，请为新的稿件使用新的键。"),
                    code="idempotency_key_reused",
                )
            return existing, False
    title, body = _text(title, body)
    activity, order = _source(actor, activity_id, order_id)
    site = site or (activity.site if activity else order.site if order else None)
    if site is None:
        raise ValidationError({"site": [gettext("请选择阵地。")]})
    if not may_author(actor, site):
        raise PermissionDeniedError(gettext("只能为自己管理的阵地发稿。"), code="not_author")
    copies = source_photos(activity, order) if copy_source_photos else []
    _check_count(len(copies) + len(photos))
    now = timezone.now()
    try:
        with transaction.atomic():
            post = ShowcasePost(
                site=site,
                title=title,
                body=body,
                activity=activity,
                order=order,
                status=PostStatus.DRAFT,
                status_changed_at=now,
                created_by=actor,
                idempotency_key=idempotency_key,
            )
            post.save()
            record(post, action="create", actor=actor, to=PostStatus.DRAFT, now=now)
            position = 0
            for field in copies:
                upload = _copy(field)
                if upload is not None:
                    with upload:
                        _add_photo(post, upload, position)
                    position += 1
            for upload in photos:
                _add_photo(post, upload, position)
                position += 1
    except IntegrityError:
        existing = (
            ShowcasePost.objects.filter(created_by=actor, idempotency_key=idempotency_key).first()
            if idempotency_key
            else None
        )
        if existing is None:
            raise
        return existing, False
    return post, True


def post_update(*, actor: User, post_id: Id, title: str, body: str) -> ShowcasePost:
    title, body = _text(title, body)
    with transaction.atomic():
        post = lock_post(post_id, actor)
        require_author(post, actor)
        check_transition(post, "edit")
        post.title, post.body = title, body
        record(
            post,
            action="edit",
            actor=actor,
            to=post.status,
            now=timezone.now(),
            fields=["title", "body"],
        )
    return post


def post_photo_add(*, actor: User, post_id: Id, photo: UploadedFile) -> PostPhoto:
    with transaction.atomic():
        post = lock_post(post_id, actor)
        require_author(post, actor)
        check_transition(post, "add_photo")
        count = post.photos.count()
        _check_count(count + 1)
        last = post.photos.order_by("-position").values_list("position", flat=True).first()
        added = _add_photo(post, photo, (last or 0) + 1 if count else 0)
        record(post, action="add_photo", actor=actor, to=post.status, now=timezone.now())
    return added


def post_photo_remove(*, actor: User, post_id: Id, photo_id: Id) -> None:
    with transaction.atomic():
        post = lock_post(post_id, actor)
        require_author(post, actor)
        check_transition(post, "remove_photo")
        try:
            photo = post.photos.get(pk=int(photo_id))
        except (PostPhoto.DoesNotExist, TypeError, ValueError, OverflowError):
            raise NotFoundError(gettext("照片不存在。"), code="photo_not_found") from None
        files = [photo.original, photo.web, photo.thumb]
        photo.delete()
        record(post, action="remove_photo", actor=actor, to=post.status, now=timezone.now())
        names = [(f.storage, f.name) for f in files if f and f.name]

        def delete_files() -> None:
            # After commit: a rolled-back removal keeps its files.
            for storage, name in names:
                storage.delete(str(name))

        transaction.on_commit(delete_files)
