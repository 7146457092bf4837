"""The activities API: create → publish → sign up (Idempotency-Key) → withdraw,
scope and the problem bodies."""

from __future__ import annotations

from typing import Any

import pytest

from apps.activities.models import Activity, Signup

from .conftest import activity_fields

pytestmark = pytest.mark.django_db


def _body(site_id: int, **overrides: Any) -> dict[str, Any]:
    fields = activity_fields(**overrides)
    for key in ("starts_at", "ends_at", "signup_deadline"):
        fields[key] = fields[key].isoformat()
    return {"site": site_id, "roles": [{"name": "引导员", "slots": 1}], **fields}


def test_create_publish_signup(cast: Any, tree: Any, api_as: Any, vol1: Any) -> None:
    staff = api_as(cast.village1)
    created = staff.post("/api/v1/activities/", _body(tree.village1.pk), format="json")
    assert created.status_code == 201, created.content
    activity_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    # A draft is the organisers' own.
    assert api_as(cast.vol1).get(f"/api/v1/activities/{activity_id}/").status_code == 404
    published = staff.post(f"/api/v1/activities/{activity_id}/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    again = staff.post(f"/api/v1/activities/{activity_id}/publish/")
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"

    volunteer = api_as(cast.vol1)
    first = volunteer.post(
        f"/api/v1/activities/{activity_id}/signup/", {}, format="json", HTTP_IDEMPOTENCY_KEY="tap-1"
    )
    assert first.status_code == 201 and first.json()["status"] == "confirmed"
    repeat = volunteer.post(
        f"/api/v1/activities/{activity_id}/signup/", {}, format="json", HTTP_IDEMPOTENCY_KEY="tap-1"
    )
    assert repeat.status_code == 200 and repeat.json()["id"] == first.json()["id"]
    assert Signup.objects.count() == 1
    detail = volunteer.get(f"/api/v1/activities/{activity_id}/").json()
    assert detail["my_signup"]["status"] == "confirmed"
    assert detail["roles"][0]["taken"] == 1

    listed = staff.get(f"/api/v1/activities/{activity_id}/signups/").json()
    assert [s["volunteer_name"] for s in listed["results"]] == ["张丽"]
    assert volunteer.get(f"/api/v1/activities/{activity_id}/signups/").status_code == 403
    assert (
        volunteer.post(f"/api/v1/activities/{activity_id}/withdraw/", {}, format="json").json()[
            "status"
        ]
        == "withdrawn"
    )
    events = staff.get(f"/api/v1/activities/{activity_id}/events/").json()["results"]
    assert [e["code"] for e in events][-2:] == ["signed_up", "withdrawn"]
    assert events[-1]["text"] == "张丽 退出引导员"


def test_not_yours_and_bad_input(cast: Any, tree: Any, api_as: Any) -> None:
    other = api_as(cast.town2)
    denied = other.post("/api/v1/activities/", _body(tree.village1.pk), format="json")
    assert denied.status_code == 404 and denied.json()["code"] == "site_not_found"
    bad = api_as(cast.village1).post(
        "/api/v1/activities/", _body(tree.village1.pk, title=""), format="json"
    )
    assert bad.status_code == 400 and "title" in bad.json()["errors"]
    assert api_as(cast.village1).get("/api/v1/activities/?status=nope").status_code == 400
    assert api_as(cast.village1).get("/api/v1/activities/99999999/").status_code == 404
    assert Activity.objects.count() == 0


def test_overlap_answers_409_until_confirmed(cast: Any, tree: Any, api_as: Any, vol1: Any) -> None:
    staff = api_as(cast.village1)
    ids = []
    for title in ("上午活动", "同时段活动"):
        made = staff.post(
            "/api/v1/activities/", _body(tree.village1.pk, title=title), format="json"
        )
        staff.post(f"/api/v1/activities/{made.json()['id']}/publish/")
        ids.append(made.json()["id"])
    volunteer = api_as(cast.vol1)
    assert (
        volunteer.post(f"/api/v1/activities/{ids[0]}/signup/", {}, format="json").status_code == 201
    )
    clash = volunteer.post(f"/api/v1/activities/{ids[1]}/signup/", {}, format="json")
    assert clash.status_code == 409 and clash.json()["code"] == "overlap"
    assert clash.json()["errors"]["overlaps"]
    ok = volunteer.post(
        f"/api/v1/activities/{ids[1]}/signup/", {"confirm_overlap": True}, format="json"
    )
    assert ok.status_code == 201 and ok.json()["overlap_confirmed"] is True


def test_residents_register_through_the_api(cast: Any, tree: Any, api_as: Any) -> None:
    staff = api_as(cast.village1)
    made = staff.post(
        "/api/v1/activities/",
        _body(tree.village1.pk, residents_allowed=True, resident_limit=30),
        format="json",
    ).json()
    staff.post(f"/api/v1/activities/{made['id']}/publish/")
    resident = api_as(cast.res1)
    first = resident.post(f"/api/v1/activities/{made['id']}/register/")
    assert first.status_code == 201 and first.json() == {
        "status": "registered",
        "residents_taken": 1,
        "resident_limit": 30,
    }
    assert resident.post(f"/api/v1/activities/{made['id']}/register/").status_code == 200
    assert api_as(cast.res9).post(f"/api/v1/activities/{made['id']}/register/").status_code == 404
