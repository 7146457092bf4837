"""The national volunteer records export (apps/reports/national.py): the workbook read back with openpyxl (one
row per volunteer per service, the template's columns, the second sheet of volunteers
without an ID number), county admins only, the access log, a fixed query count."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from apps.accounts.models import PersonalDataAccess, User
from apps.activities.models import (
    Activity,
    ActivityStatus,
    AttendanceStatus,
    Signup,
    SignupStatus,
)
from apps.reports import national_template as T
from apps.volunteers.models import Volunteer
from apps.volunteers.services import service_record_add
from tests.activities.conftest import make_activity

pytestmark = pytest.mark.django_db

PAGE = "/reports/national/"
API = "/api/v1/reports/national-records.xlsx"
HEADERS = ["姓名", "证件类型", "证件号码", "手机号", "服务项目或活动名称", "服务开始时间",
           "服务结束时间", "服务时长", "记录组织", "记录日期"]  # fmt: skip


def period() -> dict[str, str]:
    today = timezone.localdate()
    return {
        "from": (today - dt.timedelta(days=30)).isoformat(),
        "to": (today + dt.timedelta(days=2)).isoformat(),
    }


def attended(cast: Any, tree: Any, volunteer: Volunteer, hours: str = "3") -> Signup:
    start = timezone.now() - dt.timedelta(days=3)
    activity = make_activity(cast.village1, tree.village1, publish=False)
    # Held three days ago (the service refuses to create one in the past).
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        signup_deadline=start - dt.timedelta(hours=2),
        status=ActivityStatus.FINISHED,
    )
    return Signup.objects.create(
        activity=activity,
        role=activity.roles.first(),
        volunteer=volunteer,
        status=SignupStatus.CONFIRMED,
        queued_at=start - dt.timedelta(days=1),
        checked_in_at=start,
        checked_out_at=start + dt.timedelta(hours=3),
        attendance=AttendanceStatus.CONFIRMED,
        confirmed_hours=Decimal(hours),
        attendance_confirmed_at=start + dt.timedelta(hours=4),
    )


@pytest.fixture
def data(cast, tree, v, flow) -> Any:
    order = flow("assessed")  # vol1, 2 h, assessed by town1
    attended(cast, tree, v.vol1)
    Volunteer.objects.filter(pk=v.vol2.pk).update(id_number=None)
    attended(cast, tree, v.vol2, hours="1.5")
    service_record_add(
        actor=cast.town1,
        volunteer=v.volb,
        site=tree.village1b,
        service_date=timezone.localdate() - dt.timedelta(days=1),
        title="图书整理",
        hours=Decimal("2"),
    )
    v.vol1.refresh_from_db()
    return order


def workbook(response: Any) -> Any:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == T_XLSX
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    return load_workbook(io.BytesIO(body), read_only=True)


T_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_workbook_has_one_row_per_volunteer_per_service(api_as, cast, tree, v, data):
    response = api_as(cast.county).get(API, {"site": tree.county.pk, **period()})
    book = workbook(response)
    assert book.sheetnames == [T.RECORDS_SHEET, T.MISSING_SHEET]
    rows = list(book[T.RECORDS_SHEET].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS == [c.header for c in T.RECORD_COLUMNS]
    body = sorted(rows[1:], key=lambda r: r[4])
    assert len(body) == 3  # vol1's order and activity, volb's manual record; not vol2
    by_title = {r[4]: r for r in body}
    order_row = by_title["助老上门服务"]
    assert order_row[0] == "张丽" and order_row[1] == "居民身份证"
    assert order_row[2] == v.vol1.id_number and len(order_row[2]) == 18  # in full
    assert order_row[3] == v.vol1.mobile
    assert order_row[7] == 2 and order_row[8] == tree.town1.name
    assessed = timezone.localtime(data.assessed_at).date().isoformat()
    assert order_row[9] == assessed
    start, end = order_row[5], order_row[6]
    assert len(start) == 16 and start < end  # "YYYY-MM-DD HH:MM"
    activity_row = by_title["东关社区环境整治"]
    assert activity_row[7] == 3 and activity_row[8] == tree.village1.name
    manual = by_title["图书整理"]
    assert manual[0] == v.volb.real_name and manual[8] == tree.village1b.name
    missing = list(book[T.MISSING_SHEET].iter_rows(values_only=True))
    assert list(missing[0]) == [c.header for c in T.MISSING_COLUMNS]
    assert [r[0] for r in missing[1:]] == ["李强"]
    assert missing[1][4] == 1 and missing[1][5] == 1.5
    assert response["X-Record-Count"] == "3" and response["X-Missing-Id-Count"] == "1"


def test_each_export_is_in_the_access_log(api_as, cast, tree, v, data):
    api_as(cast.county).get(API, {"site": tree.county.pk, **period()})
    logged = PersonalDataAccess.objects.filter(viewer=cast.county)
    assert {(r.subject_id, r.field) for r in logged} == {
        (v.vol1.user_id, "id_number"),
        (v.vol1.user_id, "mobile"),
        (v.volb.user_id, "id_number"),
        (v.volb.user_id, "mobile"),
        (v.vol2.user_id, "mobile"),  # on the second sheet: the mobile only
    }
    assert {r.source for r in logged} == {API}


def test_a_subtree_and_a_period(api_as, cast, tree, v, data):
    response = api_as(cast.county).get(API, {"site": tree.village1b.pk, **period()})
    rows = list(workbook(response)[T.RECORDS_SHEET].iter_rows(values_only=True))
    assert [r[4] for r in rows[1:]] == ["图书整理"]
    old = {"from": "2020-01-01", "to": "2020-12-31"}
    response = api_as(cast.county).get(API, {"site": tree.county.pk, **old})
    assert len(list(workbook(response)[T.RECORDS_SHEET].iter_rows())) == 1  # the header


@pytest.mark.parametrize("who", ["town1", "village1", "vol1", "res1", "nobody"])
def test_only_county_admins(api_as, client, cast, tree, data, who):
    user = getattr(cast, who)
    response = api_as(user).get(API, {"site": tree.town1.pk, **period()})
    assert response.status_code == 403
    client.force_login(user)
    assert client.get(PAGE, {"site": tree.town1.pk}).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_anonymous(api, client, tree):
    assert api.get(API, {"site": tree.county.pk, **period()}).status_code == 401
    assert client.get(PAGE).status_code == 302


def test_a_site_out_of_scope_is_not_found(api_as, cast, tree, data):
    from tests.factories import user_with_role

    other = user_with_role("county2", "county_admin", tree.town2)
    response = api_as(other).get(API, {"site": tree.town1.pk, **period()})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"site": "x", "from": "2026-01-01", "to": "2026-01-31"},
        {"site": "1" * 30, "from": "2026-01-01", "to": "2026-01-31"},
        {"site": "1", "from": "yesterday", "to": "2026-01-31"},
        {"site": "1", "from": "2026-02-01", "to": "2026-01-31"},
        {"site": "1", "from": "2020-01-01", "to": "2026-01-31"},
        {"site": "1", "from": "0001-01-01", "to": "0001-01-02"},
        {"site": "1", "to": "2026-01-31"},
    ],
)
def test_bad_parameters(api_as, cast, tree, params):
    response = api_as(cast.county).get(API, params)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"


def test_the_query_count_does_not_grow_with_the_rows(api_as, cast, tree, v, data, flow):
    def count() -> int:
        client = api_as(User.objects.get(pk=cast.county.pk))  # roles not cached yet
        with CaptureQueriesContext(connection) as queries:
            workbook(client.get(API, {"site": tree.county.pk, **period()}))
        return len(queries)

    before = count()
    for _ in range(3):
        flow("assessed")
        attended(cast, tree, v.vol2)
    assert count() == before


def test_the_page(client, cast, tree, data):
    client.force_login(cast.county)
    page = client.get(PAGE)
    assert page.status_code == 200 and "导出 Excel" in page.content.decode()
    bad = client.get(
        PAGE, {"site": tree.county.pk, "date_from": "2026-02-01", "date_to": "2025-01-01"}
    )
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.content.decode()
    p = period()
    done = client.get(PAGE, {"site": tree.county.pk, "date_from": p["from"], "date_to": p["to"]})
    rows = list(workbook(done)[T.RECORDS_SHEET].iter_rows(values_only=True))
    assert len(rows) == 4
    assert PersonalDataAccess.objects.filter(viewer=cast.county, source=PAGE).exists()
