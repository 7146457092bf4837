"""Page forms: parse and shape input for the services; no workflow rules here."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.sites.models import Site
from apps.volunteers.models import ServiceCategory, Volunteer

from .models import MAX_VOLUNTEERS_PER_ORDER, OrderAssignment, ServiceItem

DT_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DT_FORMAT, **kwargs)


class MenuItemChoiceField(forms.ModelChoiceField):
    """Each item names its site, expected duration and the volunteers it sends."""

    def label_from_instance(self, obj: ServiceItem) -> str:
        return str(
            _("%(title)s（%(site)s，约 %(hours)s 小时，%(n)s 名志愿者）")
            % {
                "title": obj.title,
                "site": obj.site.name,
                "hours": f"{obj.duration_hours:g}",
                "n": obj.volunteers_needed,
            }
        )


class MenuItemSelect(forms.Select):
    """Options carry the item's duration and volunteer count, so the page's script
    can suggest the end time (the server does the same when the end is left blank)."""

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        item = getattr(value, "instance", None)
        if isinstance(item, ServiceItem):
            option["attrs"]["data-hours"] = f"{item.duration_hours:g}"
            option["attrs"]["data-volunteers"] = str(item.volunteers_needed)
        return option


class OrderForm(forms.Form):
    service = MenuItemChoiceField(
        label=_("服务项目"),
        queryset=ServiceItem.objects.none(),
        empty_label=_("请选择"),
        widget=MenuItemSelect,
    )
    address = forms.CharField(
        label=_("服务地址"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    contact_mobile = forms.CharField(
        label=_("联系电话"),
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    preferred_start = forms.DateTimeField(
        label=_("期望开始时间"), input_formats=[DT_FORMAT], widget=LocalDateTimeInput()
    )
    preferred_end = forms.DateTimeField(
        label=_("期望结束时间"),
        input_formats=[DT_FORMAT],
        widget=LocalDateTimeInput(),
        required=False,
        help_text=_("不填则按服务项目的预计时长推算。"),
    )
    volunteers_needed = forms.IntegerField(
        label=_("需要志愿者人数"),
        min_value=1,
        max_value=MAX_VOLUNTEERS_PER_ORDER,
        required=False,
        help_text=_("不填则按服务项目的人数安排（见上方项目名称后的人数）。"),
    )
    note = forms.CharField(
        label=_("备注"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：行动不便，请上门；需要测血压。"),
    )
    # A one-time token minted when the form is shown; submitting twice (a double tap,
    # the back button) sends the same token and gets the first order back.
    token = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, menu: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = menu  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        item, start = data.get("service"), data.get("preferred_start")
        if not data.get("preferred_end") and item is not None and start is not None:
            # The suggestion: the start plus the item's expected duration.
            data["preferred_end"] = start + dt.timedelta(hours=float(item.duration_hours))
        return data


class ProxyOrderForm(OrderForm):
    resident_mobile = forms.CharField(
        label=_("群众手机号"),
        max_length=30,
        help_text=_("电话点单：填写来电群众在本平台登记的手机号。"),
    )
    site = forms.ModelChoiceField(
        label=_("群众所在实践站"), queryset=Site.objects.none(), empty_label=_("请选择")
    )

    field_order = ["resident_mobile", "site", "service"]

    def __init__(self, *args: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]


class ServiceItemForm(forms.Form):
    site = forms.ModelChoiceField(
        label=_("发布阵地"),
        queryset=Site.objects.none(),
        help_text=_("在哪个阵地发布，该阵地及其下级的群众都能点。"),
    )
    title = forms.CharField(label=_("服务名称"), max_length=100)
    category = forms.ChoiceField(label=_("服务类别"), choices=ServiceCategory.choices)
    description = forms.CharField(
        label=_("服务内容"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    duration_hours = forms.DecimalField(
        label=_("预计时长（小时）"),
        min_value=Decimal("0.1"),
        max_value=Decimal("24"),
        decimal_places=1,
        initial=Decimal("2"),
    )
    points_per_hour = forms.IntegerField(
        label=_("每服务小时积分"), min_value=0, max_value=1000, initial=10
    )
    volunteers_needed = forms.IntegerField(
        label=_("默认需要志愿者人数"), min_value=1, max_value=MAX_VOLUNTEERS_PER_ORDER, initial=1
    )
    is_active = forms.BooleanField(label=_("上架（群众可点）"), required=False, initial=True)

    def __init__(self, *args: Any, sites: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        if editing:
            self.fields["site"].disabled = True


class VolunteerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Volunteer) -> str:
        return f"{obj.real_name}（{obj.site.name}）"


class DispatchForm(forms.Form):
    volunteers = forms.TypedMultipleChoiceField(
        label=_("派给志愿者"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("派单说明"), max_length=300, required=False)

    def __init__(self, *args: Any, suggestions: list[Volunteer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["volunteers"].choices = [  # type: ignore[attr-defined]
            (v.pk, f"{v.real_name}（{v.site.name}）") for v in suggestions
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("说明（可选）"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ConfirmForm(forms.Form):
    """Actions without input (accept, start, nudge): the page is a confirmation."""


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class CompleteForm(forms.Form):
    hours = forms.DecimalField(
        label=_("服务时长（小时）"),
        min_value=Decimal("0.1"),
        max_value=Decimal("24"),
        decimal_places=1,
        required=False,
        help_text=_("只计服务时间，不含路途；不填则按签到、签退时间计算。"),
    )
    summary = forms.CharField(
        label=_("服务小结"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    # The service checks each photo with Pillow (type, size) and strips EXIF.
    photos = MultipleFileField(label=_("服务照片（可多选，最多 9 张）"), required=False)


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("评分"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[
            (5, _("5 分 非常满意")),
            (4, _("4 分 满意")),
            (3, _("3 分 一般")),
            (2, _("2 分 不满意")),
            (1, _("1 分 很不满意")),
        ],
    )
    comment = forms.CharField(
        label=_("评价（可选）"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DisputeForm(forms.Form):
    comment = forms.CharField(
        label=_("投诉内容"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("投诉将提交县新时代文明实践中心考核处理。"),
    )


class AssessForm(forms.Form):
    approved = forms.TypedChoiceField(
        label=_("考核结果"),
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        choices=[("yes", _("通过：确认服务时长，进入积分结算")), ("no", _("不通过"))],
    )
    comment = forms.CharField(
        label=_("考核意见"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不通过时必须填写。"),
    )

    def __init__(self, *args: Any, served: list[OrderAssignment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.served = served
        for a in served:
            self.fields[f"hours_{a.volunteer_id}"] = forms.DecimalField(
                label=_("%(name)s 确认时长（小时）") % {"name": a.volunteer.real_name},
                min_value=Decimal("0"),
                max_value=Decimal("24"),
                decimal_places=1,
                initial=a.reported_hours,
                help_text=_("上报 %(h)s 小时；只计服务时间，不含路途。") % {"h": a.reported_hours},
            )

    def hours(self) -> dict[int, Decimal]:
        return {
            a.volunteer_id: self.cleaned_data[f"hours_{a.volunteer_id}"]
            for a in self.served
            if self.cleaned_data.get(f"hours_{a.volunteer_id}") is not None
        }
