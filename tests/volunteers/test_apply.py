"""Applying to volunteer, through the API and the page: clear field errors and nothing
saved on bad input, one application per person, re-applying after a rejection."""

from __future__ import annotations

import re

import pytest

from apps.volunteers import services
from apps.volunteers.models import (
    Volunteer,
    VolunteerEvent,
    VolunteerStatus,
    availability_bit,
)

from .conftest import table_counts
from .factories import ID_123X, VolunteerFactory, valid_id_number, wrong_checksum

pytestmark = pytest.mark.django_db

APPLY_API = "/api/v1/volunteers/apply/"
APPLY_PAGE = "/volunteers/apply/"


def _error_fields(html: str) -> set[str]:
    """Names of the form fields the page marks as having an error."""
    blocks = re.findall(r'<div class="field has-error">(.*?)</div>', html, re.S)
    names = set()
    for block in blocks:
        names.update(re.findall(r'name="([a-z_]+)"', block))
    return names


class TestApplyApi:
    def test_valid_application_is_saved_pending(self, api_as, cast, tree, payload):
        response = api_as(cast.res1).post(APPLY_API, payload(), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["status"] == "pending"
        assert body["id_number"] == ID_123X  # normalised: upper-case X, whole for the owner
        assert body["mobile"] == "13812345678"
        assert sorted(body["skills"]) == ["elderly", "health"]
        volunteer = Volunteer.objects.get(user=cast.res1)
        assert volunteer.pk == body["id"]
        assert volunteer.site == tree.village1
        assert volunteer.id_number == ID_123X
        assert volunteer.number is None
        assert volunteer.availability == availability_bit(5, 0)
        assert sorted(volunteer.skill_codes) == ["elderly", "health"]
        event = VolunteerEvent.objects.get(volunteer=volunteer)
        assert (event.actor, event.from_status, event.to_status) == (cast.res1, "", "pending")

    @pytest.mark.parametrize(
        ("overrides", "field", "text"),
        [
            ({"mobile": "12345"}, "mobile", "手机号"),
            ({"mobile": "1381234567a"}, "mobile", "手机号"),
            ({"id_number": wrong_checksum(ID_123X)}, "id_number", "校验位"),
            ({"id_number": "11010519800105123"}, "id_number", "18 位"),
            ({"id_number": "110105198002301230"}, "id_number", "出生日期"),
            ({"emergency_contact_phone": "010-1234"}, "emergency_contact_phone", "手机号"),
            ({"real_name": "  "}, "real_name", ""),
            ({"skills": ["cooking"]}, "skills", ""),
            ({"availability": ["7-am"]}, "availability", ""),
        ],
    )
    def test_bad_input_gives_field_error_and_saves_nothing(
        self, api_as, cast, payload, overrides, field, text
    ):
        before = table_counts()
        response = api_as(cast.res1).post(APPLY_API, payload(**overrides), format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid"
        assert field in body["errors"], body
        assert text in " ".join(map(str, body["errors"][field]))
        assert table_counts() == before
        assert not Volunteer.objects.filter(user=cast.res1).exists()

    def test_all_field_errors_reported_at_once(self, api_as, cast, payload):
        response = api_as(cast.res1).post(
            APPLY_API,
            payload(mobile="999", id_number=wrong_checksum(ID_123X), emergency_contact_phone="1"),
            format="json",
        )
        assert response.status_code == 400
        assert {"mobile", "id_number", "emergency_contact_phone"} <= set(response.json()["errors"])
        assert table_counts() == (0, 0, 0)

    def test_duplicate_id_number_of_another_user(self, api_as, cast, tree, payload):
        VolunteerFactory(site=tree.village2, id_number=ID_123X)
        before = table_counts()
        response = api_as(cast.res1).post(
            APPLY_API, payload(id_number=ID_123X.lower()), format="json"
        )
        assert response.status_code == 400
        assert "已登记" in response.json()["errors"]["id_number"][0]
        assert table_counts() == before

    def test_applying_twice(self, api_as, cast, payload):
        client = api_as(cast.res1)
        assert client.post(APPLY_API, payload(), format="json").status_code == 201
        before = table_counts()
        response = client.post(
            APPLY_API, payload(real_name="改名", skills=["legal"]), format="json"
        )
        assert response.status_code == 400
        assert "重复申请" in response.json()["errors"]["non_field_errors"][0]
        assert table_counts() == before
        volunteer = Volunteer.objects.get(user=cast.res1)
        assert volunteer.real_name == "张三"
        assert sorted(volunteer.skill_codes) == ["elderly", "health"]

    def test_inactive_site_refused(self, api_as, cast, tree, payload):
        tree.village1b.is_active = False
        tree.village1b.save()
        response = api_as(cast.res1).post(APPLY_API, payload(site=tree.village1b.pk), format="json")
        assert response.status_code == 400
        assert "site" in response.json()["errors"]
        assert table_counts() == (0, 0, 0)

    def test_anonymous_refused(self, api, payload, cast):
        response = api.post(APPLY_API, payload(), format="json")
        assert response.status_code == 401
        assert table_counts() == (0, 0, 0)

    def test_reapply_after_rejection_goes_back_to_pending(self, api_as, cast, tree, payload):
        client = api_as(cast.res1)
        volunteer_id = client.post(APPLY_API, payload(), format="json").json()["id"]
        services.volunteer_reject(
            volunteer=Volunteer.objects.get(pk=volunteer_id), actor=cast.village1, reason="资料不全"
        )
        response = client.post(
            APPLY_API,
            payload(site=tree.village1b.pk, skills=["legal"], availability=["6-eve"]),
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["id"] == volunteer_id
        volunteer = Volunteer.objects.get(pk=volunteer_id)
        assert volunteer.status == VolunteerStatus.PENDING
        assert volunteer.status_reason == ""
        assert volunteer.site == tree.village1b
        assert volunteer.skill_codes == ["legal"]
        assert volunteer.availability == availability_bit(6, 2)
        assert Volunteer.objects.filter(user=cast.res1).count() == 1
        assert list(volunteer.events.values_list("from_status", "to_status")) == [
            ("", "pending"),
            ("pending", "rejected"),
            ("rejected", "pending"),
        ]

    def test_reapply_after_withdrawal(self, api_as, cast, payload):
        client = api_as(cast.res1)
        client.post(APPLY_API, payload(), format="json")
        assert client.post("/api/v1/volunteers/me/withdraw/", {}, format="json").status_code == 200
        response = client.post(APPLY_API, payload(), format="json")
        assert response.status_code == 201
        assert Volunteer.objects.get(user=cast.res1).status == VolunteerStatus.PENDING


class TestApplyPage:
    def _form(self, tree, **overrides):
        data = {
            "real_name": "王五",
            "mobile": "138 1234 5678",
            "id_number": "11010519800105123x",
            "site": tree.village1.pk,
            "skills": ["health", "culture"],
            "specialties": "二胡",
            "service_area": "东关",
            "availability": ["5-am", "6-pm"],
            "emergency_contact_name": "王母",
            "emergency_contact_phone": "13987654321",
        }
        data.update(overrides)
        return data

    def test_anonymous_goes_to_login(self, client, cast):
        response = client.get(APPLY_PAGE)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_form_renders_with_skills_and_slots(self, login_as, cast, tree):
        response = login_as(cast.res1).get(APPLY_PAGE)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'name="id_number"' in html
        assert 'value="5-am"' in html and "周六上午" in html
        assert 'value="health"' in html and "卫生健康" in html
        assert tree.village1.name in html

    def test_valid_application(self, login_as, cast, tree):
        response = login_as(cast.res1).post(APPLY_PAGE, self._form(tree))
        assert response.status_code == 302
        assert response["Location"] == "/volunteers/me/"
        volunteer = Volunteer.objects.get(user=cast.res1)
        assert volunteer.status == VolunteerStatus.PENDING
        assert volunteer.mobile == "13812345678"
        assert volunteer.id_number == ID_123X
        assert sorted(volunteer.skill_codes) == ["culture", "health"]
        assert volunteer.availability == availability_bit(5, 0) | availability_bit(6, 1)
        assert volunteer.events.count() == 1

    @pytest.mark.parametrize(
        ("overrides", "field", "text"),
        [
            ({"mobile": "12345"}, "mobile", "11 位中国大陆手机号"),
            ({"id_number": wrong_checksum(ID_123X)}, "id_number", "校验位不正确"),
            ({"id_number": "110105198013011230"}, "id_number", "出生日期无效"),
            ({"emergency_contact_phone": "123"}, "emergency_contact_phone", "手机号"),
        ],
    )
    def test_bad_input_shows_the_error_on_its_field(
        self, login_as, cast, tree, overrides, field, text
    ):
        response = login_as(cast.res1).post(APPLY_PAGE, self._form(tree, **overrides))
        assert response.status_code == 400
        html = response.content.decode()
        assert text in html
        assert _error_fields(html) == {field}
        assert table_counts() == (0, 0, 0)

    def test_duplicate_id_number(self, login_as, cast, tree):
        VolunteerFactory(site=tree.village2, id_number=ID_123X)
        before = table_counts()
        response = login_as(cast.res1).post(APPLY_PAGE, self._form(tree))
        assert response.status_code == 400
        html = response.content.decode()
        assert "该身份证号已登记为志愿者" in html
        assert _error_fields(html) == {"id_number"}
        assert table_counts() == before

    def test_applying_twice_goes_to_the_profile(self, login_as, cast, tree):
        client = login_as(cast.res1)
        client.post(APPLY_PAGE, self._form(tree))
        before = table_counts()
        assert client.get(APPLY_PAGE)["Location"] == "/volunteers/me/"
        response = client.post(APPLY_PAGE, self._form(tree, real_name="改名"))
        assert response.status_code == 302
        assert table_counts() == before
        assert Volunteer.objects.get(user=cast.res1).real_name == "王五"

    def test_reapply_after_rejection(self, login_as, cast, tree, pending_v1):
        services.volunteer_reject(volunteer=pending_v1, actor=cast.town1, reason="照片不清晰")
        client = login_as(cast.res1)
        page = client.get(APPLY_PAGE)
        assert page.status_code == 200
        html = page.content.decode()
        assert "未通过" in html and "照片不清晰" in html
        response = client.post(
            APPLY_PAGE, self._form(tree, id_number=pending_v1.id_number, skills=["legal"])
        )
        assert response.status_code == 302
        pending_v1.refresh_from_db()
        assert pending_v1.status == VolunteerStatus.PENDING
        assert pending_v1.real_name == "王五"
        assert pending_v1.skill_codes == ["legal"]
        assert Volunteer.objects.count() == 1

    def test_me_shows_pending(self, login_as, cast, tree):
        client = login_as(cast.res1)
        client.post(APPLY_PAGE, self._form(tree))
        html = client.get("/volunteers/me/").content.decode()
        assert "待审核" in html
        assert ID_123X in html  # the owner sees their own number whole

    def test_me_without_application(self, login_as, cast):
        response = login_as(cast.nobody).get("/volunteers/me/")
        assert response.status_code == 200
        assert "您还不是志愿者" in response.content.decode()

    def test_distinct_numbers_per_factory(self):
        assert valid_id_number(1) != valid_id_number(2)
