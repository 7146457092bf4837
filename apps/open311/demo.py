"""The demo county's Open311 integrator: the media center's app (酒都惠·新时代文明实践广场),
whose ordering moved "从线下搬到掌上", with a documented key so the README's curl
examples run against the demo. Idempotent: the key is issued once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .keys import api_key_issue, hash_key
from .models import ApiKey

DEMO_NAME = "酒都惠·新时代文明实践广场"
# Demo only: a key everyone knows opens nothing but the demo county.
DEMO_KEY = "demo-open311-jiuduhui-key"  # noqa: S105


def seed(ctx: dict[str, Any], log: Callable[[str], None]) -> None:
    if ApiKey.objects.filter(key_hash=hash_key(DEMO_KEY)).exists():
        return
    api_key_issue(actor=ctx["users"]["county"], name=DEMO_NAME, site=ctx["county"], raw=DEMO_KEY)
    log(
        f"Open311 接入密钥：{DEMO_NAME}（api_key={DEMO_KEY}，jurisdiction_id={ctx['county'].code}）"
    )
