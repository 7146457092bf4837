"""Points API: balance, ledger, rewards and redemption, hand-over, settlement runs."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.actors import signed_in
from apps.core.api import NUMERIC_ID, problem_response
from apps.core.errors import NotFoundError
from apps.core.params import IdParam, clean_query
from apps.sites.scoping import is_manager
from apps.volunteers.selectors import access_volunteer, volunteer_of

from . import selectors, services
from .models import Redemption, RedemptionStatus
from .serializers import (
    BalanceSerializer,
    CancelSerializer,
    LegSerializer,
    RedemptionSerializer,
    RewardSerializer,
    SettlementRunSerializer,
)


class BalanceView(APIView):
    @extend_schema(responses=BalanceSerializer)
    def get(self, request: Request) -> Response:
        volunteer = volunteer_of(request.user)
        if volunteer is None:
            return problem_response(404, "not_a_volunteer", gettext("您还不是志愿者。"))
        return Response(BalanceSerializer(selectors.balance_of(volunteer)).data)


class LedgerFilterSerializer(serializers.Serializer[Any]):
    volunteer = IdParam()


class RewardFilterSerializer(serializers.Serializer[Any]):
    site = IdParam(help_text="兑换点（阵地）")


class LedgerView(generics.ListAPIView[Any]):
    """Own entries; staff also see the entries of volunteers in their scope
    (``?volunteer=<id>`` narrows to one)."""

    serializer_class = LegSerializer

    def get_queryset(self) -> Any:
        vid = clean_query(LedgerFilterSerializer, self.request.query_params).get("volunteer")
        volunteer = access_volunteer(self.request.user, vid) if vid else None
        return selectors.ledger_entries(fetched_by=self.request.user, volunteer=volunteer)

    @extend_schema(parameters=[LedgerFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class RewardViewSet(viewsets.ReadOnlyModelViewSet[Any]):
    # Ids only: a non-numeric id is a 404 at the router, not a ValueError (500) in
    # the service's lookup.
    lookup_value_regex = NUMERIC_ID
    serializer_class = RewardSerializer

    def get_queryset(self) -> Any:
        site_id = clean_query(RewardFilterSerializer, self.request.query_params).get("site")
        if site_id:
            return selectors.rewards_for(site_id=site_id)
        volunteer = volunteer_of(self.request.user)
        if volunteer is not None:
            return selectors.rewards_for(volunteer=volunteer)
        return selectors.rewards_managed(fetched_by=self.request.user)

    @extend_schema(parameters=[RewardFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=None,
        responses={201: RedemptionSerializer, 200: RedemptionSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, location="header")],
    )
    @action(detail=True, methods=["post"])
    def redeem(self, request: Request, pk: str) -> Response:
        redemption, created = services.reward_redeem(
            actor=signed_in(request),
            reward_id=pk,
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return Response(
            RedemptionSerializer(redemption).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class RedemptionViewSet(viewsets.ReadOnlyModelViewSet[Any]):
    lookup_value_regex = NUMERIC_ID
    serializer_class = RedemptionSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Redemption.objects.none()
        st = self.request.query_params.get("status")
        return selectors.redemption_list(
            fetched_by=self.request.user, status=st if st in RedemptionStatus.values else None
        )

    @extend_schema(parameters=[OpenApiParameter("status", enum=RedemptionStatus.values)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=RedemptionSerializer)
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request: Request, pk: str) -> Response:
        redemption = services.redemption_hand_over(actor=signed_in(request), redemption_id=pk)
        return Response(RedemptionSerializer(redemption).data)

    @extend_schema(request=CancelSerializer, responses=RedemptionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        redemption = services.redemption_cancel(
            actor=signed_in(request), redemption_id=pk, reason=data.validated_data["reason"]
        )
        return Response(RedemptionSerializer(redemption).data)


class SettlementRunList(generics.ListAPIView[Any]):
    serializer_class = SettlementRunSerializer

    def get_queryset(self) -> Any:
        return selectors.settlement_runs(fetched_by=self.request.user)

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not is_manager(request.user):
            raise NotFoundError(gettext("仅工作人员可以查看结算批次。"), code="not_found")
        return super().get(request, *args, **kwargs)
