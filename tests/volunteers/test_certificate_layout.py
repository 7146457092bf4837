"""The printable certificate stays on one A4 page: a long service record prints in two
columns (the print CSS keeps each service on one line there)."""

from __future__ import annotations

import re

import pytest

from apps.volunteers import services
from apps.volunteers.views import TWO_COLUMN_FROM

from .factories import ServiceRecordFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("records", "tables"), [(3, 1), (TWO_COLUMN_FROM, 1), (53, 2)])
def test_service_list_columns(client, cast, approved_v1, records, tables):
    for _ in range(records):
        ServiceRecordFactory(volunteer=approved_v1, site=approved_v1.site)
    cert = services.certificate_issue(actor=cast.village1, volunteer=approved_v1)
    client.force_login(cast.village1)
    page = client.get(f"/volunteers/certificates/{cert.number}/").content.decode()
    assert f"cols-{tables}" in page
    bodies = re.findall(r"<tbody>(.*?)</tbody>", page, flags=re.S)
    service_rows = sum(body.count("<tr>") for body in bodies[:tables])
    assert service_rows == records  # every service listed, split across the columns
    assert f"共 {records} 次服务" in page
