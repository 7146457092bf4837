"""Volunteers API: apply, me, the scoped roster with review actions, teams, records,
certificates and the public certificate check."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.actors import signed_in
from apps.accounts.models import RevealedField
from apps.core.api import NUMERIC_ID, problem_response
from apps.core.errors import NotFoundError
from apps.core.params import IdParam, TextParam, clean_query
from apps.sites.scoping import access_site, is_manager

from . import selectors, services
from .idcard import mask_name
from .models import ServiceCategory, Volunteer, VolunteerStatus
from .serializers import (
    ApplySerializer,
    CertificateSerializer,
    CertificateVerifySerializer,
    ServiceRecordSerializer,
    TeamMemberSerializer,
    TeamMemberWriteSerializer,
    TeamSerializer,
    VolunteerMeSerializer,
    VolunteerReasonSerializer,
    VolunteerSerializer,
)


def _require_manager(request: Request) -> None:
    if not is_manager(request.user):
        raise NotFoundError(gettext("仅阵地工作人员可以访问。"), code="not_found")


class RosterFilterSerializer(serializers.Serializer[Any]):
    site = IdParam(help_text="阵地（含下级）")
    status = serializers.ChoiceField(choices=VolunteerStatus.choices, required=False)
    skill = serializers.ChoiceField(choices=ServiceCategory.choices, required=False)
    team = IdParam()
    star_level = serializers.IntegerField(required=False, min_value=0, max_value=10)
    q = TextParam(max_length=100, help_text="按姓名、手机号或志愿者编号搜索")


class CertificateQuerySerializer(serializers.Serializer[Any]):
    # Missing or blank: no certificate matches (404), like a wrong code.
    number = TextParam(max_length=40, default="")
    code = TextParam(max_length=40, default="")


class RevealRequestSerializer(serializers.Serializer[Any]):
    field = serializers.ChoiceField(choices=RevealedField.choices)


class RevealResponseSerializer(serializers.Serializer[Any]):
    field = serializers.ChoiceField(choices=RevealedField.choices)
    value = serializers.CharField()


class CertificateIssueSerializer(serializers.Serializer[Any]):
    """The certificate's request body: an object with optional notes (备注)."""

    notes = TextParam(max_length=1000, default="")


