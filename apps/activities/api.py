"""Themes and activities API (/api/v1/themes/, /api/v1/activities/): parse, call a
service or a selector, render. Domain errors become ``{"code", "message", "errors"}``;
illegal moves answer 409 ``illegal_transition``, out of scope 404, not your role 403."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.actors import signed_in
from apps.core.api import NUMERIC_ID
from apps.core.errors import ConflictError, PermissionDeniedError
from apps.core.params import DateParam, IdParam, TextParam
from apps.core.wording import list_text
from apps.sites.models import Site
from apps.sites.scoping import can_manage_site
from apps.volunteers.models import ServiceCategory

from . import calendar, calendar_views, checkin_views, selectors, services
from .models import ActivityStatus, MonthlyTheme, Registration, RegistrationStatus, Signup
from .serializers import (
    ActivityCoverSerializer,
    ActivityDetailSerializer,
    ActivityEventSerializer,
    ActivityInviteAnswerSerializer,
    ActivityInviteSerializer,
    ActivityOptionalReasonSerializer,
    ActivityReasonSerializer,
    ActivitySerializer,
    ActivityUpdateSerializer,
    ActivityWriteSerializer,
    AttendanceSerializer,
    CheckinCodeQuerySerializer,
    CheckinCodeSerializer,
    CheckinSerializer,
    ConfirmAttendanceSerializer,
    ConfirmResultSerializer,
    CorrectAttendanceSerializer,
    MarkAttendanceSerializer,
    RegistrationResultSerializer,
    SignupSerializer,
    SignupWriteSerializer,
    ThemeSerializer,
    ThemeWriteSerializer,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="同一志愿者重复提交相同的 Key 时返回第一次的报名（200），不会重复报名。",
)


class ThemeFilterSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


class ThemeViewSet(viewsets.GenericViewSet[MonthlyTheme]):
    """一月一主题: the theme calendar of the counties above the caller's sites. County
    admins set a month's theme (a second POST for the month changes it) and remove it."""

    lookup_value_regex = NUMERIC_ID
    serializer_class = ThemeSerializer

    def get_queryset(self) -> Any:
        return MonthlyTheme.objects.none()

    @extend_schema(
        parameters=[OpenApiParameter("year", int, description="年份")],
        responses=ThemeSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        filters = ThemeFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = selectors.themes_visible_to(request.user).order_by("site_id", "year", "month", "id")
        if filters.validated_data.get("year"):
            qs = qs.filter(year=filters.validated_data["year"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ThemeSerializer(page, many=True).data)

    @extend_schema(
        request=ThemeWriteSerializer, responses={201: ThemeSerializer, 200: ThemeSerializer}
    )
    def create(self, request: Request) -> Response:
        data = ThemeWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        theme, created = services.theme_set(
            actor=signed_in(request), site_id=fields.pop("site", None), **fields
        )
        return Response(ThemeSerializer(theme).data, status=201 if created else 200)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.theme_delete(actor=signed_in(request), theme_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivityFilterSerializer(serializers.Serializer[Any]):
    status = TextParam()
    theme = IdParam()
    category = serializers.ChoiceField(choices=ServiceCategory.choices, required=False)
    site = IdParam()
    date_from = DateParam()
    date_to = DateParam()
    managed = serializers.BooleanField(required=False, default=False)
    upcoming = serializers.BooleanField(required=False, default=False)

    def validate_status(self, value: str) -> list[str]:
        statuses = [s for s in value.split(",") if s]
        bad = [s for s in statuses if s not in ActivityStatus.values]
        if bad:
            raise serializers.ValidationError(f"未知的状态：{list_text(bad)}")
        return statuses


class ActivityViewSet(viewsets.GenericViewSet[Any]):
    """Activities: staff see (and run) those of the subtrees they manage, drafts
    included; volunteers and residents the published ones of their site and the sites
    above it. Every action is one service call."""

    lookup_value_regex = NUMERIC_ID
    serializer_class = ActivitySerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> Any:
        return Signup.objects.none()

    def _detail(self, request: Request, activity_id: Any, *, code: int = 200) -> Response:
        activity = selectors.access_activity(request.user, activity_id)
        activity.my_signup = selectors.my_signup(activity, request.user)  # type: ignore[attr-defined]
        activity.resident_registered = Registration.objects.filter(  # type: ignore[attr-defined]
            activity=activity, user_id=signed_in(request).pk, status=RegistrationStatus.REGISTERED
        ).exists()
        activity.residents_taken = services.registration_counts(activity)["taken"]  # type: ignore[attr-defined]
        return Response(ActivityDetailSerializer(activity).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", str, description="状态，可用逗号分隔：" + "、".join(ActivityStatus.values)
            ),
            OpenApiParameter("theme", int, description="月度主题编号"),
            OpenApiParameter("category", enum=ServiceCategory.values),
            OpenApiParameter("site", int, description="只看该阵地及其下级"),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="开始日期起（含）"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="开始日期止（含）"),
            OpenApiParameter("managed", bool, description="只看我管理的（含草稿）"),
            OpenApiParameter("upcoming", bool, description="只看未结束的，按开始时间排序"),
        ],
        responses=ActivitySerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        filters = ActivityFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = dict(filters.validated_data)
        values["upcoming"] = timezone.now() if values.get("upcoming") else None
        qs = selectors.activity_list(fetched_by=request.user, filters=values)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)

    @extend_schema(request=ActivityWriteSerializer, responses={201: ActivityDetailSerializer})
    def create(self, request: Request) -> Response:
        data = ActivityWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        site = Site.objects.filter(pk=fields.pop("site")).first()
        activity = services.activity_create(
            actor=signed_in(request), site=site, roles=fields.pop("roles"), **fields
        )
        return self._detail(request, activity.pk, code=201)

    @extend_schema(responses=ActivityDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(request, pk)

    @extend_schema(request=ActivityUpdateSerializer, responses=ActivityDetailSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        data = ActivityUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        services.activity_update(
            actor=signed_in(request),
            activity_id=pk,
            roles=fields.pop("roles", None),
            note=fields.pop("note", ""),
            **fields,
        )
        return self._detail(request, pk)

    @extend_schema(
        request={"multipart/form-data": ActivityCoverSerializer}, responses=ActivityDetailSerializer
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def cover(self, request: Request, pk: str) -> Response:
        """The cover photo (JPG, PNG or WebP; re-encoded, metadata stripped)."""
        data = ActivityCoverSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.activity_update(
            actor=signed_in(request), activity_id=pk, cover=data.validated_data["cover"]
        )
        return self._detail(request, pk)

    @extend_schema(request=None, responses=ActivityDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        services.activity_publish(actor=signed_in(request), activity_id=pk)
        return self._detail(request, pk)

    @extend_schema(request=ActivityReasonSerializer, responses=ActivityDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        data = ActivityReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.activity_cancel(
            actor=signed_in(request), activity_id=pk, reason=data.validated_data["reason"]
        )
        return self._detail(request, pk)

    @extend_schema(request=None, responses=ActivityDetailSerializer)
    @action(detail=True, methods=["post"])
    def finish(self, request: Request, pk: str) -> Response:
        services.activity_finish(actor=signed_in(request), activity_id=pk)
        return self._detail(request, pk)

    @extend_schema(responses=ActivityEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str) -> Response:
        """The activity's event log (organisers only)."""
        activity = selectors.access_activity(request.user, pk)
        _organiser(request, activity)
        page = self.paginate_queryset(selectors.events_of(activity))
        return self.get_paginated_response(ActivityEventSerializer(page, many=True).data)

    # --- 招募令 ---------------------------------------------------------------------------
    @extend_schema(
        request=SignupWriteSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: SignupSerializer, 200: SignupSerializer},
    )
    @action(detail=True, methods=["post"])
    def signup(self, request: Request, pk: str) -> Response:
        """Sign up for a role. A full role answers with ``status: waitlisted``; a clash
        with another activity or an open order answers 409 ``overlap`` (listed in
        ``errors.overlaps``) until ``confirm_overlap`` is true."""
        data = SignupWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signup, created = services.signup_create(
            actor=signed_in(request),
            activity_id=pk,
            role_id=data.validated_data.get("role"),
            confirm_overlap=data.validated_data["confirm_overlap"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return Response(SignupSerializer(signup).data, status=201 if created else 200)

    @extend_schema(request=ActivityOptionalReasonSerializer, responses=SignupSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        data = ActivityOptionalReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signup = services.signup_withdraw(
            actor=signed_in(request), activity_id=pk, note=data.validated_data.get("reason", "")
        )
        return Response(SignupSerializer(signup).data)

    @extend_schema(request=ActivityInviteAnswerSerializer, responses=SignupSerializer)
    @action(detail=True, methods=["post"], url_path="answer-invite", url_name="answer-invite")
    def answer_invite(self, request: Request, pk: str) -> Response:
        data = ActivityInviteAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signup = services.invite_answer(
            actor=signed_in(request), activity_id=pk, **data.validated_data
        )
        return Response(SignupSerializer(signup).data)

    @extend_schema(responses=SignupSerializer(many=True))
    @action(detail=True, methods=["get"])
    def signups(self, request: Request, pk: str) -> Response:
        """Every sign-up of the activity, by role and place in line (organisers only)."""
        activity = selectors.access_activity(request.user, pk)
        _organiser(request, activity)
        page = self.paginate_queryset(selectors.signups_of(activity))
        return self.get_paginated_response(SignupSerializer(page, many=True).data)

    @extend_schema(request=ActivityInviteSerializer, responses=SignupSerializer(many=True))
    @action(detail=True, methods=["post"])
    def invite(self, request: Request, pk: str) -> Response:
        """Invite volunteers, or a whole team, to a role; returns the new invitations."""
        data = ActivityInviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invited = services.signup_invite(
            actor=signed_in(request),
            activity_id=pk,
            role_id=data.validated_data.get("role"),
            volunteer_ids=data.validated_data.get("volunteers"),
            team_id=data.validated_data.get("team"),
        )
        return Response(SignupSerializer(invited, many=True).data)

    @extend_schema(request=None, responses=SignupSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"signups/(?P<signup_id>[0-9]{1,19})/approve",
        url_name="signup-approve",
    )
    def signup_approve(self, request: Request, pk: str, signup_id: str) -> Response:
        signup = services.signup_approve(
            actor=signed_in(request), activity_id=pk, signup_id=signup_id
        )
        return Response(SignupSerializer(signup).data)

    @extend_schema(request=ActivityOptionalReasonSerializer, responses=SignupSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"signups/(?P<signup_id>[0-9]{1,19})/refuse",
        url_name="signup-refuse",
    )
    def signup_refuse(self, request: Request, pk: str, signup_id: str) -> Response:
        data = ActivityOptionalReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signup = services.signup_refuse(
            actor=signed_in(request),
            activity_id=pk,
            signup_id=signup_id,
            reason=data.validated_data.get("reason", ""),
        )
        return Response(SignupSerializer(signup).data)

    # --- residents ------------------------------------------------------------------------
    @extend_schema(
        request=None,
        responses={201: RegistrationResultSerializer, 200: RegistrationResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def register(self, request: Request, pk: str) -> Response:
        """A resident registers to attend (where the activity allows it, within its limit)."""
        registration, created = services.registration_create(
            actor=signed_in(request), activity_id=pk
        )
        return _registration(registration, 201 if created else 200)

    @extend_schema(request=None, responses=RegistrationResultSerializer)
    @action(detail=True, methods=["post"])
    def unregister(self, request: Request, pk: str) -> Response:
        registration = services.registration_cancel(actor=signed_in(request), activity_id=pk)
        return _registration(registration, 200)

    # --- presence -------------------------------------------------------------------------
    @extend_schema(
        parameters=[OpenApiParameter("kind", enum=["in", "out"], description="签到或签退码")],
        responses=CheckinCodeSerializer,
    )
    @action(detail=True, methods=["get"], url_path="checkin-code", url_name="checkin-code")
    def checkin_code(self, request: Request, pk: str) -> Response:
        """The current rotating code (organisers only): show it on a screen and fetch a
        new one every ``refresh_seconds``; outside the activity's time 409 ``outside_time``."""
        query = CheckinCodeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        activity = selectors.access_activity(request.user, pk)
        _organiser(request, activity)
        code = checkin_views.current_code(request, activity, query.validated_data["kind"])
        if code is None:
            raise ConflictError(gettext("不在活动时间内，没有签到码。"), code="outside_time")
        return Response(code)

    @extend_schema(request=CheckinSerializer, responses=AttendanceSerializer)
    @action(detail=True, methods=["post"])
    def checkin(self, request: Request, pk: str) -> Response:
        """Check in with the scanned code (idempotent: a second scan changes nothing)."""
        data = CheckinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signup = services.attendance_check_in(
            actor=signed_in(request), activity_id=pk, **data.validated_data
        )
        return Response(AttendanceSerializer(signup).data)

    @extend_schema(request=CheckinSerializer, responses=AttendanceSerializer)
    @action(detail=True, methods=["post"])
    def checkout(self, request: Request, pk: str) -> Response:
        data = CheckinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signup = services.attendance_check_out(
            actor=signed_in(request), activity_id=pk, **data.validated_data
        )
        return Response(AttendanceSerializer(signup).data)

    @extend_schema(responses=AttendanceSerializer(many=True))
    @action(detail=True, methods=["get"])
    def attendance(self, request: Request, pk: str) -> Response:
        """The attendance sheet (organisers only)."""
        activity = selectors.access_activity(request.user, pk)
        _organiser(request, activity)
        page = self.paginate_queryset(selectors.attendance_rows(activity))
        return self.get_paginated_response(AttendanceSerializer(page, many=True).data)

    @extend_schema(request=MarkAttendanceSerializer, responses=AttendanceSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"signups/(?P<signup_id>[0-9]{1,19})/mark",
        url_name="signup-mark",
    )
    def signup_mark(self, request: Request, pk: str, signup_id: str) -> Response:
        """Staff mark a volunteer present by hand (with a reason, in the event log)."""
        data = MarkAttendanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signup = services.attendance_mark(
            actor=signed_in(request),
            activity_id=pk,
            signup_id=signup_id,
            checked_in_at=data.validated_data["checked_in_at"],
            checked_out_at=data.validated_data.get("checked_out_at"),
            reason=data.validated_data["reason"],
        )
        return Response(AttendanceSerializer(signup).data)

    @extend_schema(request=ConfirmAttendanceSerializer, responses=ConfirmResultSerializer)
    @action(
        detail=True, methods=["post"], url_path="attendance/confirm", url_name="attendance-confirm"
    )
    def attendance_confirm(self, request: Request, pk: str) -> Response:
        """Confirm the attendance of a finished activity in bulk (no-shows recorded)."""
        data = ConfirmAttendanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        counts = services.attendance_confirm(
            actor=signed_in(request), activity_id=pk, signup_ids=data.validated_data.get("signups")
        )
        return Response(counts)

    @extend_schema(request=CorrectAttendanceSerializer, responses=AttendanceSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"signups/(?P<signup_id>[0-9]{1,19})/correct",
        url_name="signup-correct",
    )
    def signup_correct(self, request: Request, pk: str, signup_id: str) -> Response:
        """Correct one person's confirmed hours, or record a no-show, with a reason."""
        data = CorrectAttendanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signup = services.attendance_correct(
            actor=signed_in(request),
            activity_id=pk,
            signup_id=signup_id,
            attended=data.validated_data["attended"],
            hours=data.validated_data.get("hours"),
            reason=data.validated_data["reason"],
        )
        return Response(AttendanceSerializer(signup).data)


def _registration(registration: Registration, code: int) -> Response:
    counts = services.registration_counts(registration.activity)
    return Response(
        {
            "status": registration.status,
            "residents_taken": counts["taken"],
            "resident_limit": counts["limit"],
        },
        status=code,
    )


def _organiser(request: Request, activity: Any) -> None:

    if not can_manage_site(request.user, activity.site):
        raise PermissionDeniedError(
            "只有主办阵地及其上级的工作人员可以查看。", code="not_organiser"
        )


class CalendarUrlSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(help_text="私人 iCalendar 订阅地址（勿转发）")


class ActivityCalendarView(APIView):
    """The signed-in volunteer's private iCalendar address of their sign-ups; POST
    makes a new one (the old address answers 404 from then on)."""

    @extend_schema(responses=CalendarUrlSerializer)
    def get(self, request: Request) -> Response:
        feed = calendar.calendar_feed_for(actor=signed_in(request))
        return Response({"url": calendar_views.feed_url(request, feed)})

    @extend_schema(request=None, responses=CalendarUrlSerializer)
    def post(self, request: Request) -> Response:
        feed = calendar.calendar_feed_reset(actor=signed_in(request))
        return Response({"url": calendar_views.feed_url(request, feed)})
