"""P3 under several gunicorn sizes, side by side: the small county's server started
with each ``WEB_WORKERS`` × ``WEB_THREADS`` in turn, ``wrk`` at 64 connections against
the constant view, the lean view and the order list (``hotpaths.p3``).

    .venv/bin/python bench/p3_threads.py 3x4 3x8 2x16

Uses the small database of ``hotpaths.py`` (``BENCH_SMALL_URL``), prepared the same way.
Nothing here asserts a time: it prints what it measured.
"""

from __future__ import annotations

import argparse
import os
import subprocess

import hotpaths as h


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="+", help="WORKERSxTHREADS, e.g. 3x4")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    args = parser.parse_args()
    fx = {"small": h.run_prepare("small", h.SMALL_URL)}
    subprocess.run(
        [h.PY, str(h.ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"],
        env=h.server_env(h.SMALL_URL),
        cwd=h.ROOT,
        check=True,
    )
    for size in args.sizes:
        workers, threads = size.split("x")
        os.environ.update(WEB_WORKERS=workers, WEB_THREADS=threads)
        server = h.start_server("small", h.SMALL_URL)
        try:
            print(f"\n{workers} workers × {threads} threads:", flush=True)
            h.p3(fx, args.wrk_seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