class VolunteerViewSet(viewsets.GenericViewSet[Volunteer]):
    lookup_value_regex = NUMERIC_ID
    serializer_class = VolunteerSerializer

    def get_queryset(self) -> Any:
        p = clean_query(RosterFilterSerializer, self.request.query_params)
        return selectors.volunteer_list(
            fetched_by=self.request.user,
            filters={k: p.get(k) for k in ("site", "status", "skill", "team", "star_level", "q")},
        )

    @extend_schema(parameters=[RosterFilterSerializer])
    def list(self, request: Request) -> Response:
        _require_manager(request)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        volunteer = selectors.access_volunteer(request.user, pk)
        return Response(self.get_serializer(volunteer).data)

    @extend_schema(request=ApplySerializer, responses={201: VolunteerMeSerializer})
    @action(detail=False, methods=["post"])
    def apply(self, request: Request) -> Response:
        data = ApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        volunteer = services.volunteer_apply(user=signed_in(request), **data.validated_data)
        volunteer = selectors.access_volunteer(request.user, volunteer.pk)
        return Response(
            VolunteerMeSerializer(volunteer, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses=VolunteerMeSerializer)
    @action(detail=False, methods=["get"])
    def me(self, request: Request) -> Response:
        volunteer = selectors.volunteer_of(request.user)
        if volunteer is None:
            return problem_response(404, "not_a_volunteer", gettext("您还没有申请成为志愿者。"))
        return Response(VolunteerMeSerializer(volunteer, context={"request": request}).data)

    @extend_schema(request=VolunteerReasonSerializer, responses=VolunteerMeSerializer)
    @action(detail=False, methods=["post"], url_path="me/withdraw")
    def withdraw(self, request: Request) -> Response:
        volunteer = selectors.volunteer_of(request.user)
        if volunteer is None:
            return problem_response(404, "not_a_volunteer", gettext("您还没有申请成为志愿者。"))
        data = VolunteerReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.volunteer_withdraw(
            volunteer=volunteer, actor=signed_in(request), reason=data.validated_data["reason"]
        )
        volunteer = selectors.volunteer_of(request.user)
        return Response(VolunteerMeSerializer(volunteer, context={"request": request}).data)

    def _review(self, request: Request, pk: str, func: Any, needs_reason: bool) -> Response:
        volunteer = selectors.access_volunteer(request.user, pk)
        if volunteer.user_id == request.user.pk and not request.user.is_superuser:
            # Staff do not review their own application.
            raise NotFoundError(gettext("志愿者不存在。"), code="not_found")
        data = VolunteerReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kwargs = {"reason": data.validated_data["reason"]} if needs_reason else {}
        func(volunteer=volunteer, actor=signed_in(request), **kwargs)
        return Response(self.get_serializer(selectors.access_volunteer(request.user, pk)).data)

    @extend_schema(request=None, responses=VolunteerSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._review(request, pk, services.volunteer_approve, needs_reason=False)

    @extend_schema(request=VolunteerReasonSerializer, responses=VolunteerSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._review(request, pk, services.volunteer_reject, needs_reason=True)

    @extend_schema(request=VolunteerReasonSerializer, responses=VolunteerSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str) -> Response:
        return self._review(request, pk, services.volunteer_suspend, needs_reason=True)

    @extend_schema(request=ServiceRecordSerializer, responses=ServiceRecordSerializer(many=True))
    @action(detail=True, methods=["get", "post"], url_path="service-records")
    def service_records(self, request: Request, pk: str) -> Response:
        volunteer = selectors.access_volunteer(request.user, pk)
        if request.method == "POST":
            data = ServiceRecordSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            site = access_site(request.user, data.validated_data["site"].pk)
            record, _ = services.service_record_add(
                actor=signed_in(request),
                volunteer=volunteer,
                site=site,
                service_date=data.validated_data["service_date"],
                title=data.validated_data["title"],
                hours=data.validated_data["hours"],
            )
            return Response(ServiceRecordSerializer(record).data, status=status.HTTP_201_CREATED)
        records: Any = selectors.service_records_of(volunteer)  # not this viewset's model
        page = self.paginate_queryset(records)
        return self.get_paginated_response(ServiceRecordSerializer(page, many=True).data)

    @extend_schema(request=RevealRequestSerializer, responses={200: RevealResponseSerializer})
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, pk: str) -> Response:
        """Show the full ID-card number or mobile (staff in scope); logged."""
        volunteer = selectors.access_volunteer(request.user, pk)
        _require_manager(request)
        data = RevealRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        field = data.validated_data["field"]
        value = services.volunteer_reveal(
            actor=signed_in(request), volunteer=volunteer, field=field, source=request.path
        )
        return Response({"field": field, "value": value})

    @extend_schema(request=CertificateIssueSerializer, responses={201: CertificateSerializer})
    @action(detail=True, methods=["post"])
    def certificates(self, request: Request, pk: str) -> Response:
        volunteer = selectors.access_volunteer(request.user, pk)
        _require_manager(request)
        data = CertificateIssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cert = services.certificate_issue(
            actor=signed_in(request), volunteer=volunteer, notes=data.validated_data["notes"]
        )
        return Response(CertificateSerializer(cert).data, status=status.HTTP_201_CREATED)


class TeamViewSet(viewsets.GenericViewSet[Any]):
    lookup_value_regex = NUMERIC_ID
    serializer_class = TeamSerializer

    def get_queryset(self) -> Any:
        p = self.request.query_params
        return selectors.team_list(
            fetched_by=self.request.user, filters={"site": p.get("site"), "kind": p.get("kind")}
        )

    def list(self, request: Request) -> Response:
        _require_manager(request)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        data = TeamSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        site = access_site(request.user, data.validated_data["site"].pk)
        team = services.team_create(
            actor=signed_in(request),
            site=site,
            name=data.validated_data["name"],
            kind=data.validated_data["kind"],
            category=data.validated_data.get("category", ""),
            description=data.validated_data.get("description", ""),
        )
        team = self.get_queryset().get(pk=team.pk)
        return Response(TeamSerializer(team).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        team = selectors.access_team(request.user, pk)
        team = self.get_queryset().get(pk=team.pk)
        body = TeamSerializer(team).data
        body["members"] = TeamMemberSerializer(selectors.team_members(team), many=True).data
        return Response(body)

    def partial_update(self, request: Request, pk: str) -> Response:
        team = selectors.access_team(request.user, pk)
        data = TeamSerializer(team, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k != "site"}
        services.team_update(actor=signed_in(request), team=team, **fields)
        return Response(TeamSerializer(self.get_queryset().get(pk=team.pk)).data)

    @extend_schema(request=TeamMemberWriteSerializer, responses=TeamMemberSerializer)
    @action(detail=True, methods=["post"])
    def members(self, request: Request, pk: str) -> Response:
        team = selectors.access_team(request.user, pk)
        data = TeamMemberWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        volunteer = selectors.access_volunteer(request.user, data.validated_data["volunteer"])
        membership = services.team_add_member(
            actor=signed_in(request),
            team=team,
            volunteer=volunteer,
            is_leader=data.validated_data["is_leader"],
        )
        return Response(TeamMemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<volunteer_id>\d+)")
    def remove_member(self, request: Request, pk: str, volunteer_id: str) -> Response:
        team = selectors.access_team(request.user, pk)
        volunteer = selectors.access_volunteer(request.user, volunteer_id)
        services.team_remove_member(actor=signed_in(request), team=team, volunteer=volunteer)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CertificateVerifyView(APIView):
    """Public: check a certificate by number and verification code. Shows only the
    masked name, total hours and issuer."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[CertificateQuerySerializer],
        responses={200: CertificateVerifySerializer, 404: None},
    )
    def get(self, request: Request) -> Response:
        params = clean_query(CertificateQuerySerializer, request.query_params)
        cert = selectors.certificate_verify(number=params["number"], code=params["code"])
        if cert is None:
            return problem_response(
                404, "certificate_not_found", gettext("未找到该证明，请核对编号和验证码。")
            )
        return Response(
            {
                "number": cert.number,
                "name": mask_name(cert.volunteer.real_name),
                "total_hours": str(cert.total_hours),
                "issuer": cert.issuing_site.name,
                "issued_on": cert.issued_on,
            }
        )
