from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Site, SiteLevel


class SiteForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    level = forms.ChoiceField(label=_("层级"), choices=SiteLevel.choices)
    parent = forms.ModelChoiceField(
        label=_("上级阵地"), queryset=Site.objects.none(), required=False
    )
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    latitude = forms.DecimalField(label=_("纬度"), max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(label=_("经度"), max_digits=9, decimal_places=6, required=False)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
