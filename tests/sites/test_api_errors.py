"""Every API error answers the problem-style body of apps.core.api:
``{"code": <stable>, "message": <human>}`` (plus ``errors`` for field errors)."""

from __future__ import annotations

import pytest
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db


def _assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_every_error_has_code_and_message(api, api_as, tree, cast):
    county = api_as(cast.county)
    cases = [
        (api.get("/api/v1/me/"), 401, "not_authenticated"),
        (api_as(cast.res1).get("/api/v1/users/"), 403, "permission_denied"),
        (
            api_as(cast.town1).post(
                "/api/v1/sites/", {"name": "x", "level": "village", "parent": tree.town1.pk}
            ),
            403,
            "not_county_admin",
        ),
        (api.get(f"/api/v1/sites/{tree.village1.pk + 10_000}/"), 404, "not_found"),
        (county.delete(f"/api/v1/sites/{tree.village1.pk}/"), 405, "method_not_allowed"),
        (
            county.post("/api/v1/sites/", "{not json", content_type="application/json"),
            400,
            "parse_error",
        ),
        (
            county.post("/api/v1/sites/", "name=x", content_type="text/plain"),
            415,
            "unsupported_media_type",
        ),
        (
            api.post("/api/v1/auth/token/", {"username": "res1", "password": "x"}),
            400,
            "invalid_credentials",
        ),
    ]
    for response, status, code in cases:
        _assert_problem(response, status, code)


def test_validation_errors_carry_field_errors(api_as, tree, cast):
    body = _assert_problem(
        api_as(cast.county).post(
            "/api/v1/sites/", {"name": "x", "level": "village", "parent": tree.county.pk}
        ),
        400,
        "invalid",
    )
    assert list(body["errors"]) == ["parent"]
    assert body["message"] == body["errors"]["parent"][0]


def test_unknown_site_id_is_not_found(api, tree):
    _assert_problem(api.get("/api/v1/sites/999999/"), 404, "not_found")


def test_unknown_api_url_is_problem_json_too(api, tree):
    _assert_problem(api.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_unknown_page_url_is_still_the_404_page(client, tree):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_throttled_has_code_and_retry_after(api, cast, monkeypatch):
    # The rates dict is bound at import; shrink the login rate for this test only.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "login", "2/min")
    for _ in range(2):
        api.post("/api/v1/auth/token/", {"username": "res1", "password": "x"})
    body = _assert_problem(
        api.post("/api/v1/auth/token/", {"username": "res1", "password": "x"}), 429, "throttled"
    )
    assert body["retry_after"] > 0
