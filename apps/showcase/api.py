"""Showcase API (/api/v1/showcase/posts/): staff and editors write and review posts,
anyone reads the published ones (/api/v1/showcase/published/). Every action is one
service call; domain errors answer problem JSON (409 ``illegal_transition``, 403
``not_your_review``, 404 for not yours)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.actors import signed_in
from apps.core.api import NUMERIC_ID
from apps.core.errors import NotFoundError
from apps.sites.models import Site

from . import selectors, services
from .models import PostStatus
from .serializers import (
    PostCommentSerializer,
    PostEventSerializer,
    PostFilterSerializer,
    PostNoteSerializer,
    PostPhotoUploadSerializer,
    PostReasonSerializer,
    PostSerializer,
    PostSubmitSerializer,
    PostUpdateSerializer,
    PostWriteSerializer,
)
from .views import post_events

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="同一用户重复提交相同的 Key 时返回第一次创建的稿件（200），不会重复创建。",
)


class PublishedPostViewSet(viewsets.GenericViewSet[Any]):
    """Published posts, newest first (no login): county-wide or one site's subtree."""

    permission_classes = [AllowAny]
    lookup_value_regex = NUMERIC_ID
    serializer_class = PostSerializer

    def get_queryset(self) -> Any:
        return selectors.published()

    @extend_schema(
        parameters=[OpenApiParameter("site", int, description="只看该阵地及其下级")],
        responses=PostSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        raw = request.query_params.get("site", "")
        site = None
        if raw:
            site = selectors.public_site(raw) if raw.isdigit() and len(raw) < 19 else None
            if site is None:
                raise NotFoundError("阵地不存在。", code="site_not_found")
        page = self.paginate_queryset(selectors.published(site=site))
        return self.get_paginated_response(PostSerializer(page, many=True).data)


class PostViewSet(viewsets.GenericViewSet[Any]):
    """Posts of the subtrees the caller manages (and, for an editor, every submitted
    post of their county); ``queue=true``: what waits for the caller's review."""

    lookup_value_regex = NUMERIC_ID
    serializer_class = PostSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> Any:
        return selectors.managed_posts(fetched_by=self.request.user)

    def _detail(self, request: Request, post_id: Any, *, code: int = 200) -> Response:
        post = selectors.access_post(request.user, post_id)
        return Response(PostSerializer(post).data, status=code)

    def _move(self, request: Request, pk: str, body: type[Any], service: Any) -> Response:
        """A review move: the body validated, the service called with its fields, the
        post as it now stands."""
        data = body(data=request.data)
        data.is_valid(raise_exception=True)
        service(actor=signed_in(request), post_id=pk, **data.validated_data)
        return self._detail(request, pk)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", enum=PostStatus.values),
            OpenApiParameter("queue", bool, description="只看待我审核的"),
        ],
        responses=PostSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        filters = PostFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        if values.get("queue"):
            qs = selectors.review_queue(fetched_by=request.user)
        else:
            wanted = [values["status"]] if values.get("status") else None
            qs = selectors.managed_posts(fetched_by=request.user, status=wanted)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(PostSerializer(page, many=True).data)

    @extend_schema(
        request=PostWriteSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: PostSerializer, 200: PostSerializer},
    )
    def create(self, request: Request) -> Response:
        data = PostWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        site_id = fields.pop("site", None)
        site = Site.objects.filter(pk=site_id).first() if site_id else None
        if site_id and site is None:
            raise NotFoundError("阵地不存在。", code="site_not_found")
        post, created = services.post_create(
            actor=signed_in(request),
            site=site,
            title=fields["title"],
            body=fields["body"],
            activity_id=fields.get("activity"),
            order_id=fields.get("order"),
            copy_source_photos=fields["copy_source_photos"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return self._detail(request, post.pk, code=201 if created else 200)

    @extend_schema(responses=PostSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(request, pk)

    @extend_schema(request=PostUpdateSerializer, responses=PostSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        data = PostUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.post_update(actor=signed_in(request), post_id=pk, **data.validated_data)
        return self._detail(request, pk)

    @extend_schema(
        request={"multipart/form-data": PostPhotoUploadSerializer},
        responses={201: PostSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def photos(self, request: Request, pk: str) -> Response:
        """Add a photo (JPG, PNG or WebP; re-encoded, EXIF and GPS stripped; at most 9)."""
        data = PostPhotoUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.post_photo_add(
            actor=signed_in(request), post_id=pk, photo=data.validated_data["photo"]
        )
        return self._detail(request, pk, code=201)

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"photos/(?P<photo_id>[0-9]{1,19})",
        url_name="photo-remove",
    )
    def photo_remove(self, request: Request, pk: str, photo_id: str) -> Response:
        services.post_photo_remove(actor=signed_in(request), post_id=pk, photo_id=photo_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PostSubmitSerializer, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        data = PostSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.post_submit(
            actor=signed_in(request), post_id=pk, consent=data.validated_data["consent"]
        )
        return self._detail(request, pk)

    @extend_schema(request=PostNoteSerializer, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """The current step's reviewer approves; at the editor's step the post is published."""
        return self._move(request, pk, PostNoteSerializer, services.post_approve)

    @extend_schema(request=PostCommentSerializer, responses=PostSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str) -> Response:
        return self._move(request, pk, PostCommentSerializer, services.post_return)

    @extend_schema(request=PostReasonSerializer, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._move(request, pk, PostReasonSerializer, services.post_reject)

    @extend_schema(request=PostReasonSerializer, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def unpublish(self, request: Request, pk: str) -> Response:
        return self._move(request, pk, PostReasonSerializer, services.post_unpublish)

    @extend_schema(responses=PostEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str) -> Response:
        """The review trail (the post's people only)."""
        post = selectors.access_post(request.user, pk)
        if not (services.may_author(request.user, post.site) or services.is_editor(request.user)):
            raise NotFoundError("稿件不存在。", code="not_found")
        page = self.paginate_queryset(post_events(post))
        return self.get_paginated_response(PostEventSerializer(page, many=True).data)
