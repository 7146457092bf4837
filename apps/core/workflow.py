"""The mechanism the state machines of orders, activities and showcase posts share.

Each keeps its own transition table (action → the statuses it may start from, the
statuses it may lead to), its labels, its row lock, its visibility and its event
model; what is the same for all three lives here:

* ``check``: refuse an action the current status does not allow, with a 409 that names
  the status and the action in the reader's language (``illegal_transition``);
* ``move``: a move the table does not list is a programming error (``AssertionError``);
  otherwise set the new status, stamp ``status_changed_at`` when it changes, and save
  the fields the move names (and ``touch``, e.g. ``updated_at``), in one ``UPDATE``.

The caller holds the row lock and writes its event after the move, in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ConflictError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Transitions = Mapping[str, tuple[frozenset[str], frozenset[str]]]


@dataclass(frozen=True)
class StateMachine:
    transitions: Transitions
    labels: Mapping[str, StrOrPromise]
    # A lazy message with ``%(status)s`` (the status's label) and ``%(action)s``.
    refusal: StrOrPromise
    # Fields saved with every move that saves anything (a model's ``updated_at``).
    touch: tuple[str, ...] = ()

    def check(self, obj: Any, action: str) -> None:
        """Raise ``ConflictError`` unless ``obj``'s status allows ``action``."""
        allowed_from, _targets = self.transitions[action]
        if obj.status not in allowed_from:
            raise ConflictError(
                str(self.refusal)
                % {"status": obj.get_status_display(), "action": self.labels[action]},
                code="illegal_transition",
                errors={"status": [obj.status]},
            )

    def validate(self, action: str, from_status: str, to: str) -> None:
        """A move the table does not list is a programming error, not a user's."""
        allowed_from, targets = self.transitions[action]
        if from_status not in allowed_from or to not in targets:
            raise AssertionError(f"transition {action}: {from_status} → {to} not in the table")

    def move(
        self, obj: Any, *, action: str, to: str, now: dt.datetime, fields: Iterable[str] = ()
    ) -> str:
        """Move ``obj`` to ``to`` and save ``fields``; returns the status it left."""
        from_status: str = obj.status
        self.validate(action, from_status, to)
        update = set(fields)
        if to != from_status:
            obj.status = to
            obj.status_changed_at = now
            update |= {"status", "status_changed_at"}
        if update:
            obj.save(update_fields=sorted(update | set(self.touch)))
        return from_status
