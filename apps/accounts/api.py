"""Accounts API: register, token, me, and the scoped staff directory."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.core.api import problem_response
from apps.core.params import TextParam, clean_query
from apps.sites.scoping import is_manager

from . import selectors, services
from .models import User
from .serializers import (
    MeSerializer,
    RegisterSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserDirectorySerializer,
)


class RegisterView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    @extend_schema(request=RegisterSerializer, responses={201: MeSerializer})
    def post(self, request: Request) -> Response:
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register_resident(**data.validated_data)
        user = User.objects.prefetch_related("roles__site").get(pk=user.pk)
        return Response(MeSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    """Exchange username (or mobile) and password for an API token.

    Failed attempts count towards the django-axes lockout like the login page does."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer})
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(
            request=django_request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            return problem_response(
                status.HTTP_429_TOO_MANY_REQUESTS,
                "locked_out",
                gettext("登录失败次数过多，账号已被暂时锁定，请稍后再试。"),
            )
        if user is None:
            return problem_response(
                status.HTTP_400_BAD_REQUEST, "invalid_credentials", gettext("用户名或密码错误。")
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = User.objects.prefetch_related("roles__site").get(pk=request.user.pk or 0)
        return Response(MeSerializer(user).data)


class UserFilterSerializer(serializers.Serializer[Any]):
    role = TextParam(max_length=20)
    q = TextParam(max_length=100)


class UserDirectoryView(generics.ListAPIView[User]):
    """Staff only: users holding a role in the caller's subtree."""

    serializer_class = UserDirectorySerializer

    def get_queryset(self) -> Any:
        p = clean_query(UserFilterSerializer, self.request.query_params)
        return selectors.user_list(
            fetched_by=self.request.user, filters={"role": p.get("role"), "q": p.get("q")}
        )

    @extend_schema(parameters=[UserFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not is_manager(request.user):
            return problem_response(
                403, "permission_denied", gettext("仅阵地工作人员可以查看用户名册。")
            )
        return super().get(request, *args, **kwargs)
