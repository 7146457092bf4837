"""Review transitions: approve, reject (with reason), suspend (with reason), reinstate,
illegal moves answered 409 ``illegal_transition`` with nothing changed, withdraw by the
owner only — through the API, the services and the pages."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from apps.accounts.models import Role, RoleName
from apps.core.errors import ConflictError, PermissionDeniedError
from apps.volunteers import services
from apps.volunteers.models import Volunteer, VolunteerEvent, VolunteerStatus

pytestmark = pytest.mark.django_db

S = VolunteerStatus


def _url(volunteer, action):
    return f"/api/v1/volunteers/{volunteer.pk}/{action}/"


def _snapshot(volunteer):
    """Everything a refused transition must leave alone."""
    fresh = Volunteer.objects.get(pk=volunteer.pk)
    return (
        fresh.status,
        fresh.status_reason,
        fresh.number,
        fresh.reviewed_by_id,
        fresh.reviewed_at,
        VolunteerEvent.objects.filter(volunteer=volunteer).count(),
        sorted(Role.objects.filter(user_id=volunteer.user_id).values_list("role", "site_id")),
    )


def _has_volunteer_role(volunteer):
    return Role.objects.filter(
        user_id=volunteer.user_id, role=RoleName.VOLUNTEER, site_id=volunteer.site_id
    ).exists()


class TestApprove:
    @pytest.mark.parametrize("staff", ["village1", "town1", "county"])
    def test_staff_in_scope_approve(self, api_as, cast, pending_v1, staff):
        actor = getattr(cast, staff)
        assert not _has_volunteer_role(pending_v1)
        response = api_as(actor).post(_url(pending_v1, "approve"))
        assert response.status_code == 200, response.json()
        pending_v1.refresh_from_db()
        assert pending_v1.status == S.APPROVED
        assert re.fullmatch(r"ZY\d{10}", pending_v1.number)
        assert response.json()["number"] == pending_v1.number
        assert pending_v1.reviewed_by == actor
        assert pending_v1.reviewed_at is not None
        assert _has_volunteer_role(pending_v1)
        event = pending_v1.events.last()
        assert (event.actor, event.from_status, event.to_status) == (actor, "pending", "approved")

    def test_numbers_are_distinct(self, cast, tree, pending_v1, approved_v2):
        services.volunteer_approve(volunteer=pending_v1, actor=cast.town1)
        pending_v1.refresh_from_db()
        assert pending_v1.number != approved_v2.number
        assert Volunteer.objects.filter(number=pending_v1.number).count() == 1

    def test_page_approve_from_queue(self, login_as, cast, pending_v1):
        response = login_as(cast.village1).post(
            f"/volunteers/{pending_v1.pk}/review/approve/", {"next": "queue"}
        )
        assert response.status_code == 302
        assert response["Location"] == "/volunteers/roster/?status=pending"
        pending_v1.refresh_from_db()
        assert pending_v1.status == S.APPROVED
        assert _has_volunteer_role(pending_v1)

    def test_page_review_needs_post(self, login_as, cast, pending_v1):
        response = login_as(cast.village1).get(f"/volunteers/{pending_v1.pk}/review/approve/")
        assert response.status_code == 405
        assert Volunteer.objects.get(pk=pending_v1.pk).status == S.PENDING

    def test_staff_cannot_review_themselves(self, api_as, cast, tree):
        own = services.volunteer_apply(
            user=cast.village1,
            site=tree.village1,
            real_name="站长",
            mobile="13900000021",
            id_number="11010519491231002X",
            emergency_contact_name="家属",
            emergency_contact_phone="13900000022",
        )
        before = _snapshot(own)
        response = api_as(cast.village1).post(_url(own, "approve"))
        assert response.status_code == 404
        assert _snapshot(own) == before


class TestReject:
    def test_reason_required(self, api_as, cast, pending_v1):
        before = _snapshot(pending_v1)
        for body in ({}, {"reason": "   "}):
            response = api_as(cast.village1).post(_url(pending_v1, "reject"), body, format="json")
            assert response.status_code == 400
            assert response.json()["errors"]["reason"] == ["请填写未通过的原因。"]
        assert _snapshot(pending_v1) == before

    def test_reject_with_reason(self, api_as, cast, pending_v1):
        response = api_as(cast.town1).post(
            _url(pending_v1, "reject"), {"reason": " 资料不全 "}, format="json"
        )
        assert response.status_code == 200
        pending_v1.refresh_from_db()
        assert (pending_v1.status, pending_v1.status_reason) == (S.REJECTED, "资料不全")
        assert pending_v1.number is None
        assert not _has_volunteer_role(pending_v1)
        event = pending_v1.events.last()
        assert (event.from_status, event.to_status, event.note) == (
            "pending",
            "rejected",
            "资料不全",
        )

    def test_page_reject_without_reason_changes_nothing(self, login_as, cast, pending_v1):
        before = _snapshot(pending_v1)
        client = login_as(cast.village1)
        response = client.post(
            f"/volunteers/{pending_v1.pk}/review/reject/", {"reason": ""}, follow=True
        )
        assert response.status_code == 200
        assert "请填写未通过的原因" in response.content.decode()
        assert _snapshot(pending_v1) == before


class TestSuspendAndReinstate:
    def test_suspend_requires_reason(self, api_as, cast, approved_v1):
        before = _snapshot(approved_v1)
        response = api_as(cast.village1).post(_url(approved_v1, "suspend"), {}, format="json")
        assert response.status_code == 400
        assert "reason" in response.json()["errors"]
        assert _snapshot(approved_v1) == before
        assert _has_volunteer_role(approved_v1)

    def test_suspend_removes_role_and_approve_reinstates(self, api_as, cast, approved_v1):
        number = approved_v1.number
        client = api_as(cast.town1)
        response = client.post(_url(approved_v1, "suspend"), {"reason": "多次爽约"}, format="json")
        assert response.status_code == 200
        approved_v1.refresh_from_db()
        assert (approved_v1.status, approved_v1.status_reason) == (S.SUSPENDED, "多次爽约")
        assert not Role.objects.filter(
            user_id=approved_v1.user_id, role=RoleName.VOLUNTEER
        ).exists()
        # The resident role is not touched.
        assert Role.objects.filter(user_id=approved_v1.user_id, role=RoleName.RESIDENT).exists()

        response = client.post(_url(approved_v1, "approve"))
        assert response.status_code == 200
        approved_v1.refresh_from_db()
        assert approved_v1.status == S.APPROVED
        assert approved_v1.status_reason == ""
        assert approved_v1.number == number  # the same volunteer number, not a new one
        assert _has_volunteer_role(approved_v1)
        assert list(approved_v1.events.values_list("from_status", "to_status")) == [
            ("", "pending"),
            ("pending", "approved"),
            ("approved", "suspended"),
            ("suspended", "approved"),
        ]


class TestIllegalMoves:
    @pytest.mark.parametrize(
        ("fixture", "action", "body"),
        [
            ("approved_v1", "reject", {"reason": "迟来的拒绝"}),
            ("approved_v1", "approve", {}),
            ("pending_v1", "suspend", {"reason": "还没通过"}),
        ],
    )
    def test_api_answers_409(self, request, api_as, cast, fixture, action, body):
        volunteer = request.getfixturevalue(fixture)
        before = _snapshot(volunteer)
        response = api_as(cast.village1).post(_url(volunteer, action), body, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "illegal_transition"
        assert _snapshot(volunteer) == before

    def test_rejected_cannot_be_approved_or_suspended(self, api_as, cast, pending_v1):
        services.volunteer_reject(volunteer=pending_v1, actor=cast.village1, reason="不符合条件")
        before = _snapshot(pending_v1)
        client = api_as(cast.village1)
        assert client.post(_url(pending_v1, "approve")).json()["code"] == "illegal_transition"
        assert (
            client.post(_url(pending_v1, "suspend"), {"reason": "x"}, format="json").status_code
            == 409
        )
        assert _snapshot(pending_v1) == before

    def test_service_raises_conflict_on_a_stale_object(self, cast, pending_v1):
        stale = Volunteer.objects.get(pk=pending_v1.pk)
        services.volunteer_approve(volunteer=pending_v1, actor=cast.village1)
        # The stale copy still says "pending": the service must read the locked row.
        with pytest.raises(ConflictError) as info:
            services.volunteer_reject(volunteer=stale, actor=cast.town1, reason="晚了")
        assert info.value.code == "illegal_transition"
        assert Volunteer.objects.get(pk=pending_v1.pk).status == S.APPROVED


class TestWithdraw:
    WITHDRAW = "/api/v1/volunteers/me/withdraw/"

    def test_owner_withdraws_and_loses_role(self, api_as, cast, approved_v1):
        response = api_as(cast.res1).post(self.WITHDRAW, {"reason": "搬家"}, format="json")
        assert response.status_code == 200
        assert response.json()["status"] == "withdrawn"
        approved_v1.refresh_from_db()
        assert (approved_v1.status, approved_v1.status_reason) == (S.WITHDRAWN, "搬家")
        assert not _has_volunteer_role(approved_v1)
        assert approved_v1.reviewed_by == cast.village1  # withdrawal is not a review
        event = approved_v1.events.last()
        assert (event.actor, event.to_status) == (cast.res1, "withdrawn")

    def test_pending_can_withdraw(self, api_as, cast, pending_v1):
        assert api_as(cast.res1).post(self.WITHDRAW).status_code == 200
        assert Volunteer.objects.get(pk=pending_v1.pk).status == S.WITHDRAWN

    def test_twice_is_illegal(self, api_as, cast, pending_v1):
        client = api_as(cast.res1)
        client.post(self.WITHDRAW)
        before = _snapshot(pending_v1)
        response = client.post(self.WITHDRAW)
        assert response.status_code == 409
        assert response.json()["code"] == "illegal_transition"
        assert _snapshot(pending_v1) == before

    def test_not_a_volunteer(self, api_as, cast):
        response = api_as(cast.vol1).post(self.WITHDRAW)
        assert response.status_code == 404
        assert response.json()["code"] == "not_a_volunteer"

    def test_staff_cannot_withdraw_someone(self, cast, approved_v1):
        before = _snapshot(approved_v1)
        with pytest.raises(PermissionDeniedError):
            services.volunteer_withdraw(volunteer=approved_v1, actor=cast.village1)
        assert _snapshot(approved_v1) == before

    def test_withdraw_page_confirms_then_withdraws(self, login_as, cast, approved_v1):
        client = login_as(cast.res1)
        page = client.get("/volunteers/me/withdraw/")
        assert page.status_code == 200
        assert Volunteer.objects.get(pk=approved_v1.pk).status == S.APPROVED
        response = client.post("/volunteers/me/withdraw/", {"reason": ""})
        assert response.status_code == 302
        assert Volunteer.objects.get(pk=approved_v1.pk).status == S.WITHDRAWN


def test_service_reason_validation_is_a_validation_error(cast, pending_v1):
    with pytest.raises(ValidationError) as info:
        services.volunteer_reject(volunteer=pending_v1, actor=cast.village1, reason="")
    assert "reason" in info.value.message_dict
