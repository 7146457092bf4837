from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.sites.models import Site
from apps.volunteers.forms import SiteChoiceField


class RewardForm(forms.Form):
    site = SiteChoiceField(label=_("兑换点"), queryset=Site.objects.none())
    name = forms.CharField(label=_("名称"), max_length=100)
    description = forms.CharField(label=_("说明"), max_length=300, required=False)
    points_cost = forms.IntegerField(label=_("所需积分"), min_value=1)
    stock = forms.IntegerField(label=_("库存"), min_value=0)
    per_volunteer_limit = forms.IntegerField(
        label=_("每人限兑（留空不限）"), min_value=1, required=False
    )
    is_active = forms.BooleanField(label=_("上架"), required=False, initial=True)
    photo = forms.ImageField(label=_("图片（JPG/PNG，5 MB 以内）"), required=False)

    def __init__(self, *args: Any, sites: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]


class RerunForm(forms.Form):
    settlement_date = forms.DateField(
        label=_("结算日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
