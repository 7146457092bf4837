"""Roster name search: every length of term finds exactly the names that contain it
(case-insensitively, as ``icontains``), whichever index serves it — the trigram index
from three characters, the index of the names' one- and two-character pieces below."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from apps.volunteers import selectors
from apps.volunteers.models import Volunteer

from .factories import VolunteerFactory

pytestmark = pytest.mark.django_db

NAMES = ["张伟", "张伟明", "王张伟", "李娜", "欧阳娜娜", "Anna Li", "anna", "Li Na", "伟", "陈"]


def _found(cast, term):
    rows = selectors.volunteer_list(fetched_by=cast.county, filters={"q": term})
    return {v.real_name for v in rows}


def test_every_short_and_long_term_finds_exactly_the_names_containing_it(cast, tree):
    for name in NAMES:
        VolunteerFactory(site=tree.village1, approved=True, real_name=name)
    rng = random.Random(7)
    terms = {"张", "伟", "张伟", "娜娜", "阳娜", "an", "AN", "Li", " N", "x", "张伟明", "Anna L"}
    for name in NAMES:  # and random pieces of the names themselves
        for _ in range(3):
            n = rng.randint(1, min(3, len(name)))
            i = rng.randint(0, len(name) - n)
            terms.add(name[i : i + n])
    for term in sorted(terms):
        expected = {n for n in NAMES if term.strip().upper() in n.upper()}
        assert _found(cast, term) == expected, term


def test_pieces_function_and_index_in_postgresql(cast, tree):
    if connection.vendor != "postgresql":
        pytest.skip("the pieces index is PostgreSQL's")
    with connection.cursor() as cur:
        cur.execute("SELECT portal_name_grams(%s)", ["张伟明"])
        assert sorted(cur.fetchone()[0]) == sorted(["张", "伟", "明", "张伟", "伟明"])
        cur.execute("SELECT portal_name_grams(%s)", [""])
        assert cur.fetchone()[0] == []
    VolunteerFactory(site=tree.village1, approved=True, real_name="张伟")
    qs = Volunteer.objects.filter(selectors._name_matches("张伟")).values("pk")
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # a one-row table: make it choose
        sql, params = qs.query.sql_with_params()
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "vol_name_grams_idx" in plan, plan
    assert qs.count() == 1
