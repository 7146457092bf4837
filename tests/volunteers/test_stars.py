"""Star levels: the national thresholds (100/300/600/1,000/1,500 h) from one setting,
the Python rule and the SQL rule agreeing, and the hours written by the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from apps.volunteers import services
from apps.volunteers.models import ServiceRecord, Volunteer
from apps.volunteers.stars import next_level_hours, star_level_case, star_level_for

from .factories import ServiceRecordFactory, VolunteerFactory

BOUNDARIES = [
    ("0", 0),
    ("99.5", 0),
    ("99.9", 0),
    ("100", 1),
    ("100.0", 1),
    ("299.9", 1),
    ("300", 2),
    ("599.9", 2),
    ("600", 3),
    ("999.9", 3),
    ("1000", 4),
    ("1499.9", 4),
    ("1500", 5),
    ("3000", 5),
]


@pytest.mark.parametrize(("hours", "level"), BOUNDARIES)
def test_star_level_for(hours, level):
    assert star_level_for(Decimal(hours)) == level
    assert star_level_for(float(hours)) == level


@pytest.mark.django_db
@pytest.mark.parametrize(("hours", "level"), BOUNDARIES)
def test_sql_case_matches_python(tree, hours, level):
    volunteer = VolunteerFactory(site=tree.village1, approved=True, hours=Decimal(hours))
    Volunteer.objects.filter(pk=volunteer.pk).update(star_level=star_level_case())
    volunteer.refresh_from_db()
    assert volunteer.star_level == level


def test_next_level_hours():
    assert next_level_hours(Decimal("99.5")) == Decimal("0.5")
    assert next_level_hours(Decimal("300")) == Decimal("300")
    assert next_level_hours(Decimal("1500")) is None


@override_settings(VOLUNTEER_STAR_THRESHOLDS=[10, 20, 30, 40, 50])
def test_thresholds_come_from_settings():
    assert star_level_for(Decimal("9.9")) == 0
    assert star_level_for(Decimal("10")) == 1
    assert star_level_for(Decimal("50")) == 5
    assert star_level_for(Decimal("100")) == 5


@pytest.mark.django_db
class TestHoursInTheDatabase:
    def _volunteer(self, tree):
        return VolunteerFactory(site=tree.village1, approved=True)

    def _add(self, actor, volunteer, site, hours, key=None):
        return services.service_record_add(
            actor=actor,
            volunteer=volunteer,
            site=site,
            service_date=ServiceRecordFactory.service_date.function(),
            title="义诊",
            hours=Decimal(hours),
            source_key=key,
        )

    def test_99_5_then_half_an_hour_gives_one_star(self, tree, cast):
        volunteer = self._volunteer(tree)
        for h in ["24", "24", "24", "24", "3.5"]:
            self._add(cast.village1, volunteer, tree.village1, h)
        volunteer.refresh_from_db()
        assert (volunteer.hours, volunteer.star_level) == (Decimal("99.5"), 0)
        self._add(cast.village1, volunteer, tree.village1, "0.5")
        volunteer.refresh_from_db()
        assert (volunteer.hours, volunteer.star_level) == (Decimal("100.0"), 1)

    @pytest.mark.parametrize(
        ("parts", "level"),
        [
            # Sums that are exact in decimal but not in binary floating point: the star
            # must still follow the decimal sum (SQLite stores these columns as REAL).
            (["24", "24", "24", "24", "3.8", "0.1", "0.1"], 1),
            (["24"] * 12 + ["11.4", "0.2", "0.4"], 2),
            (["24"] * 62 + ["11.8", "0.1", "0.1"], 5),
        ],
    )
    def test_incremental_sum_reaches_the_threshold(self, tree, cast, parts, level):
        volunteer = self._volunteer(tree)
        for h in parts:
            self._add(cast.village1, volunteer, tree.village1, h)
        volunteer.refresh_from_db()
        assert volunteer.hours == sum(Decimal(p) for p in parts)
        assert volunteer.star_level == level == star_level_for(volunteer.hours)

    @pytest.mark.parametrize(
        ("parts", "level"),
        [
            (["24", "24", "24", "24", "3.5"], 0),
            (["24", "24", "24", "24", "3.5", "0.5"], 1),
            (["24", "24", "24", "24", "3.8", "0.1", "0.1"], 1),
            (["24"] * 12 + ["11.4", "0.2", "0.4"], 2),
            (["24"] * 62 + ["11.8", "0.1", "0.1"], 5),
            (["24"] * 125, 5),
        ],
    )
    def test_set_based_recompute(self, tree, parts, level):
        volunteer = self._volunteer(tree)
        other = self._volunteer(tree)
        for h in parts:
            ServiceRecordFactory(volunteer=volunteer, hours=Decimal(h))
        ServiceRecordFactory(volunteer=other, hours=Decimal("1"))
        nobody_records = VolunteerFactory(
            site=tree.village1, approved=True, hours=Decimal("5"), star_level=3
        )
        assert services.volunteers_recompute_hours() == 3
        volunteer.refresh_from_db()
        other.refresh_from_db()
        nobody_records.refresh_from_db()
        assert volunteer.hours == sum(Decimal(p) for p in parts)
        assert volunteer.star_level == level
        assert (other.hours, other.star_level) == (Decimal("1"), 0)
        # No records: hours back to zero, star level recomputed, not left stale.
        assert (nobody_records.hours, nobody_records.star_level) == (Decimal("0"), 0)

    def test_recompute_limited_to_given_ids(self, tree):
        a, b = self._volunteer(tree), self._volunteer(tree)
        ServiceRecordFactory(volunteer=a, hours=Decimal("24"))
        ServiceRecordFactory(volunteer=b, hours=Decimal("24"))
        assert services.volunteers_recompute_hours(volunteer_ids=[a.pk]) == 1
        a.refresh_from_db()
        b.refresh_from_db()
        assert a.hours == Decimal("24")
        assert b.hours == Decimal("0")

    def test_recompute_query_count_is_fixed(self, tree, django_assert_num_queries):
        for _ in range(5):
            ServiceRecordFactory(volunteer=self._volunteer(tree), hours=Decimal("3"))
        with django_assert_num_queries(2):
            services.volunteers_recompute_hours()
        assert set(Volunteer.objects.values_list("hours", flat=True)) == {Decimal("3")}

    @override_settings(VOLUNTEER_STAR_THRESHOLDS=[1, 2, 3, 4, 5])
    def test_overridden_thresholds_reach_the_database(self, tree, cast):
        volunteer = self._volunteer(tree)
        self._add(cast.village1, volunteer, tree.village1, "3.5")
        volunteer.refresh_from_db()
        assert volunteer.star_level == 3
        ServiceRecordFactory(volunteer=volunteer, hours=Decimal("1.5"))
        services.volunteers_recompute_hours(volunteer_ids=[volunteer.pk])
        volunteer.refresh_from_db()
        assert (volunteer.hours, volunteer.star_level) == (Decimal("5.0"), 5)
        assert ServiceRecord.objects.filter(volunteer=volunteer).count() == 2
