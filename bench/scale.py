"""Every P figure of the scale goals in one run, and a summary of each against its goal.

    .venv/bin/python bench/scale.py [--rounds 7] [--wrk-seconds 10] [--repeat 3]

Runs, one after the other on an otherwise idle machine, each in its own process and
printing as it goes:

* ``p1_queries.py`` — P1: queries per list at page size 1, 50 and 200 at 1,000,000
  volunteers / 5,100,000 orders,
* ``hotpaths.py`` — P4 and P7 (every hot path at both sizes over HTTP under gunicorn),
  P2 (the order list beside the lean view) and P3 (``wrk`` at 64 connections),
* ``settlement.py`` — P5 (the settlement of 100,000 orders beside its yardsticks, and
  its memory at 100,000 against 10,000) in its own database (``P5_DATABASE_URL``,
  default ``…/portal_bench_p5``),
* ``photo.py`` — P6 (cleaning a 12-megapixel photo beside a bare decode),

then reads the figures back out of what they printed and sets each beside its goal.
The databases are those of the scripts (see each, and ``docs/performance.md``); a
missing one is built first, which takes long for the large one. Nothing here asserts a
time: it prints what was measured, and says "met" or "missed" for each goal.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
P5_DB = os.environ.get("P5_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench_p5")


def run(args: list[str], env: dict[str, str] | None = None) -> str:
    """Run a benchmark script, echoing its output; return the output."""
    print(f"\n$ {' '.join(args)}", flush=True)
    proc = subprocess.Popen(
        [PY, *args],
        cwd=HERE,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    out = []
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        out.append(line)
    if proc.wait() != 0:
        raise SystemExit(f"{args[0]} failed (exit {proc.returncode})")
    return "".join(out)


def _ms(text: str) -> float:
    return float(text.replace(",", ""))


def summary(out: str) -> list[tuple[str, str, bool]]:
    """(goal, figure, met) for each P, read from the scripts' output."""
    rows: list[tuple[str, str, bool]] = []
    m = re.search(r"^P1: (\d+) of (\d+) lists", out, re.M)
    if m:
        rows.append(
            ("P1 same queries at page size 1/50/200, API ≤ 6", m.group(0)[4:], m[1] == m[2])
        )
    p2 = re.findall(r"P2 (small|large): .*?: ([\d.]+)× \(goal", out)
    if p2:
        rows.append(
            (
                "P2 order list ≤ 2× the lean view",
                ", ".join(f"{size} {r}×" for size, r in p2),
                all(float(r) <= 2 for _, r in p2),
            )
        )
    m = re.search(
        r"P3: order list / lean = (\d+) %.*?p99 ([\d,.]+) ms \(goal ≤ 1 s\), errors (\d+)", out
    )
    if m:
        rows.append(
            (
                "P3 ≥ 50 % of the lean view's req/s, p99 ≤ 1 s, 0 errors",
                f"{m[1]} %, p99 {m[2]} ms, {m[3]} errors",
                int(m[1]) >= 50 and _ms(m[2]) <= 1000 and m[3] == "0",
            )
        )
    pairs = re.findall(
        r"^  (.+?) small p50 .*?\| large p50\s+([\d,.]+) ms .*?\|\s+([\d.]+)×$", out, re.M
    )
    if pairs:
        ratios = [float(r) for _, _, r in pairs]
        worst = max(pairs, key=lambda p: float(p[2]))
        rows.append(
            (
                "P4 every hot path at 5M ≤ 1.5× at a 10k county",
                f"{sum(r <= 1.5 for r in ratios)} of {len(ratios)} pairs met; "
                f"{min(ratios):.2f}–{max(ratios):.2f}× (highest: {worst[0].strip()})",
                all(r <= 1.5 for r in ratios),
            )
        )
        p7 = {
            label.strip(): _ms(large)
            for label, large, _ in pairs
            if label.strip()
            in ("dispatch board (county)", "suggestions, order at the county (county)")
        }
        if p7:
            rows.append(
                (
                    "P7 board and county suggestions ≤ 300 ms p50 at 1M",
                    ", ".join(f"{k} {v:,.0f} ms" for k, v in p7.items()),
                    len(p7) == 2 and all(v <= 300 for v in p7.values()),
                )
            )
    m = re.search(
        r"^P5: settle / INSERT … SELECT of the same rows into their tables = ([\d.]+)×", out, re.M
    )
    mem = re.search(r"^P5: peak RSS 100k / 10k = ([\d.]+)×", out, re.M)
    if m and mem:
        scratch = re.search(r"settle / INSERT … SELECT into a scratch table = ([\d.]+)×", out)
        rows.append(
            (
                "P5 settlement ≤ 3× INSERT … SELECT of its rows; RSS 100k ≤ 1.2× 10k",
                f"{m[1]}× (a scratch table with a primary key only: "
                f"{scratch[1] if scratch else '?'}×); RSS {mem[1]}×",
                float(m[1]) <= 3 and float(mem[1]) <= 1.2,
            )
        )
    m = re.search(r"^P6: clean / bare = ([\d.]+)×", out, re.M)
    if m:
        rows.append(("P6 photo clean ≤ 2× a bare decode", f"{m[1]}×", float(m[1]) <= 2))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="hotpaths.py: samples per request")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="hotpaths.py: each wrk load")
    parser.add_argument("--repeat", type=int, default=3, help="settlement.py: runs per set")
    args = parser.parse_args()
    out = run(["p1_queries.py"])
    out += run(
        ["hotpaths.py", "--rounds", str(args.rounds), "--wrk-seconds", str(args.wrk_seconds)]
    )
    out += run(["settlement.py", "--repeat", str(args.repeat)], {"BENCH_DATABASE_URL": P5_DB})
    out += run(["photo.py"])
    print("\nSummary (this run):")
    rows = summary(out)
    for goal, figure, met in rows:
        print(f"  {'met   ' if met else 'MISSED'}  {goal}: {figure}")
    print(f"{sum(met for _, _, met in rows)} of {len(rows)} goals met in this run")


if __name__ == "__main__":
    main()
