"""Forms of the phone-in order page and the family-proxy page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.sites.models import Site

from .forms import DT_FORMAT, LocalDateTimeInput, OrderForm


class PhoneOrderForm(OrderForm):
    """One form for the whole call: who called, when, what they asked, and the order."""

    called_at = forms.DateTimeField(
        label=_("来电时间"), input_formats=[DT_FORMAT], widget=LocalDateTimeInput()
    )
    request = forms.CharField(
        label=_("来电诉求"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("记下群众在电话里说的需求，例如：腿脚不便，想请人帮忙买药。"),
    )
    caller_name = forms.CharField(label=_("来电群众姓名"), max_length=50)
    caller_mobile = forms.CharField(
        label=_("手机号"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text=_("已登记的手机号会找到原账号；没有账号的，当场为群众登记。"),
    )
    caller_landline = forms.CharField(
        label=_("固定电话"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text=_("没有手机的老人，填家里的座机，例如 0311-12345678。"),
    )
    site = forms.ModelChoiceField(
        label=_("群众所在实践站"), queryset=Site.objects.none(), empty_label=_("请选择")
    )

    field_order = [
        "called_at",
        "request",
        "caller_name",
        "caller_mobile",
        "caller_landline",
        "site",
        "address",
        "service",
    ]

    def __init__(self, *args: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        # The order's contact is the caller's own number.
        self.fields.pop("contact_mobile")
        if not self.is_bound:
            self.initial.setdefault(
                "called_at", timezone.localtime().replace(second=0, microsecond=0)
            )


class FamilyLinkForm(forms.Form):
    elder_mobile = forms.CharField(
        label=_("老人的手机号"),
        max_length=30,
        help_text=_("老人在平台登记的手机号（电话点单登记的也可以）。"),
    )
    proxy_mobile = forms.CharField(
        label=_("家属的手机号"), max_length=30, help_text=_("家属须先用这个手机号在平台注册。")
    )
    relation = forms.CharField(
        label=_("关系"), max_length=20, required=False, help_text=_("例如：儿子、女儿。")
    )
