"""The service record certificate (志愿服务记录证明): its four parts, who may issue and
print it, and the public check that shows only the masked name, hours and issuer."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.volunteers import services
from apps.volunteers.models import Certificate

from .factories import ID_123X, ServiceRecordFactory

pytestmark = pytest.mark.django_db

VERIFY_API = "/api/v1/certificates/verify/"


@pytest.fixture
def recorded(tree, cast, approved_v1):
    """approved_v1 with two records at village1 and one at village2 (under town2)."""
    tree.village1.person_in_charge = "赵站长"
    tree.village1.contact_phone = "0310-1234567"
    tree.village1.save()
    cast.village1.real_name = "钱干事"
    cast.village1.save()
    day = timezone.localdate()
    for d, title, h in [(20, "健康义诊", "3.5"), (10, "助老上门", "2.0")]:
        services.service_record_add(
            actor=cast.village1,
            volunteer=approved_v1,
            site=tree.village1,
            service_date=day - dt.timedelta(days=d),
            title=title,
            hours=Decimal(h),
        )
    # Staff may only record at sites on the volunteer's branch (issue #12); a service
    # elsewhere arrives through the settlement of an assessed order (the system actor).
    services.service_record_add(
        actor=None,
        volunteer=approved_v1,
        site=tree.village2,
        service_date=day - dt.timedelta(days=5),
        title="桃花节",
        hours=Decimal("4"),
    )
    approved_v1.refresh_from_db()
    return approved_v1


def _issue(api_as, actor, volunteer, **body):
    return api_as(actor).post(
        f"/api/v1/volunteers/{volunteer.pk}/certificates/", body, format="json"
    )


class TestIssue:
    def test_four_parts(self, api_as, cast, tree, recorded):
        response = _issue(api_as, cast.village1, recorded, notes="表现优秀")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert re.fullmatch(rf"ZM{timezone.localdate():%Y}\d{{8}}", body["number"])
        assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", body["verification_code"])
        cert = Certificate.objects.get(number=body["number"])
        assert cert.verification_code == body["verification_code"]
        content = cert.content
        # 1. identity, with the ID number masked
        assert content["identity"] == {
            "name": "李四",
            "id_number_masked": "110***********123X",
            "volunteer_number": recorded.number,
        }
        # 2. services: village1's records only (the issuer's subtree), with the total
        assert content["services"] == [
            {
                "date": str(timezone.localdate() - dt.timedelta(days=20)),
                "item": "健康义诊",
                "site": tree.village1.name,
                "hours": "3.5",
            },
            {
                "date": str(timezone.localdate() - dt.timedelta(days=10)),
                "item": "助老上门",
                "site": tree.village1.name,
                "hours": "2.0",
            },
        ]
        assert cert.total_hours == Decimal("5.5")
        assert body["total_hours"] == "5.5"
        assert cert.star_level == recorded.star_level
        # 3. issuer
        assert content["issuer"] == {
            "site": tree.village1.name,
            "person_in_charge": "赵站长",
            "issued_by": "钱干事",
            "contact": "0310-1234567",
            "seal": "",
        }
        assert (cert.issuing_site, cert.issued_by) == (tree.village1, cast.village1)
        assert cert.issued_on == timezone.localdate()
        # 4. notes
        assert cert.notes == body["notes"] == "表现优秀"
        assert ID_123X not in str(body)

    def test_county_sees_all_records(self, api_as, cast, tree, recorded):
        body = _issue(api_as, cast.county, recorded).json()
        assert body["issuing_site"]["id"] == tree.county.pk
        assert Decimal(body["total_hours"]) == Decimal("9.5") == recorded.hours
        assert len(body["content"]["services"]) == 3

    def test_issued_certificate_is_frozen(self, api_as, cast, tree, recorded):
        number = _issue(api_as, cast.town1, recorded).json()["number"]
        services.service_record_add(
            actor=cast.village1,
            volunteer=recorded,
            site=tree.village1,
            service_date=timezone.localdate(),
            title="新服务",
            hours=Decimal("8"),
        )
        cert = Certificate.objects.get(number=number)
        assert cert.total_hours == Decimal("5.5")
        assert len(cert.content["services"]) == 2

    def test_no_records(self, api_as, cast, approved_v1):
        response = _issue(api_as, cast.village1, approved_v1)
        assert response.status_code == 409
        assert response.json()["code"] == "no_records"
        assert Certificate.objects.count() == 0

    def test_no_records_in_issuer_subtree(self, api_as, cast, tree, approved_v1):
        ServiceRecordFactory(volunteer=approved_v1, site=tree.village2, hours=Decimal("3"))
        response = _issue(api_as, cast.village1, approved_v1)
        assert response.status_code == 409
        assert response.json()["code"] == "no_records"

    def test_volunteer_cannot_issue_their_own(self, api_as, cast, recorded):
        response = _issue(api_as, cast.res1, recorded)
        assert response.status_code == 404
        assert Certificate.objects.count() == 0

    def test_issue_page_redirects_to_the_certificate(self, login_as, cast, recorded):
        response = login_as(cast.village1).post(
            f"/volunteers/{recorded.pk}/certificates/", {"notes": "备注"}
        )
        cert = Certificate.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/volunteers/certificates/{cert.number}/"


class TestPrintablePage:
    @pytest.fixture
    def cert(self, api_as, cast, recorded):
        return Certificate.objects.get(
            number=_issue(api_as, cast.village1, recorded, notes="特此证明").json()["number"]
        )

    @pytest.mark.parametrize("who", ["res1", "village1", "town1", "county"])
    def test_renders_for_owner_and_staff_in_scope(self, login_as, cast, cert, who):
        response = login_as(getattr(cast, who)).get(f"/volunteers/certificates/{cert.number}/")
        assert response.status_code == 200
        html = response.content.decode()
        for heading in (
            "一、志愿者身份信息",
            "二、志愿服务信息",
            "三、出具证明单位信息",
            "四、备注",
        ):
            assert heading in html
        assert "110***********123X" in html and ID_123X not in html
        assert "健康义诊" in html and "5.5" in html and "赵站长" in html and "特此证明" in html
        assert "certificate.css" in html

    @pytest.mark.parametrize("who", ["town2", "res9", "nobody"])
    def test_not_found_for_others(self, login_as, cast, cert, who):
        response = login_as(getattr(cast, who)).get(f"/volunteers/certificates/{cert.number}/")
        assert response.status_code == 404
        assert "李四" not in response.content.decode()

    def test_anonymous_goes_to_login(self, client, cert):
        assert client.get(f"/volunteers/certificates/{cert.number}/").status_code == 302


class TestPublicCheck:
    @pytest.fixture
    def cert(self, api_as, cast, recorded):
        return Certificate.objects.get(
            number=_issue(api_as, cast.village1, recorded).json()["number"]
        )

    def test_api_shows_only_masked_name_hours_issuer(self, api, tree, cert):
        response = api.get(
            VERIFY_API, {"number": cert.number, "code": cert.verification_code.lower()}
        )
        assert response.status_code == 200
        assert response.json() == {
            "number": cert.number,
            "name": "李*",
            "total_hours": "5.5",
            "issuer": tree.village1.name,
            "issued_on": str(timezone.localdate()),
        }

    @pytest.mark.parametrize("params", ["wrong-code", "wrong-number", "no-code", "empty"])
    def test_api_wrong_code_is_404_without_details(self, api, cert, params):
        query = {
            "wrong-code": {"number": cert.number, "code": "AAAAAAAA"},
            "wrong-number": {"number": "ZM000000000000", "code": cert.verification_code},
            "no-code": {"number": cert.number},
            "empty": {},
        }[params]
        response = api.get(VERIFY_API, query)
        assert response.status_code == 404
        body = response.json()
        assert set(body) == {"code", "message"}
        assert body["code"] == "certificate_not_found"
        assert "李" not in str(body) and "5.5" not in str(body)

    def test_page(self, client, tree, cert):
        response = client.get(
            "/volunteers/verify/", {"number": cert.number, "code": cert.verification_code}
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "证明真实有效" in html
        assert "李*" in html and "5.5" in html and tree.village1.name in html
        assert "李四" not in html and "123X" not in html and "健康义诊" not in html

    def test_page_wrong_code(self, client, cert):
        response = client.get("/volunteers/verify/", {"number": cert.number, "code": "WRONG"})
        assert response.status_code == 404
        html = response.content.decode()
        assert "未找到该证明" in html
        assert "李*" not in html and "5.5" not in html

    def test_empty_page(self, client, db):
        response = client.get("/volunteers/verify/")
        assert response.status_code == 200
        assert "未找到该证明" not in response.content.decode()
