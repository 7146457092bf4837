"""Menu and order API (/api/v1/services/, /api/v1/orders/): parse, call a service or a
selector, render. Domain errors become ``{"code", "message", "errors"}`` bodies."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.actors import signed_in
from apps.core.api import NUMERIC_ID
from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.core.params import DateParam, IdParam, TextParam, id_or_none
from apps.core.wording import list_text
from apps.sites.models import Site
from apps.sites.scoping import can_manage_site, is_manager
from apps.volunteers.models import ServiceCategory

from . import listing, selectors, services
from .models import OrderStatus, ServiceItem, ServiceOrder
from .serializers import (
    AssessSerializer,
    CompleteSerializer,
    DispatchSerializer,
    DisputeSerializer,
    OptionalReasonSerializer,
    OrderCreateSerializer,
    OrderDetailSerializer,
    OrderSerializer,
    RateSerializer,
    ReasonSerializer,
    ServiceItemSerializer,
    ServiceItemUpdateSerializer,
    ServiceItemWriteSerializer,
    SuggestionSerializer,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="同一用户重复提交相同的 Key 时返回第一次创建的订单（200），不会重复下单。",
)


class ServiceItemViewSet(viewsets.GenericViewSet[ServiceItem]):
    """The service menu. ``?site=<id>``: the menu at that point (its own items and those
    of its township and the county). Without it: staff get the items they manage,
    residents the menu of their point."""

    lookup_value_regex = NUMERIC_ID

    serializer_class = ServiceItemSerializer

    def get_queryset(self) -> Any:
        return ServiceItem.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("site", int, description="实践站编号：该站可点的服务菜单"),
            OpenApiParameter("category", enum=ServiceCategory.values),
        ],
        responses=ServiceItemSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        params = request.query_params
        site_id = params.get("site")
        if site_id:
            try:
                site = Site.objects.get(pk=id_or_none(site_id) or 0, is_active=True)
            except Site.DoesNotExist:
                raise NotFoundError(gettext("阵地不存在。"), code="site_not_found") from None
            qs = selectors.menu_for_site(site)
        elif is_manager(request.user):
            qs = selectors.service_item_list(fetched_by=request.user)
        else:
            points = services.resident_points(signed_in(request))
            point = Site.objects.filter(pk__in=points[:1]).first()
            qs = selectors.menu_for_site(point) if point else ServiceItem.objects.none()
        if params.get("category"):
            qs = qs.filter(category=params["category"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ServiceItemSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        item = ServiceItem.objects.select_related("site").filter(pk=pk, is_active=True).first()
        if item is None:
            item = selectors.access_service_item(request.user, pk)
        return Response(ServiceItemSerializer(item).data)

    @extend_schema(request=ServiceItemWriteSerializer, responses={201: ServiceItemSerializer})
    def create(self, request: Request) -> Response:
        data = ServiceItemWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        item = services.service_item_create(actor=signed_in(request), **fields)
        return Response(ServiceItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ServiceItemUpdateSerializer, responses=ServiceItemSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        data = ServiceItemUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        item = services.service_item_update(
            actor=signed_in(request), item_id=pk, **data.validated_data
        )
        return Response(ServiceItemSerializer(item).data)


class OrderFilterSerializer(serializers.Serializer[Any]):
    status = TextParam()
    site = IdParam()
    service = IdParam()
    date_from = DateParam()
    date_to = DateParam()
    mine = serializers.BooleanField(required=False, default=False)

    def validate_status(self, value: str) -> list[str]:
        statuses = [s for s in value.split(",") if s]
        bad = [s for s in statuses if s not in OrderStatus.values]
        if bad:
            raise serializers.ValidationError(
                gettext("未知的状态：%(list)s") % {"list": list_text(bad)}
            )
        return statuses


class OrderViewSet(viewsets.GenericViewSet[ServiceOrder]):
    """Orders: residents see their own, volunteers those dispatched to them, staff
    those of their subtree. Every action is one service call; illegal moves answer
    409 ``illegal_transition``, out of scope 404, not your role 403."""

    lookup_value_regex = NUMERIC_ID

    serializer_class = OrderSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> Any:
        return ServiceOrder.objects.none()

    def _detail(self, request: Request, order_id: Any, *, code: int = 200) -> Response:
        order = selectors.access_order(request.user, order_id)
        return Response(
            OrderDetailSerializer(order, context={"request": request}).data, status=code
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                str,
                description="状态，可用逗号分隔多个：" + "、".join(OrderStatus.values),
            ),
            OpenApiParameter("site", int, description="只看该阵地及其下级"),
            OpenApiParameter("service", int),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="点单日期起（含）"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="点单日期止（含）"),
            OpenApiParameter("mine", bool, description="只看我点的单"),
        ],
        responses=OrderSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        filters = OrderFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = selectors.order_list(fetched_by=request.user, filters=filters.validated_data)
        # Columns, not instances: the same JSON as OrderSerializer (see listing).
        page = self.paginator.paginate_queryset(  # type: ignore[union-attr,call-arg]
            listing.for_rows(qs), request, view=self, values=listing.ORDER_COLUMNS
        )
        return self.get_paginated_response(listing.order_rows(list(page or []), request=request))  # type: ignore[arg-type]

    @extend_schema(
        request=OrderCreateSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: OrderDetailSerializer, 200: OrderDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        data = OrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order, created = services.order_place(
            actor=signed_in(request),
            idempotency_key=request.headers.get("Idempotency-Key"),
            **data.validated_data,
        )
        return self._detail(request, order.pk, code=201 if created else 200)

    @extend_schema(responses=OrderDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(request, pk)

    @extend_schema(responses=SuggestionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def suggestions(self, request: Request, pk: str) -> Response:
        """Volunteers to dispatch, best first (same point, skill/team, fewest open
        tasks, free at the preferred time, past ratings)."""
        order = selectors.access_order(request.user, pk)
        if not can_manage_site(request.user, order.handling_site):
            raise PermissionDeniedError(
                gettext("只有承办阵地的工作人员可以派单。"), code="not_handling_staff"
            )
        volunteers = selectors.dispatch_suggestions(order=order, fetched_by=request.user)
        return Response(SuggestionSerializer(volunteers, many=True).data)

    def _run(
        self,
        request: Request,
        pk: str,
        serializer: type[serializers.Serializer[Any]] | None,
        fn: Any,
        **extra: Any,
    ) -> Response:
        kwargs: dict[str, Any] = {}
        if serializer is not None:
            data = serializer(data=request.data)
            data.is_valid(raise_exception=True)
            kwargs = dict(data.validated_data)
        fn(order_id=pk, actor=signed_in(request), **(kwargs | extra))
        return self._detail(request, pk)

    @extend_schema(request=DispatchSerializer, responses=OrderDetailSerializer)
    # Not named ``dispatch``: that is APIView's request entry point.
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_order(self, request: Request, pk: str) -> Response:
        data = DispatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_dispatch(
            order_id=pk,
            actor=signed_in(request),
            volunteer_ids=data.validated_data["volunteers"],
            note=data.validated_data.get("note", ""),
        )
        return self._detail(request, pk)

    @extend_schema(request=None, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        return self._run(request, pk, None, services.order_accept)

    @extend_schema(request=ReasonSerializer, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        return self._run(request, pk, ReasonSerializer, services.order_decline)

    @extend_schema(request=None, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        return self._run(request, pk, None, services.order_start)

    @extend_schema(
        request={"multipart/form-data": CompleteSerializer, "application/json": CompleteSerializer},
        responses=OrderDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        data = CompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_complete(
            order_id=pk,
            actor=signed_in(request),
            summary=data.validated_data["summary"],
            hours=data.validated_data.get("hours"),
            photos=data.validated_data.get("photos", []),
        )
        return self._detail(request, pk)

    @extend_schema(request=RateSerializer, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, pk: str) -> Response:
        return self._run(request, pk, RateSerializer, services.order_rate)

    @extend_schema(request=AssessSerializer, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def assess(self, request: Request, pk: str) -> Response:
        return self._run(request, pk, AssessSerializer, services.order_assess)

    @extend_schema(request=OptionalReasonSerializer, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return self._run(request, pk, OptionalReasonSerializer, services.order_cancel)

    @extend_schema(request=ReasonSerializer, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._run(request, pk, ReasonSerializer, services.order_reject)

    @extend_schema(request=OptionalReasonSerializer, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str) -> Response:
        return self._run(request, pk, OptionalReasonSerializer, services.order_escalate)

    @extend_schema(request=None, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def nudge(self, request: Request, pk: str) -> Response:
        """催单: at most once an hour (429 ``nudge_too_soon`` otherwise)."""
        return self._run(request, pk, None, services.order_nudge)

    @extend_schema(request=DisputeSerializer, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def dispute(self, request: Request, pk: str) -> Response:
        """Complain within 7 days of completion; the order goes to the county's queue."""
        data = DisputeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_dispute(
            order_id=pk, actor=signed_in(request), text=data.validated_data["comment"]
        )
        return self._detail(request, pk)
