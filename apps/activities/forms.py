"""Page forms: they parse and type-check; the rules are in ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.volunteers.models import ServiceCategory

from .models import (
    MAX_FIXED_POINTS,
    MAX_RESIDENT_LIMIT,
    MAX_SLOTS_PER_ROLE,
    MonthlyTheme,
    PointsMode,
)

ROLE_ROWS = 4
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ThemeForm(forms.Form):
    title = forms.CharField(label=_("主题"), max_length=100)
    guidance = forms.CharField(
        label=_("活动指引"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("活动名称"), max_length=100)
    theme = forms.ModelChoiceField(
        label=_("月度主题"),
        queryset=MonthlyTheme.objects.none(),
        required=False,
        help_text=_("只能选择活动开始当月的主题"),
    )
    category = forms.ChoiceField(label=_("服务类别"), choices=ServiceCategory.choices)
    description = forms.CharField(
        label=_("活动内容"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    address = forms.CharField(label=_("活动地点"), max_length=200)
    latitude = forms.DecimalField(
        label=_("纬度"), max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False
    )
    longitude = forms.DecimalField(
        label=_("经度"),
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
    )
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=DATETIME)
    signup_deadline = forms.DateTimeField(
        label=_("报名截止"), widget=DATETIME, required=False, help_text=_("不填则为开始时间")
    )
    needs_approval = forms.BooleanField(label=_("报名需审核"), required=False)
    residents_allowed = forms.BooleanField(label=_("群众可报名参加"), required=False)
    resident_limit = forms.IntegerField(
        label=_("群众名额"), min_value=0, max_value=MAX_RESIDENT_LIMIT, required=False
    )
    points_mode = forms.ChoiceField(label=_("积分方式"), choices=PointsMode.choices)
    points_per_hour = forms.IntegerField(
        label=_("每小时积分"), min_value=0, max_value=100, required=False
    )
    fixed_points = forms.IntegerField(
        label=_("固定积分"),
        min_value=0,
        max_value=MAX_FIXED_POINTS,
        required=False,
        help_text=_("仅县级管理员可设定"),
    )
    cover = forms.ImageField(label=_("封面照片"), required=False)

    def __init__(self, *args: Any, themes: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if themes is not None:
            self.fields["theme"].queryset = themes  # type: ignore[attr-defined]
        for i in range(1, ROLE_ROWS + 1):
            self.fields[f"role{i}_name"] = forms.CharField(
                label=_("岗位 %(n)s 名称") % {"n": i}, max_length=50, required=i == 1
            )
            self.fields[f"role{i}_slots"] = forms.IntegerField(
                label=_("岗位 %(n)s 人数") % {"n": i},
                min_value=1,
                max_value=MAX_SLOTS_PER_ROLE,
                required=False,
            )
            self.fields[f"role{i}_skill"] = forms.ChoiceField(
                label=_("岗位 %(n)s 所需特长") % {"n": i},
                choices=[("", _("不限"))] + list(ServiceCategory.choices),
                required=False,
            )

    def roles(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {
                "name": data[f"role{i}_name"],
                "slots": data.get(f"role{i}_slots") or 1,
                "skill": data.get(f"role{i}_skill") or "",
            }
            for i in range(1, ROLE_ROWS + 1)
            if data.get(f"role{i}_name")
        ]

    def activity_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        fields = {
            k: data.get(k)
            for k in (
                "title",
                "theme",
                "category",
                "description",
                "address",
                "latitude",
                "longitude",
                "starts_at",
                "ends_at",
                "signup_deadline",
                "needs_approval",
                "residents_allowed",
                "points_mode",
            )
        }
        fields["resident_limit"] = data.get("resident_limit") or 0
        fields["points_per_hour"] = data.get("points_per_hour") or 0
        fields["fixed_points"] = data.get("fixed_points") or 0
        return fields


class SignupForm(forms.Form):
    role = forms.TypedChoiceField(label=_("岗位"), coerce=int)
    confirm_overlap = forms.BooleanField(label=_("我已知晓时间冲突，仍要报名"), required=False)

    def __init__(self, *args: Any, roles: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.pk, r.name) for r in roles]  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class InviteForm(forms.Form):
    role = forms.TypedChoiceField(label=_("岗位"), coerce=int)
    team = forms.TypedChoiceField(
        label=_("邀请整支服务队"), coerce=int, required=False, empty_value=None
    )
    numbers = forms.CharField(
        label=_("或填写志愿者编号"),
        max_length=2000,
        required=False,
        help_text=_("多个编号用逗号或空格分隔"),
    )

    def __init__(self, *args: Any, roles: Any = (), teams: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.pk, r.name) for r in roles]  # type: ignore[attr-defined]
        self.fields["team"].choices = [("", "—")] + [(t.pk, t.name) for t in teams]  # type: ignore[attr-defined]
