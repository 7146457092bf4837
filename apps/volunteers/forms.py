from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.sites.models import Site

from .models import PERIODS, WEEKDAYS, ServiceCategory, TeamKind, availability_bit

SLOT_CHOICES = [
    (f"{d}-{code}", f"{day}{label}") for d, day in enumerate(WEEKDAYS) for code, label in PERIODS
]


def mask_from_slots(slots: list[str]) -> int:
    codes = [c for c, _ in PERIODS]
    mask = 0
    for slot in slots:
        day, code = slot.split("-")
        mask |= availability_bit(int(day), codes.index(code))
    return mask


def slots_from_mask(mask: int) -> list[str]:
    codes = [c for c, _ in PERIODS]
    return [
        f"{d}-{code}"
        for d in range(7)
        for i, code in enumerate(codes)
        if mask & availability_bit(d, i)
    ]


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Site) -> str:
        return ("　" * obj.depth) + obj.name


class ApplyForm(forms.Form):
    real_name = forms.CharField(label=_("真实姓名"), max_length=50)
    mobile = forms.CharField(
        label=_("手机号"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=30,
        help_text=_("仅本人和所在阵地工作人员可见，其他人看到的是遮挡后的号码。"),
    )
    site = SiteChoiceField(
        label=_("服务阵地"), queryset=Site.objects.none(), empty_label=_("请选择")
    )
    skills = forms.MultipleChoiceField(
        label=_("服务技能（可多选）"),
        choices=ServiceCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    specialties = forms.CharField(label=_("特长"), max_length=200, required=False)
    service_area = forms.CharField(label=_("服务区域"), max_length=200, required=False)
    availability = forms.MultipleChoiceField(
        label=_("每周可服务时段"),
        choices=SLOT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    emergency_contact_name = forms.CharField(label=_("紧急联系人"), max_length=50)
    emergency_contact_phone = forms.CharField(label=_("紧急联系人手机号"), max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = (  # type: ignore[attr-defined]
            Site.objects.filter(is_active=True).order_by("path")
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("请填写原因")}),
    )


class ServiceRecordForm(forms.Form):
    site = SiteChoiceField(label=_("服务阵地"), queryset=Site.objects.none())
    service_date = forms.DateField(
        # ISO format: a date input shows nothing for the locale's "2026/12/02".
        label=_("服务日期"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    title = forms.CharField(label=_("服务项目"), max_length=200)
    hours = forms.DecimalField(
        label=_("服务时长（小时，只计服务时间，不含路途）"),
        max_digits=4,
        decimal_places=1,
        min_value=0.1,
        max_value=24,
    )

    def __init__(self, *args: Any, sites: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        self.fields["service_date"].initial = timezone.localdate()


class CertificateForm(forms.Form):
    notes = forms.CharField(
        label=_("备注"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TeamForm(forms.Form):
    site = SiteChoiceField(label=_("所属阵地"), queryset=Site.objects.none())
    name = forms.CharField(label=_("队名"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=TeamKind.choices)
    category = forms.ChoiceField(
        label=_("服务领域"), choices=[("", "—"), *ServiceCategory.choices], required=False
    )
    description = forms.CharField(
        label=_("简介"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, sites: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]


class MemberForm(forms.Form):
    volunteer = forms.CharField(label=_("志愿者编号或手机号"), max_length=20)
    is_leader = forms.BooleanField(label=_("设为队长"), required=False)
