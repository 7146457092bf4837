"""The state machine the orders, activities and showcase workflows share
(apps/core/workflow.py): the refusal names the status and the action, a move outside
the table is a programming error, a move stamps the status change and saves what it
names in one call."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from apps.core.errors import ConflictError
from apps.core.workflow import StateMachine

TABLE = {
    "start": (frozenset({"new"}), frozenset({"running"})),
    "note": (frozenset({"new", "running"}), frozenset({"new", "running"})),
}
MACHINE = StateMachine(
    TABLE,
    {"start": "开始", "note": "备注"},
    "当前状态为“%(status)s”，不能%(action)s。",
    touch=("updated_at",),
)
NOW = dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.UTC)


class Thing:
    def __init__(self, status: str) -> None:
        self.status = status
        self.status_changed_at: dt.datetime | None = None
        self.saved: list[list[str]] = []

    def get_status_display(self) -> str:
        return {"new": "新建", "running": "进行中"}[self.status]

    def save(self, *, update_fields: Any) -> None:
        self.saved.append(list(update_fields))


def test_check_refuses_an_action_the_status_does_not_allow() -> None:
    thing = Thing("running")
    with translation.override("zh-hans"), pytest.raises(ConflictError) as info:
        MACHINE.check(thing, "start")
    assert info.value.message == "当前状态为“进行中”，不能开始。"
    assert info.value.code == "illegal_transition"
    MACHINE.check(Thing("new"), "start")  # allowed: no error


def test_a_move_changes_the_status_stamps_it_and_saves_once() -> None:
    thing = Thing("new")
    left = MACHINE.move(thing, action="start", to="running", now=NOW, fields=["note_text"])
    assert left == "new" and thing.status == "running" and thing.status_changed_at == NOW
    assert thing.saved == [["note_text", "status", "status_changed_at", "updated_at"]]


def test_a_move_that_keeps_the_status_saves_only_its_fields_or_nothing() -> None:
    thing = Thing("running")
    MACHINE.move(thing, action="note", to="running", now=NOW)
    assert thing.saved == [] and thing.status_changed_at is None
    MACHINE.move(thing, action="note", to="running", now=NOW, fields=["note_text"])
    assert thing.saved == [["note_text", "updated_at"]]


def test_a_move_outside_the_table_is_a_programming_error() -> None:
    with pytest.raises(AssertionError):
        MACHINE.move(Thing("new"), action="start", to="new", now=NOW)
    with pytest.raises(AssertionError):
        MACHINE.validate("start", "running", "running")
