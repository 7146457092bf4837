from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MAX_PHOTOS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.ImageField):
    """Several photos in one input; each is checked again by the service (clean_image)."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d][: MAX_PHOTOS + 1]
        return [single(data, initial)] if data else []


class PostForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=100)
    body = forms.CharField(
        label=_("正文"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("写清楚时间、地点、做了什么、群众怎么说。"),
    )
    photos = MultiplePhotoField(
        label=_("照片"),
        required=False,
        help_text=_("最多 9 张，JPG、PNG 或 WebP。公开前会去除拍摄位置等信息并压缩。"),
    )


class SubmitForm(forms.Form):
    consent = forms.BooleanField(
        label=_("我确认：照片和文字中出现的人（或其监护人）已同意公开发布。"), required=True
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("修改意见"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm = forms.BooleanField(label=_("我确认这一操作"), required=True)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("审核意见（可不填）"), max_length=1000, required=False)
