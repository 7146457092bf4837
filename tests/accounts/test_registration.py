"""Resident self-registration, on the page and through the API: bad input gets a clear
error on the right field and saves nothing; good input makes a resident at a village."""

from __future__ import annotations

from typing import Any

import pytest

from apps.accounts.models import Role, RoleName, User

pytestmark = pytest.mark.django_db

PAGE_URL = "/accounts/register/"
API_URL = "/api/v1/auth/register/"
GOOD_PASSWORD = "Qinghe-2024-lm"


def _counts() -> tuple[int, int]:
    return User.objects.count(), Role.objects.count()


# (case id, overrides of a good submission, field the error must land on)
# "site" overrides name a tree attribute; everything else is a literal value.
BAD_INPUT: list[tuple[str, dict[str, Any], str]] = [
    ("duplicate-mobile", {"mobile": "13600000001"}, "mobile"),
    ("duplicate-mobile-other-spelling", {"mobile": "+86 136-0000-0001"}, "mobile"),
    ("malformed-mobile-short", {"mobile": "12345"}, "mobile"),
    ("malformed-mobile-prefix", {"mobile": "2381234567"}, "mobile"),
    ("malformed-mobile-letters", {"mobile": "1381234567a"}, "mobile"),
    ("weak-password-numeric", {"password": "12345678"}, "password"),
    ("weak-password-common", {"password": "password"}, "password"),
    ("weak-password-short", {"password": "Ab1-x"}, "password"),
    ("duplicate-username", {"username": "res1"}, "username"),
    ("duplicate-username-other-case", {"username": "RES1"}, "username"),
    ("username-with-bad-characters", {"username": "li si/2"}, "username"),
    # Someone else's number as a username would shadow their mobile-number login.
    ("username-is-someone-elses-mobile", {"username": "13600000001"}, "username"),
    ("site-is-a-township", {"site": "town1"}, "site"),
    ("site-is-the-county", {"site": "county"}, "site"),
    ("site-is-a-base", {"site": "base"}, "site"),
]


def _submission(tree, overrides: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "username": "newres",
        "real_name": "新居民",
        "mobile": "13812345678",
        "password": GOOD_PASSWORD,
        "site": tree.village1.pk,
    }
    for key, value in overrides.items():
        data[key] = getattr(tree, value).pk if key == "site" else value
    return data


def _page_data(data: dict[str, Any]) -> dict[str, Any]:
    page = {k: v for k, v in data.items() if k != "password"}
    page["password1"] = page["password2"] = data["password"]
    return page


