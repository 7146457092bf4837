"""ID number and mobile: whole for the volunteer, masked for anyone else, staff in scope
included (110***********123X, 138****5678); staff in scope reveal them by an explicit,
logged action (issue #12, tests/trust/test_personal_data.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIRequestFactory

from apps.volunteers import selectors
from apps.volunteers.serializers import VolunteerSerializer

from .factories import ID_123X

pytestmark = pytest.mark.django_db

MASKED_ID = "110***********123X"
MASKED_MOBILE = "138****5678"


def test_the_owner_sees_it_whole(cast, pending_v1):
    assert selectors.id_number_for(cast.res1, pending_v1) == ID_123X
    assert selectors.volunteer_mobile_for(cast.res1, pending_v1) == "13812345678"


@pytest.mark.parametrize("who", ["village1", "town1", "county", "town2", "res9", "vol1", "nobody"])
def test_everyone_else_sees_it_masked(cast, pending_v1, who):
    viewer = getattr(cast, who)
    assert selectors.id_number_for(viewer, pending_v1) == MASKED_ID
    assert selectors.volunteer_mobile_for(viewer, pending_v1) == MASKED_MOBILE


def test_anonymous_and_none_see_it_masked(pending_v1):
    for viewer in (None, AnonymousUser()):
        assert selectors.id_number_for(viewer, pending_v1) == MASKED_ID
        assert selectors.volunteer_mobile_for(viewer, pending_v1) == MASKED_MOBILE


def test_api_detail_for_owner_and_staff(api_as, cast, pending_v1):
    body = api_as(cast.town1).get(f"/api/v1/volunteers/{pending_v1.pk}/").json()
    assert (body["id_number"], body["mobile"]) == (MASKED_ID, MASKED_MOBILE)
    me = api_as(cast.res1).get("/api/v1/volunteers/me/").json()
    assert (me["id_number"], me["mobile"]) == (ID_123X, "13812345678")
    assert me["emergency_contact_phone"] == "13987654321"


def test_serializer_masks_for_staff_of_another_township(cast, pending_v1):
    request = APIRequestFactory().get("/")
    request.user = cast.town2
    body = VolunteerSerializer(pending_v1, context={"request": request}).data
    assert (body["id_number"], body["mobile"]) == (MASKED_ID, MASKED_MOBILE)
    request.user = cast.village1
    body = VolunteerSerializer(pending_v1, context={"request": request}).data
    assert (body["id_number"], body["mobile"]) == (MASKED_ID, MASKED_MOBILE)


def test_roster_rows_for_staff_in_scope_are_masked(api_as, cast, pending_v1):
    rows = api_as(cast.town1).get("/api/v1/volunteers/").json()["results"]
    assert [(r["id_number"], r["mobile"]) for r in rows] == [(MASKED_ID, MASKED_MOBILE)]
