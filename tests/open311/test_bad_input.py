"""Malformed input answers the spec's error body with a 4xx, never a 5xx: garbage
parameters, bad ids, unknown formats, huge values, wrong methods, random text."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BASE = "/open311/v2"
pytestmark = pytest.mark.django_db

HUGE = "9" * 400


def assert_spec_error(response: Any, status: int | None = None) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, response.content[:300]
    if response["Content-Type"].startswith("application/json"):
        body = json.loads(response.content)
        assert isinstance(body, list) and set(body[0]) == {"code", "description"}
        assert body[0]["code"] == response.status_code
    else:
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        assert root.find("error/code").text == str(response.status_code)
        assert root.find("error/description").text


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/services/abc.json",
        f"{BASE}/services/{HUGE[:90]}.xml",
        f"{BASE}/services/-1.json",
        f"{BASE}/requests/abc.xml",
        f"{BASE}/requests/{HUGE[:90]}.json",
        f"{BASE}/requests/99999999.json",
        f"{BASE}/requests/1,2.xml",
        f"{BASE}/tokens/zzz.json",
        f"{BASE}/tokens/{'a' * 90}.xml",
        f"{BASE}/services.html",
        f"{BASE}/requests.csv",
        f"{BASE}/nothing/here.json",
        f"{BASE}/discovery",
    ],
)
def test_bad_paths_answer_404_in_the_spec_shape(client, tree, url):
    assert_spec_error(client.get(url), 404)


@pytest.mark.parametrize(
    "params",
    [
        {"jurisdiction_id": "nope"},
        {"jurisdiction_id": HUGE},
        {"jurisdiction_id": "S\x01"},
        {"service_request_id": "a,b"},
        {"service_request_id": ",".join(["1"] * 201)},
        {"service_request_id": HUGE},
        {"service_code": "x"},
        {"status": "pending"},
        {"start_date": "yesterday"},
        {"start_date": "99999-01-01T00:00:00Z"},
        {"start_date": "2026-13-45T00:00:00Z"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2025-01-01T00:00:00Z"},
        {"start_date": "2020-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
        {"page_size": "0"},
        {"page_size": "100000"},
        {"page": "-3"},
        {"page": HUGE},
        {"api_key": "x" * 300},
        {"api_key": "wrong"},
    ],
)
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_bad_query_parameters(client, tree, params, fmt):
    params = {"jurisdiction_id": tree.county.code, **params}
    assert_spec_error(client.get(f"{BASE}/requests.{fmt}", params))


@pytest.mark.parametrize(
    "data",
    [
        {"service_code": ""},
        {"service_code": "abc"},
        {"service_code": HUGE},
        {"phone": "not a phone"},
        {"phone": HUGE},
        {"lat": "abc", "long": "1"},
        {"lat": "NaN", "long": "Infinity"},
        {"lat": "1e400", "long": "1"},
        {"lat": "91", "long": "1"},
        {"lat": "1"},
        {"address_string": "", "lat": "", "long": ""},
        {"description": "长" * 5000},
        {"attribute[preferred_start]": "tomorrow"},
        {"attribute[preferred_start]": "2031-01-01T00:00:00Z"},
        {"attribute[volunteers_needed]": "99"},
        {"attribute[volunteers_needed]": "-1"},
        {"attribute[request_id]": "r" * 200},
        {"media_url": "file:///etc/passwd"},
        {"media_url": "http://127.0.0.1/x.png"},
        {"media_url": "not a url"},
        {"jurisdiction_id": "S9999999"},
    ],
)
def test_bad_posts(client, tree, m, key, data):
    body = {
        "api_key": key.raw,
        "jurisdiction_id": tree.village1.code,
        "service_code": str(m.village1.pk),
        "phone": "13600000001",
        "address_string": "东关社区 3 号楼",
        **data,
    }
    assert_spec_error(client.post(f"{BASE}/requests.json", body))


def test_wrong_methods(client, tree):
    assert_spec_error(client.post(f"{BASE}/services.xml"), 405)
    assert_spec_error(client.delete(f"{BASE}/requests.json"), 405)
    assert_spec_error(client.put(f"{BASE}/discovery.json"), 405)


def test_a_json_body_is_not_a_form(client, tree, key):
    response = client.post(
        f"{BASE}/requests.json", json.dumps({"api_key": key.raw}), content_type="application/json"
    )
    assert_spec_error(response, 403)


params = st.dictionaries(
    st.sampled_from(
        [
            "jurisdiction_id",
            "service_request_id",
            "service_code",
            "status",
            "start_date",
            "end_date",
            "page",
            "page_size",
            "api_key",
        ]
    ),
    st.text(max_size=60),
    max_size=5,
)


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(query=params, fmt=st.sampled_from(["xml", "json"]))
def test_random_query_strings_never_fail(client, tree, query, fmt):
    for path in ("requests", "services", "services/1", "requests/1"):
        response = client.get(f"{BASE}/{path}.{fmt}", query)
        assert response.status_code < 500, (path, query, response.content[:300])
        if response.status_code >= 400:
            assert_spec_error(response)