class TestRegisterPage:
    @pytest.mark.parametrize(
        ("overrides", "field"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
    )
    def test_bad_input_is_a_form_error_and_saves_nothing(
        self, client, tree, cast, overrides, field
    ):
        before = _counts()
        response = client.post(PAGE_URL, _page_data(_submission(tree, overrides)))
        assert response.status_code == 400
        form = response.context["form"]
        page_field = "password1" if field == "password" else field
        assert form.errors.get(page_field), form.errors
        # Shown next to the field, not only as a form-wide message.
        html = response.content.decode()
        assert 'class="field has-error"' in html
        for message in form.errors[page_field]:
            assert str(message) in html
        assert _counts() == before
        assert "_auth_user_id" not in client.session

    def test_passwords_that_differ(self, client, tree, cast):
        before = _counts()
        data = _page_data(_submission(tree, {}))
        data["password2"] = "Something-else-99"
        response = client.post(PAGE_URL, data)
        assert response.status_code == 400
        assert "两次输入的密码不一致" in str(response.context["form"].errors["password2"])
        assert _counts() == before

    def test_every_problem_is_reported_at_once(self, client, tree, cast):
        data = _page_data(
            _submission(tree, {"username": "res1", "mobile": "12345", "password": "12345678"})
        )
        response = client.post(PAGE_URL, data)
        assert set(response.context["form"].errors) >= {"username", "mobile", "password1"}

    def test_the_village_choices_are_villages_only(self, client, tree):
        response = client.get(PAGE_URL)
        assert response.status_code == 200
        choices = {c.pk for c in response.context["form"].fields["site"].queryset}
        assert choices == {tree.village1.pk, tree.village1b.pk, tree.village2.pk}
        html = response.content.decode()
        assert f"{tree.village1.name}（{tree.town1.name}）" in html

    def test_good_registration_creates_a_resident_signs_in_and_goes_home(self, client, tree):
        data = _page_data(_submission(tree, {"mobile": "+86 138-1234-5678"}))
        response = client.post(PAGE_URL, data)
        assert response.status_code == 302
        assert response["Location"] == "/"

        user = User.objects.get(username="newres")
        assert user.mobile == "13812345678"
        assert user.real_name == "新居民"
        assert user.check_password(GOOD_PASSWORD)
        assert list(user.roles.values_list("role", "site_id")) == [
            (RoleName.RESIDENT, tree.village1.pk)
        ]
        assert int(client.session["_auth_user_id"]) == user.pk

        home = client.get("/")
        assert tree.village1.name in home.content.decode()
        assert "注册成功" in home.content.decode()

    def test_a_signed_in_user_is_sent_home(self, login_as, cast):
        response = login_as(cast.res1).get(PAGE_URL)
        assert response.status_code == 302
        assert response["Location"] == "/"

    def test_an_inactive_village_cannot_be_chosen(self, client, tree, cast):
        tree.village1b.is_active = False
        tree.village1b.save()
        before = _counts()
        response = client.post(PAGE_URL, _page_data(_submission(tree, {"site": "village1b"})))
        assert response.status_code == 400
        assert response.context["form"].errors.get("site")
        assert _counts() == before


class TestRegisterApi:
    @pytest.mark.parametrize(
        ("overrides", "field"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
    )
    def test_bad_input_is_a_field_error_and_saves_nothing(self, api, tree, cast, overrides, field):
        before = _counts()
        response = api.post(API_URL, _submission(tree, overrides), format="json")
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["code"] == "invalid"
        assert body["message"]
        assert body["errors"].get(field), body
        assert _counts() == before

    @pytest.mark.parametrize("missing", ["username", "password", "mobile", "site"])
    def test_missing_fields(self, api, tree, missing):
        data = _submission(tree, {})
        del data[missing]
        response = api.post(API_URL, data, format="json")
        assert response.status_code == 400
        assert missing in response.json()["errors"]
        assert not User.objects.exists()

    def test_unknown_site(self, api, tree):
        response = api.post(API_URL, _submission(tree, {}) | {"site": 999999}, format="json")
        assert response.status_code == 400
        assert "site" in response.json()["errors"]
        assert not User.objects.exists()

    def test_good_registration(self, api, tree, cast, demo_password):
        response = api.post(
            API_URL, _submission(tree, {"mobile": "+86 138-1234-5678"}), format="json"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["username"] == "newres"
        assert body["mobile"] == "13812345678"
        assert body["roles"] == [
            {
                "role": "resident",
                "site": {"id": tree.village1.pk, "name": tree.village1.name, "level": "village"},
            }
        ]
        assert "password" not in body

        user = User.objects.get(pk=body["id"])
        assert user.mobile == "13812345678"
        assert user.check_password(GOOD_PASSWORD)
        assert Role.objects.filter(user=user).count() == 1
        # The new account can get a token by its number.
        token = api.post(
            "/api/v1/auth/token/",
            {"username": "13812345678", "password": GOOD_PASSWORD},
            format="json",
        )
        assert token.status_code == 200

    def test_own_mobile_as_username_is_fine(self, api, tree):
        response = api.post(API_URL, _submission(tree, {"username": "13812345678"}), format="json")
        assert response.status_code == 201, response.content
        assert User.objects.get(username="13812345678").mobile == "13812345678"
