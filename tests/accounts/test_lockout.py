"""Lockout (django-axes): after AXES_FAILURE_LIMIT failed logins the right password is
refused too, on the login page and on the token API, whatever spelling of the account."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
TOKEN_URL = "/api/v1/auth/token/"
LIMIT = settings.AXES_FAILURE_LIMIT


def _page_login(client, username: str, password: str):
    return client.post(LOGIN_URL, {"username": username, "password": password})


def _api_login(api, username: str, password: str):
    return api.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_limit_is_five():
    assert LIMIT == 5


def test_login_page_locks_after_five_failures(client, cast, demo_password):
    for _ in range(LIMIT - 1):
        response = _page_login(client, "res1", "wrong-password")
        assert response.status_code == 200
        assert "用户名（手机号）或密码错误" in response.content.decode()
    # Before the limit the right password still works ...
    assert AccessAttempt.objects.get().failures_since_start == LIMIT - 1

    _page_login(client, "res1", "wrong-password")
    assert AccessAttempt.objects.get().failures_since_start == LIMIT
    response = _page_login(client, "res1", demo_password)
    assert response.status_code == 429
    assert "账号暂时锁定" in response.content.decode()
    assert not _signed_in(client)


def test_four_failures_then_the_right_password_signs_in_and_resets(client, cast, demo_password):
    for _ in range(LIMIT - 1):
        _page_login(client, "res1", "wrong-password")
    response = _page_login(client, "res1", demo_password)
    assert response.status_code == 302
    assert _signed_in(client)
    # AXES_RESET_ON_SUCCESS: the count starts again.
    assert not AccessAttempt.objects.filter(username="res1").exists()


def test_token_api_locks_with_a_json_problem_body(api, cast, demo_password):
    for _ in range(LIMIT - 1):
        response = _api_login(api, "res1", "wrong-password")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_credentials"
    response = _api_login(api, "res1", "wrong-password")
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"

    response = _api_login(api, "res1", demo_password)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "locked_out"
    assert body["message"]
    assert not Token.objects.exists()


def test_page_failures_lock_the_token_api_too(client, api, cast, demo_password):
    for _ in range(LIMIT):
        _page_login(client, "res1", "wrong-password")
    response = _api_login(api, "res1", demo_password)
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


@pytest.mark.parametrize("spelling", ["13600000001", "+86 136-0000-0001", "136 0000 0001"])
def test_the_mobile_number_does_not_walk_around_a_username_lockout(
    client, api, cast, demo_password, spelling
):
    for _ in range(LIMIT):
        _page_login(client, "res1", "wrong-password")
    response = _page_login(client, spelling, demo_password)
    assert response.status_code == 429
    assert not _signed_in(client)
    assert _api_login(api, spelling, demo_password).status_code == 429


def test_failures_under_different_spellings_add_up(client, cast, demo_password):
    for spelling in ["res1", "13600000001", "+8613600000001", "136-0000-0001", "res1"]:
        _page_login(client, spelling, "wrong-password")
    assert AccessAttempt.objects.get().failures_since_start == LIMIT
    assert _page_login(client, "res1", demo_password).status_code == 429
    assert not _signed_in(client)


def test_one_locked_account_does_not_lock_another(client, cast, demo_password):
    for _ in range(LIMIT):
        _page_login(client, "res1", "wrong-password")
    response = _page_login(client, "vol1", demo_password)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == cast.vol1.pk


def test_failures_for_unknown_names_are_counted_too(api, cast):
    for _ in range(LIMIT):
        _api_login(api, "ghost", "whatever-password")
    assert AccessAttempt.objects.get(username="ghost").failures_since_start == LIMIT
    assert _api_login(api, "ghost", "whatever-password").json()["code"] == "locked_out"
