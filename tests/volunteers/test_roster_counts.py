"""The roster's per-status counts: exact in scope, bounded above STATUS_COUNT_UP_TO; a
digit-only search matches mobile numbers and volunteer numbers, not names."""

from __future__ import annotations

import pytest

from apps.volunteers import selectors
from apps.volunteers.models import VolunteerStatus

from .factories import VolunteerFactory

pytestmark = pytest.mark.django_db


def test_status_counts_in_scope_and_bounded(cast, tree, monkeypatch):
    for _ in range(3):
        VolunteerFactory(site=tree.village1, approved=True)
    VolunteerFactory(site=tree.village1, status=VolunteerStatus.PENDING)
    VolunteerFactory(site=tree.village2, approved=True)  # town2: not town1's
    counts = selectors.status_counts(fetched_by=cast.town1)
    assert counts == {"approved": 3, "pending": 1}
    monkeypatch.setattr(selectors, "STATUS_COUNT_UP_TO", 2)
    assert selectors.status_counts(fetched_by=cast.town1) == {"approved": "2+", "pending": 1}
    assert selectors.status_counts(fetched_by=cast.nobody) == {}


def test_digit_search_does_not_match_names(cast, tree):
    named = VolunteerFactory(site=tree.village1, approved=True, real_name="张三139123")
    phone = VolunteerFactory(site=tree.village1, approved=True, mobile="13912345678")
    ids = {v.pk for v in selectors.volunteer_list(fetched_by=cast.town1, filters={"q": "139123"})}
    assert ids == {phone.pk}
    ids = {v.pk for v in selectors.volunteer_list(fetched_by=cast.town1, filters={"q": "张三"})}
    assert ids == {named.pk}
