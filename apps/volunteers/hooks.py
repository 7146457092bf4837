"""Hooks higher layers register to hear about a volunteer leaving active service.

``volunteers`` sits below ``orders`` and may not import it, yet a suspension or a
withdrawal must end the volunteer's open order assignments. The orders app registers
a handler here in its ``AppConfig.ready``; ``volunteers.services`` calls every
registered handler inside the status change's transaction, so the assignments end
(and the orders return to the queue) in the same commit as the suspension.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apps.accounts.models import User

    from .models import Volunteer

# handler(volunteer=..., actor=..., reason=...): called with the volunteer row locked,
# after its status left ``approved``.
DeactivatedHandler = Callable[..., object]

_deactivated: list[DeactivatedHandler] = []


def on_volunteer_deactivated(handler: DeactivatedHandler) -> DeactivatedHandler:
    """Register ``handler`` (idempotent: registering twice keeps one)."""
    if handler not in _deactivated:
        _deactivated.append(handler)
    return handler


def volunteer_deactivated(*, volunteer: Volunteer, actor: User | None, reason: str) -> None:
    for handler in list(_deactivated):
        handler(volunteer=volunteer, actor=actor, reason=reason)
