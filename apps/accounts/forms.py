from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.core.pages import add_service_errors
from apps.sites.models import Site
from apps.sites.selectors import village_choices

from . import services
from .claim import account_claim_complete
from .models import User


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("用户名或手机号"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _("用户名（手机号）或密码错误。"),
        "inactive": _("该账号已停用。"),
    }


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Site) -> str:
        # The village first: a 360 px phone cuts the closed select after ~16 characters,
        # and with the township first every village of a township looked the same.
        parent = obj.parent.name if obj.parent else ""
        return f"{obj.name}（{parent}）" if parent else obj.name


class RegisterForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    real_name = forms.CharField(label=_("姓名（可选）"), max_length=50, required=False)
    mobile = forms.CharField(
        label=_("手机号"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    site = VillageChoiceField(
        label=_("所在村（社区）实践站"), queryset=Site.objects.none(), empty_label=_("请选择")
    )
    password1 = forms.CharField(
        label=_("密码"),
        widget=forms.PasswordInput,
        help_text=_("至少 8 位，不能全是数字，也不能过于常见。"),
    )
    password2 = forms.CharField(label=_("再次输入密码"), widget=forms.PasswordInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = village_choices()  # type: ignore[attr-defined]
        self.user: User | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data

    def save(self) -> User:
        """Register through the service; its field errors land on this form."""
        try:
            self.user = services.user_register_resident(
                username=self.cleaned_data["username"],
                password=self.cleaned_data["password1"],
                mobile=self.cleaned_data["mobile"],
                site=self.cleaned_data["site"],
                real_name=self.cleaned_data.get("real_name", ""),
            )
        except ValidationError as exc:
            add_service_errors(self, exc, {"password": "password1"})
            raise
        return self.user


class ProfileForm(forms.ModelForm):
    address = forms.CharField(
        label=_("常用服务地址"),
        max_length=200,
        required=False,
        help_text=_("点单时自动填入，例如：东关社区 3 号楼 2 单元 401。"),
    )

    class Meta:
        model = User
        fields = ["real_name", "email"]
        labels = {"real_name": _("姓名"), "email": _("电子邮箱（用于接收通知）")}


class ClaimStartForm(forms.Form):
    mobile = forms.CharField(
        label=_("手机号"),
        max_length=20,
        help_text=_("实践站为您代为登记时留下的手机号。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    # A one-time token minted when the form is shown: a double tap sends one text.
    token = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)


class ClaimCompleteForm(forms.Form):
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    username = forms.CharField(label=_("用户名"), max_length=150)
    password1 = forms.CharField(
        label=_("密码"),
        widget=forms.PasswordInput,
        help_text=_("至少 8 位，不能全是数字，也不能过于常见。"),
    )
    password2 = forms.CharField(label=_("再次输入密码"), widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data

    def save(self, *, claim_id: int) -> User:
        """Claim through the service; its field errors land on this form."""
        try:
            return account_claim_complete(
                claim_id=claim_id,
                code=self.cleaned_data["code"],
                username=self.cleaned_data["username"],
                password=self.cleaned_data["password1"],
            )
        except ValidationError as exc:
            add_service_errors(self, exc, {"password": "password1"})
            raise
