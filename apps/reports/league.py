"""PK台: child sites ranked by a documented score.

score = 100 × (0.40 × completion rate
             + 0.30 × average rating ÷ 5
             + 0.20 × hours per active volunteer ÷ the best among the sites compared
             + 0.10 × response score)
response score = (slowest median − this median) ÷ (slowest − fastest median), over the
                 sites' median minutes from placement to acceptance: 1 for the fastest,
                 0 for the slowest, 1 for all when they are equal.
A missing figure (no finished orders, no ratings, no acceptances) counts as 0 for that
part. Last period's rank is computed the same way for the period of equal length just
before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from apps.sites.models import Site

from .figures import Figures, by_child_site, percentile_minutes

WEIGHTS = {"completion": 0.40, "rating": 0.30, "hours": 0.20, "response": 0.10}


@dataclass
class LeagueRow:
    site: Site
    figures: Figures
    score: float
    rank: int
    previous_rank: int | None
    hours_per_volunteer: float | None
    accept_median: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "site": {"id": self.site.pk, "name": self.site.name, "level": self.site.level},
            "rank": self.rank,
            "previous_rank": self.previous_rank,
            "score": self.score,
            "completion_rate": self.figures.completion_rate,
            "average_rating": self.figures.average_rating,
            "hours_per_volunteer": self.hours_per_volunteer,
            "accept_minutes_median": self.accept_median,
            "orders_placed": self.figures.orders_placed,
            "orders_completed": self.figures.orders_completed,
            "volunteer_hours": str(self.figures.volunteer_hours),
            "active_volunteers": self.figures.active_volunteers,
        }


def _score(
    rows: list[tuple[Site, Figures]],
) -> list[tuple[Site, Figures, float, float | None, int | None]]:
    hpv = {
        s.pk: (float(f.volunteer_hours) / f.active_volunteers if f.active_volunteers else None)
        for s, f in rows
    }
    med = {s.pk: percentile_minutes(f.accept_hist, 0.5) for s, f in rows}
    best_hpv = max((v for v in hpv.values() if v), default=0.0)
    medians = [v for v in med.values() if v is not None]
    fastest, slowest = (min(medians), max(medians)) if medians else (0, 0)
    out = []
    for site, fig in rows:
        completion = fig.completion_rate or 0.0
        rating = (fig.average_rating or 0.0) / 5
        hours = (hpv[site.pk] or 0.0) / best_hpv if best_hpv else 0.0
        m = med[site.pk]
        if m is None:
            response = 0.0
        elif slowest == fastest:
            response = 1.0
        else:
            response = (slowest - m) / (slowest - fastest)
        score = 100 * (
            WEIGHTS["completion"] * completion
            + WEIGHTS["rating"] * rating
            + WEIGHTS["hours"] * hours
            + WEIGHTS["response"] * response
        )
        per_volunteer = hpv[site.pk]
        out.append(
            (
                site,
                fig,
                round(score, 1),
                round(per_volunteer, 1) if per_volunteer else None,
                med[site.pk],
            )
        )
    return out


def _ranked(rows: list[tuple[Site, Figures]]) -> dict[int, tuple[int, Any]]:
    scored = sorted(_score(rows), key=lambda r: (-r[2], r[0].path))
    return {r[0].pk: (i, r) for i, r in enumerate(scored, start=1)}


def league_table(site: Site, day_from: dt.date, day_to: dt.date) -> list[LeagueRow]:
    current = _ranked(by_child_site(site, day_from, day_to))
    length = (day_to - day_from).days + 1
    prev_to = day_from - dt.timedelta(days=1)
    previous = _ranked(by_child_site(site, prev_to - dt.timedelta(days=length - 1), prev_to))
    rows = []
    for pk, (rank, (child, fig, score, hpv, med)) in current.items():
        prev = previous.get(pk)
        rows.append(
            LeagueRow(
                site=child,
                figures=fig,
                score=score,
                rank=rank,
                previous_rank=prev[0] if prev else None,
                hours_per_volunteer=hpv,
                accept_median=med,
            )
        )
    return sorted(rows, key=lambda r: r.rank)
