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


def test_attendance_through_the_api_from_the_code_to_confirmed_hours(
    cast: Any, tree: Any, api_as: Any, vol1: Any, volunteers: list[Any]
) -> None:
    """The check-in code is the organisers'; a scan with it checks in (a second scan
    changes nothing), a forged one is refused with nothing saved; check-out; staff mark
    a volunteer without a phone by hand, with a reason; after the end, bulk confirm
    records hours and no-shows, and a correction needs a reason."""
    import datetime as dt

    from django.utils import timezone

    from apps.activities.models import ActivityEvent

    staff = api_as(cast.village1)
    created = staff.post("/api/v1/activities/", _body(tree.village1.pk), format="json").json()
    activity_id = created["id"]
    staff.post(f"/api/v1/activities/{activity_id}/publish/")
    volunteer = api_as(cast.vol1)
    assert (
        volunteer.post(f"/api/v1/activities/{activity_id}/signup/", {}, format="json").status_code
        == 201
    )
    other = volunteers[0]
    # The role has one slot: the second volunteer goes on the waiting list; make room.
    Activity.objects.get(pk=activity_id).roles.update(slots=3)
    assert (
        api_as(other.user)
        .post(f"/api/v1/activities/{activity_id}/signup/", {}, format="json")
        .status_code
        == 201
    )
    absent = volunteers[1]
    assert (
        api_as(absent.user)
        .post(f"/api/v1/activities/{activity_id}/signup/", {}, format="json")
        .status_code
        == 201
    )

    # Outside the activity's time there is no code.
    early = staff.get(f"/api/v1/activities/{activity_id}/checkin-code/?kind=in")
    assert early.status_code == 409 and early.json()["code"] == "outside_time"
    start = timezone.now() - dt.timedelta(hours=1)
    Activity.objects.filter(pk=activity_id).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=2), signup_deadline=start
    )
    assert volunteer.get(f"/api/v1/activities/{activity_id}/checkin-code/").status_code in (
        403,
        404,
    )
    assert (
        staff.get(f"/api/v1/activities/{activity_id}/checkin-code/?kind=sideways").status_code
        == 400
    )
    code = staff.get(f"/api/v1/activities/{activity_id}/checkin-code/?kind=in").json()
    assert code["kind"] == "in" and code["token"] in code["url"]

    forged = volunteer.post(
        f"/api/v1/activities/{activity_id}/checkin/",
        {"token": code["token"][:-2] + "xx"},
        format="json",
    )
    assert forged.status_code in (400, 403, 409) and "code" in forged.json()
    assert Signup.objects.get(activity_id=activity_id, volunteer=vol1).checked_in_at is None
    first = volunteer.post(
        f"/api/v1/activities/{activity_id}/checkin/", {"token": code["token"]}, format="json"
    )
    assert first.status_code == 200 and first.json()["checked_in_at"]
    again = volunteer.post(
        f"/api/v1/activities/{activity_id}/checkin/", {"token": code["token"]}, format="json"
    )
    assert (
        again.status_code == 200 and again.json()["checked_in_at"] == first.json()["checked_in_at"]
    )
    # 40 minutes later (moved by the test), the check-out code.
    Signup.objects.filter(activity_id=activity_id, volunteer=vol1).update(
        checked_in_at=timezone.now() - dt.timedelta(minutes=40)
    )
    out = staff.get(f"/api/v1/activities/{activity_id}/checkin-code/?kind=out").json()
    done = volunteer.post(
        f"/api/v1/activities/{activity_id}/checkout/", {"token": out["token"]}, format="json"
    )
    assert done.status_code == 200 and done.json()["checked_out_at"]

    # The second volunteer has no smartphone: marked by hand, a reason required.
    theirs = Signup.objects.get(activity_id=activity_id, volunteer=other)
    mark_url = f"/api/v1/activities/{activity_id}/signups/{theirs.pk}/mark/"
    times = {
        "checked_in_at": start.isoformat(),
        "checked_out_at": (start + dt.timedelta(hours=1)).isoformat(),
    }
    no_reason = staff.post(mark_url, times, format="json")
    assert no_reason.status_code == 400
    assert api_as(other.user).post(
        mark_url, {**times, "reason": "x"}, format="json"
    ).status_code in (
        403,
        404,
    )
    marked = staff.post(mark_url, {**times, "reason": "老人没有智能手机"}, format="json")
    assert marked.status_code == 200 and marked.json()["marked_by_staff"] is True
    assert ActivityEvent.objects.filter(activity_id=activity_id, note="老人没有智能手机").exists()

    # Confirming needs the activity to have ended.
    early_confirm = staff.post(
        f"/api/v1/activities/{activity_id}/attendance/confirm/", {}, format="json"
    )
    assert early_confirm.status_code == 409
    assert staff.post(f"/api/v1/activities/{activity_id}/finish/").status_code == 200
    counts = staff.post(f"/api/v1/activities/{activity_id}/attendance/confirm/", {}, format="json")
    assert counts.json() == {"confirmed": 2, "no_show": 1, "open": 0}
    sheet = {
        s["volunteer_name"]: s
        for s in staff.get(f"/api/v1/activities/{activity_id}/attendance/").json()["results"]
    }
    assert sheet["张丽"]["confirmed_hours"] == "1.0" and sheet["张丽"]["points"] == 10
    assert sheet[other.real_name]["confirmed_hours"] == "1.0"
    assert sheet[absent.real_name]["attendance"] == "no_show"
    correct_url = f"/api/v1/activities/{activity_id}/signups/{theirs.pk}/correct/"
    assert (
        staff.post(correct_url, {"attended": True, "hours": "0.5"}, format="json").status_code
        == 400
    )
    corrected = staff.post(
        correct_url, {"attended": True, "hours": "0.5", "reason": "提前离场"}, format="json"
    )
    assert corrected.status_code == 200 and corrected.json()["confirmed_hours"] == "0.5"
    assert volunteer.get(f"/api/v1/activities/{activity_id}/attendance/").status_code in (403, 404)
