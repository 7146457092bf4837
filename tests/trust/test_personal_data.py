"""Issue #12, personal data (PIPL): the order's contact mobile for volunteers only
while their assignment is open; ID numbers (and volunteers' mobiles) masked by
default, revealed by an explicit, logged action; the access log is append-only and
county admins read and export it; registration is throttled."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from apps.accounts.models import PersonalDataAccess
from apps.orders import services
from tests.orders.factories import make_due, served_for

pytestmark = pytest.mark.django_db

FULL = "13600000001"
MASKED = "136****0001"


def mobile_seen(api_as: Any, login_as: Any, user: Any, order: Any) -> tuple[str, str, str]:
    detail = api_as(user).get(f"/api/v1/orders/{order.pk}/").json()["contact_mobile"]
    listed = [o["contact_mobile"] for o in api_as(user).get("/api/v1/orders/").json()["results"]]
    page = login_as(user).get(f"/orders/{order.pk}/").content.decode()
    return detail, listed[0], ("tel:" + FULL in page and FULL) or (MASKED in page and MASKED)


def test_a_volunteer_sees_the_full_mobile_only_while_serving(
    api_as: Any, login_as: Any, cast: Any, v: Any, flow: Any
) -> None:
    order = flow("dispatched")
    assert mobile_seen(api_as, login_as, cast.vol1, order) == (MASKED,) * 3
    services.order_accept(order_id=order.pk, actor=cast.vol1)
    assert mobile_seen(api_as, login_as, cast.vol1, order) == (FULL,) * 3
    tasks = login_as(cast.vol1).get("/orders/tasks/").content.decode()
    assert f'href="tel:{FULL}"' in tasks
    logged = PersonalDataAccess.objects.filter(viewer=cast.vol1, field="mobile")
    assert logged.count() >= 3 and logged.first().subject_id == cast.res1.pk
    make_due(order.pk)
    services.order_start(order_id=order.pk, actor=cast.vol1)
    served_for(order.pk, hours=1)
    services.order_complete(order_id=order.pk, actor=cast.vol1, summary="x")
    assert mobile_seen(api_as, login_as, cast.vol1, order) == (MASKED,) * 3
    assert FULL not in login_as(cast.vol1).get("/orders/tasks/").content.decode()
    # The resident sees their own number, not logged.
    before = PersonalDataAccess.objects.count()
    assert api_as(cast.res1).get(f"/api/v1/orders/{order.pk}/").json()["contact_mobile"] == FULL
    assert PersonalDataAccess.objects.count() == before


def test_id_numbers_are_masked_for_staff_until_shown(
    api_as: Any, login_as: Any, cast: Any, v: Any
) -> None:
    town1 = api_as(cast.town1)
    listed = town1.get("/api/v1/volunteers/").json()["results"]
    assert listed and all("*" in row["id_number"] for row in listed)
    assert all("*" in row["mobile"] for row in listed)
    detail = town1.get(f"/api/v1/volunteers/{v.vol1.pk}/").json()
    assert detail["id_number"] != v.vol1.id_number and "*" in detail["id_number"]
    assert PersonalDataAccess.objects.count() == 0

    r = town1.post(f"/api/v1/volunteers/{v.vol1.pk}/reveal/", {"field": "id_number"})
    assert r.status_code == 200 and r.json()["value"] == v.vol1.id_number
    entry = PersonalDataAccess.objects.get()
    assert (entry.viewer_id, entry.subject_id, entry.field) == (
        cast.town1.pk,
        cast.vol1.pk,
        "id_number",
    )
    assert entry.source == f"/api/v1/volunteers/{v.vol1.pk}/reveal/"

    # Out of scope: not found, nothing logged.
    r = api_as(cast.town2).post(f"/api/v1/volunteers/{v.vol1.pk}/reveal/", {"field": "mobile"})
    assert r.status_code == 404 and PersonalDataAccess.objects.count() == 1

    # The page: masked, a "show" button, the reveal logged.
    client = login_as(cast.town1)
    page = client.get(f"/volunteers/{v.vol1.pk}/").content.decode()
    assert v.vol1.id_number not in page and f"/volunteers/{v.vol1.pk}/reveal/id_number/" in page
    page = client.post(f"/volunteers/{v.vol1.pk}/reveal/id_number/").content.decode()
    assert v.vol1.id_number in page
    assert PersonalDataAccess.objects.count() == 2
    roster = client.get("/volunteers/roster/").content.decode()
    assert v.vol1.mobile not in roster


def test_the_access_log_is_append_only(cast: Any, v: Any) -> None:
    from apps.volunteers import services as vs

    vs.volunteer_reveal(actor=cast.town1, volunteer=v.vol1, field="mobile", source="/t")
    entry = PersonalDataAccess.objects.get()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        PersonalDataAccess.objects.all().delete()
    with pytest.raises(PermissionError):
        PersonalDataAccess.objects.update(source="x")
    if connection.vendor == "postgresql":
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute("UPDATE accounts_personaldataaccess SET source = 'x'")
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute("DELETE FROM accounts_personaldataaccess")
    assert PersonalDataAccess.objects.get().source == "/t"


def test_county_admins_read_and_export_the_access_log(login_as: Any, cast: Any, v: Any) -> None:
    from apps.volunteers import services as vs

    vs.volunteer_reveal(actor=cast.town1, volunteer=v.vol1, field="id_number", source="/x")
    assert login_as(cast.town1).get("/accounts/access-log/").status_code == 404
    client = login_as(cast.county)
    page = client.get("/accounts/access-log/").content.decode()
    assert cast.town1.username in page and "身份证号" in page
    r = client.get("/accounts/access-log/?format=csv")
    assert r["Content-Type"].startswith("text/csv")
    rows = r.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "time,viewer,subject,field,source"
    assert rows[1].endswith(f",{cast.town1.username},{cast.vol1.username},id_number,/x")


def test_registration_page_is_throttled_and_taken_numbers_cost_the_same(
    client: Any, tree: Any, cast: Any, monkeypatch: Any
) -> None:
    from rest_framework.throttling import ScopedRateThrottle

    from apps.accounts import services as account_services

    hashed: list[str] = []
    real = account_services.make_password
    monkeypatch.setattr(
        account_services, "make_password", lambda p, *a, **k: hashed.append(p) or real(p)
    )
    r = client.post(
        "/accounts/register/",
        {
            "username": "newbie",
            "password1": "s3cret-Passw0rd",
            "password2": "s3cret-Passw0rd",
            "mobile": cast.res1.mobile,
            "site": tree.village1.pk,
        },
    )
    assert r.status_code == 400 and "已被注册" in r.content.decode()
    assert hashed  # a refused registration hashes the password like a successful one
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"register": "2/hour"})
    codes = [client.post("/accounts/register/", {"username": "x"}).status_code for _ in range(3)]
    assert codes[-1] == 429


def test_the_access_log_page_speaks_english(login_as: Any, cast: Any, v: Any) -> None:
    from apps.volunteers import services as vs

    vs.volunteer_reveal(actor=cast.town1, volunteer=v.vol1, field="id_number", source="/x")
    client = login_as(cast.county)
    client.cookies["django_language"] = "en"
    page = client.get("/accounts/access-log/").content.decode()
    assert "Personal data access log" in page and "Viewed by" in page
    assert "个人信息查看记录" not in page and "被查看人" not in page
    assert 'class="table-wrap" tabindex="0"' in page  # the phone scroll container


@pytest.mark.django_db(transaction=True)
def test_log_rows_outside_a_transaction_are_one_query_and_all_or_nothing(cast: Any) -> None:
    from django.db import IntegrityError
    from django.test.utils import CaptureQueriesContext

    from apps.accounts.access_log import write_access_rows

    assert not connection.in_atomic_block and connection.get_autocommit()
    rows = [(cast.county.pk, cast.res1.pk, "居民", "mobile", "/api/v1/orders/")] * 3
    with CaptureQueriesContext(connection) as ctx:
        write_access_rows(rows)
    assert len(ctx.captured_queries) == 1  # no BEGIN / COMMIT round trips of their own
    assert PersonalDataAccess.objects.count() == 3
    # A bad row (no such viewer) refuses the whole statement and leaves the connection
    # usable: the implicit transaction is over, nothing is left open.
    with pytest.raises(IntegrityError):
        write_access_rows([*rows, (999_999_999, None, "x", "mobile", "/")])
    assert PersonalDataAccess.objects.count() == 3
    assert not connection.in_atomic_block
