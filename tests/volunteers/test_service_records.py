"""Confirmed service records: idempotent by source key, hour limits (service time only,
at most 24 h a record), no future dates, only staff in scope, only for approved
volunteers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.core.errors import NotFoundError
from apps.volunteers import services
from apps.volunteers.models import ServiceRecord, Volunteer

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


def _add(actor, volunteer, site, hours="2", **kw):
    kw.setdefault("service_date", YESTERDAY)
    kw.setdefault("title", "健康义诊")
    return services.service_record_add(
        actor=actor, volunteer=volunteer, site=site, hours=Decimal(hours), **kw
    )


def _hours(volunteer):
    return Volunteer.objects.get(pk=volunteer.pk).hours


class TestIdempotency:
    def test_same_source_key_twice(self, cast, tree, approved_v1):
        record, created = _add(
            cast.village1, approved_v1, tree.village1, "3.5", source_key="order:7:volunteer:1"
        )
        again, created_again = _add(
            cast.village1, approved_v1, tree.village1, "3.5", source_key="order:7:volunteer:1"
        )
        assert (created, created_again) == (True, False)
        assert again.pk == record.pk
        assert ServiceRecord.objects.filter(volunteer=approved_v1).count() == 1
        assert _hours(approved_v1) == Decimal("3.5")

    def test_system_actor(self, tree, approved_v1):
        record, created = _add(None, approved_v1, tree.village2, "1", source_key="order:9:v:1")
        assert created and record.recorded_by is None
        assert _hours(approved_v1) == Decimal("1")

    def test_without_key_each_call_is_a_record(self, cast, tree, approved_v1):
        _add(cast.village1, approved_v1, tree.village1, "1")
        _add(cast.village1, approved_v1, tree.village1, "1")
        assert ServiceRecord.objects.filter(volunteer=approved_v1).count() == 2
        assert _hours(approved_v1) == Decimal("2")


class TestValidation:
    @pytest.mark.parametrize("hours", ["0", "-1", "24.5", "25", "1.25"])
    def test_hours_out_of_range(self, cast, tree, approved_v1, hours):
        with pytest.raises(ValidationError) as info:
            _add(cast.village1, approved_v1, tree.village1, hours)
        assert "hours" in info.value.message_dict
        assert ServiceRecord.objects.count() == 0
        assert _hours(approved_v1) == 0

    def test_24_hours_is_the_limit(self, cast, tree, approved_v1):
        _add(cast.village1, approved_v1, tree.village1, "24")
        assert _hours(approved_v1) == Decimal("24")

    def test_future_date(self, cast, tree, approved_v1):
        with pytest.raises(ValidationError) as info:
            _add(
                cast.village1,
                approved_v1,
                tree.village1,
                service_date=timezone.localdate() + dt.timedelta(days=1),
            )
        assert "service_date" in info.value.message_dict
        assert ServiceRecord.objects.count() == 0

    def test_today_is_fine(self, cast, tree, approved_v1):
        _add(cast.village1, approved_v1, tree.village1, service_date=timezone.localdate())
        assert ServiceRecord.objects.count() == 1

    def test_only_approved_volunteers(self, cast, tree, pending_v1):
        with pytest.raises(ValidationError) as info:
            _add(cast.village1, pending_v1, tree.village1)
        assert "volunteer" in info.value.message_dict
        assert ServiceRecord.objects.count() == 0

    def test_staff_out_of_scope(self, cast, tree, approved_v1):
        with pytest.raises(NotFoundError):
            _add(cast.town2, approved_v1, tree.village1)
        with pytest.raises(NotFoundError):
            _add(cast.village1, approved_v1, tree.town1)  # above village1's own subtree
        assert ServiceRecord.objects.count() == 0
        assert _hours(approved_v1) == 0


class TestApi:
    def url(self, volunteer):
        return f"/api/v1/volunteers/{volunteer.pk}/service-records/"

    def test_record_and_list(self, api_as, cast, tree, approved_v1):
        client = api_as(cast.village1)
        response = client.post(
            self.url(approved_v1),
            {
                "site": tree.village1.pk,
                "service_date": str(YESTERDAY),
                "title": "助老上门",
                "hours": "3.5",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["site_name"] == tree.village1.name
        record = ServiceRecord.objects.get(volunteer=approved_v1)
        assert (record.hours, record.recorded_by, record.title) == (
            Decimal("3.5"),
            cast.village1,
            "助老上门",
        )
        assert _hours(approved_v1) == Decimal("3.5")
        rows = client.get(self.url(approved_v1)).json()["results"]
        assert [r["id"] for r in rows] == [record.pk]
        # The volunteer may read their own records too.
        assert api_as(cast.res1).get(self.url(approved_v1)).status_code == 200

    def test_site_outside_actor_scope(self, api_as, cast, tree, approved_v1):
        response = api_as(cast.village1).post(
            self.url(approved_v1),
            {"site": tree.village2.pk, "service_date": str(YESTERDAY), "title": "x", "hours": "1"},
            format="json",
        )
        assert response.status_code == 404
        assert ServiceRecord.objects.count() == 0

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("hours", "24.5"),
            ("hours", "0"),
            ("service_date", str(timezone.localdate() + dt.timedelta(days=3))),
        ],
    )
    def test_bad_values(self, api_as, cast, tree, approved_v1, field, value):
        body = {
            "site": tree.village1.pk,
            "service_date": str(YESTERDAY),
            "title": "x",
            "hours": "1",
        }
        body[field] = value
        response = api_as(cast.village1).post(self.url(approved_v1), body, format="json")
        assert response.status_code == 400
        assert field in response.json()["errors"]
        assert ServiceRecord.objects.count() == 0
        assert _hours(approved_v1) == 0

    def test_volunteer_cannot_record_for_themselves(self, api_as, cast, tree, approved_v1):
        response = api_as(cast.res1).post(
            self.url(approved_v1),
            {"site": tree.village1.pk, "service_date": str(YESTERDAY), "title": "x", "hours": "5"},
            format="json",
        )
        assert response.status_code == 404
        assert ServiceRecord.objects.count() == 0


def test_record_page(login_as, cast, tree, approved_v1):
    response = login_as(cast.village1).post(
        f"/volunteers/{approved_v1.pk}/records/",
        {
            "site": tree.village1.pk,
            "service_date": str(YESTERDAY),
            "title": "文艺演出",
            "hours": "2.5",
        },
    )
    assert response.status_code == 302
    assert _hours(approved_v1) == Decimal("2.5")
    response = login_as(cast.village1).post(
        f"/volunteers/{approved_v1.pk}/records/",
        {
            "site": tree.village1.pk,
            "service_date": str(YESTERDAY),
            "title": "文艺演出",
            "hours": "30",
        },
        follow=True,
    )
    assert "服务时长" in response.content.decode()
    assert ServiceRecord.objects.count() == 1
