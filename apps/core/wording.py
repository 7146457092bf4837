"""Small pieces of wording shared by every app's messages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext


def list_text(items: Iterable[Any]) -> str:
    """Items joined the way the active language lists them (“张丽、李强” in Chinese,
    “Zhang Li, Li Qiang” in English)."""
    return gettext("、").join(str(i) for i in items)
