"""Token auth: POST /api/v1/auth/token/ and GET /api/v1/me/."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"


def _token(api, username: str, password: str):
    return api.post(TOKEN_URL, {"username": username, "password": password}, format="json")


@pytest.mark.parametrize("identifier", ["res1", "13600000001", "+86 136-0000-0001"])
def test_token_by_username_or_mobile_works_on_me(api, cast, demo_password, identifier):
    response = _token(api, identifier, demo_password)
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"token"}
    key = response.json()["token"]
    assert Token.objects.get(key=key).user_id == cast.res1.pk

    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = api.get(ME_URL)
    assert me.status_code == 200
    assert me.json()["username"] == "res1"


def test_the_same_token_comes_back_on_a_second_login(api, cast, demo_password):
    first = _token(api, "res1", demo_password).json()["token"]
    second = _token(api, "13600000001", demo_password).json()["token"]
    assert first == second
    assert Token.objects.filter(user=cast.res1).count() == 1


def test_wrong_password_is_refused_with_a_stable_code(api, cast):
    response = _token(api, "res1", "not-the-password")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert response.json()["message"]
    assert "token" not in response.json()
    assert not Token.objects.exists()


def test_unknown_user_answers_like_a_wrong_password(api, cast, demo_password):
    response = _token(api, "ghost", demo_password)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_inactive_user_gets_no_token(api, cast, demo_password):
    cast.res1.is_active = False
    cast.res1.save(update_fields=["is_active"])
    response = _token(api, "res1", demo_password)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert not Token.objects.exists()


def test_missing_fields_are_field_errors(api, cast):
    response = api.post(TOKEN_URL, {"username": "res1"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "password" in body["errors"]


def test_anonymous_me_is_401(api):
    response = api.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["message"]
    # Token auth is listed first, so the 401 tells the client how to authenticate.
    assert response["WWW-Authenticate"].startswith("Token")


def test_a_bad_token_is_401(api, cast):
    api.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
    response = api.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_me_shape(api, tree, cast):
    key = Token.objects.create(user=cast.vol1).key
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    body = api.get(ME_URL).json()
    assert body["id"] == cast.vol1.pk
    assert body["username"] == "vol1"
    # The owner sees their own number whole.
    assert body["mobile"] == "13700000001"
    assert body["roles"] == [
        {
            "role": "volunteer",
            "site": {"id": tree.village1.pk, "name": tree.village1.name, "level": "village"},
        },
    ]


def test_me_lists_every_role(api_as, tree, cast):
    from apps.accounts.models import Role

    Role.objects.create(user=cast.town1, site=tree.village1b, role="resident")
    roles = api_as(cast.town1).get(ME_URL).json()["roles"]
    assert sorted((r["role"], r["site"]["id"]) for r in roles) == sorted(
        [("staff", tree.town1.pk), ("resident", tree.village1b.pk)]
    )
    for r in roles:
        assert set(r) == {"role", "site"}
        assert set(r["site"]) == {"id", "name", "level"}
