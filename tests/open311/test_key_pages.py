"""The county admins' key page: issue (the key shown once, only its hash stored),
revoke, and nobody else may see it."""

from __future__ import annotations

import hashlib
import re

import pytest

from apps.accounts.models import Role
from apps.open311.models import ApiKey

pytestmark = pytest.mark.django_db

PAGE = "/open311/keys/"


def test_issue_shows_the_key_once_and_stores_its_hash(client, cast, tree):
    client.force_login(cast.county)
    response = client.post(PAGE, {"name": "12345 热线", "site": tree.town1.pk})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    raw = re.search(r'<code class="secret">([^<]+)</code>', response.content.decode()).group(1)
    key = ApiKey.objects.get()
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {key.prefix, key.key_hash} and key.prefix == raw[:8]
    assert Role.objects.filter(user=key.user, site=tree.town1, role="staff").exists()
    assert not key.user.has_usable_password()
    again = client.get(PAGE).content.decode()
    assert raw not in again and key.prefix in again


def test_issue_errors(client, cast, tree):
    client.force_login(cast.county)
    response = client.post(PAGE, {"name": "", "site": ""})
    assert response.status_code == 400 and not ApiKey.objects.exists()


def test_revoke(client, cast, tree, key):
    client.force_login(cast.county)
    response = client.post(f"/open311/keys/{key.key.pk}/revoke/")
    assert response.status_code == 302
    key.key.refresh_from_db()
    assert key.key.revoked_at is not None and key.key.revoked_by == cast.county
    assert not Role.objects.filter(user=key.key.user).exists()
    assert client.post(f"/open311/keys/{key.key.pk}/revoke/").status_code == 302  # idempotent


@pytest.mark.parametrize("who", ["town1", "village1", "vol1", "res1", "nobody"])
def test_nobody_else(client, cast, key, who):
    client.force_login(getattr(cast, who))
    assert client.get(PAGE).status_code == 404
    assert client.post(f"/open311/keys/{key.key.pk}/revoke/").status_code == 404
    key.key.refresh_from_db()
    assert key.key.revoked_at is None


def test_a_county_admin_of_another_subtree_cannot_revoke(client, tree, key):
    from tests.factories import user_with_role

    other = user_with_role("admin2", "county_admin", tree.town2)
    client.force_login(other)
    assert client.post(f"/open311/keys/{key.key.pk}/revoke/").status_code == 404
    assert key.key.prefix not in client.get(PAGE).content.decode()
