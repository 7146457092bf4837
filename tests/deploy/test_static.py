"""Production static files: collectstatic with the manifest storage passes and writes
hashed, compressed names for every file the pages link."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def test_production_collectstatic_writes_hashed_compressed_files(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "DATABASE_URL"}}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="collectstatic-test-key-" + "x" * 40,
        ALLOWED_HOSTS="portal.test",
        STATIC_ROOT=str(tmp_path),
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    for name in ("css/portal.css", "js/report-charts.js", "vendor/chartjs/chart.umd.min.js"):
        assert f'"{name}"' in manifest
    hashed = sorted((tmp_path / "vendor" / "chartjs").glob("chart.umd.min.*.js"))
    assert len(hashed) == 1
    assert Path(f"{hashed[0]}.gz").exists()  # whitenoise's compressed copy


def test_vendored_scripts_name_no_source_map_we_do_not_ship() -> None:
    for path in (BASE_DIR / "static").rglob("*.js"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "sourceMappingURL=" in line:
                target = line.split("sourceMappingURL=", 1)[1].strip()
                assert (path.parent / target).exists(), f"{path} names a missing {target}"
