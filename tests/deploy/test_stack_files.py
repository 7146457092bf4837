"""The deployment files say what the stack does: docker-compose.yml (one-shot migrate,
gunicorn only, health checks, secrets from .env, accepted by a real compose
implementation), .dockerignore, the hashed lock the Dockerfile installs, and nginx's
config (valid for the nginx CI runs, body size matching the upload limit)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from apps.core.uploads import MAX_IMAGE_BYTES
from apps.orders.services.serving import MAX_PHOTOS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
LONG_RUNNING = ["db", "redis", "web", "worker", "beat", "proxy"]


def test_migrate_runs_once_before_web_worker_and_beat() -> None:
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert SERVICES["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert "migrate" not in " ".join(SERVICES[name]["command"]), name


def test_web_runs_gunicorn_with_threads_from_the_environment() -> None:
    command = SERVICES["web"]["command"]
    assert command[0] == "gunicorn" and "deploy/gunicorn.conf.py" in command
    conf = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    assert '"WEB_WORKER_CLASS", "practice_portal.gunicorn_worker.BalancedThreadWorker"' in conf
    assert 'os.environ.get("WEB_WORKERS"' in conf and 'os.environ.get("WEB_THREADS"' in conf


def test_every_long_running_service_has_a_health_check() -> None:
    for name in LONG_RUNNING:
        assert SERVICES[name]["healthcheck"]["test"], name
    assert SERVICES["beat"]["healthcheck"]["test"] == [
        "CMD",
        "python",
        "-m",
        "practice_portal.heartbeat",
    ]
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])


def test_no_secret_is_written_in_the_compose_file() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "portal:portal@" not in text
    assert SERVICES["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", example, re.M))
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))
    assert used <= listed, f"missing from .env.example: {used - listed}"
    for secret in (
        "SECRET_KEY",
        "POSTGRES_PASSWORD",
        "REDIS_PASSWORD",
        "EMAIL_HOST_PASSWORD",
        "SENTRY_DSN",
    ):
        assert secret in listed


def test_dockerignore_keeps_local_things_out_of_the_image() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for entry in (".venv", "db.sqlite3", "media", ".git", ".env", "staticfiles", "**/__pycache__"):
        assert entry in ignored, entry


def test_the_image_installs_the_hashed_lock_and_collects_static() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes --no-deps -r requirements/prod.txt" in dockerfile
    assert "pip install -e" not in dockerfile
    assert "collectstatic --noinput" in dockerfile


def test_the_lock_pins_every_dependency_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = (ROOT / "requirements" / "prod.txt").read_text()
    pins = dict(
        (canonicalize_name(m.group(1)), m.group(2))
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", lock, re.M)
    )
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", lock.split("\n", 6)[-1])
    for block in blocks:
        if "==" in block:
            assert "--hash=sha256:" in block, block.splitlines()[0]
    for spec in project["dependencies"]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements/prod.txt: refresh the lock"
        assert req.specifier.contains(pins[name]), f"{name}=={pins[name]} does not satisfy {spec}"


def test_compose_file_passes_a_real_compose_implementation(tmp_path: Path) -> None:
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose NOT INSTALLED (apt-get install docker-compose) — NOT VALIDATED")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    args = [
        compose,
        "--project-directory",
        str(tmp_path),
        "-f",
        str(tmp_path / "docker-compose.yml"),
    ]
    ok = subprocess.run([*args, "config", "-q"], capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    # Without a .env the passwords are missing, and compose refuses to start at all.
    (tmp_path / ".env").write_text("SECRET_KEY=x\n")
    env = {k: v for k, v in os.environ.items() if k not in {"POSTGRES_PASSWORD", "REDIS_PASSWORD"}}
    refused = subprocess.run(
        [*args, "config", "-q"], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert refused.returncode != 0 and "POSTGRES_PASSWORD" in refused.stderr + refused.stdout


def render_nginx(tmp_path: Path) -> Path:
    values = {
        "PORTAL_UPSTREAM": "127.0.0.1:18999",
        "PORTAL_HTTP_PORT": "18980",
        "PORTAL_HTTPS_PORT": "18943",
        "PORTAL_TLS_CERT": str(tmp_path / "cert.pem"),
        "PORTAL_TLS_KEY": str(tmp_path / "key.pem"),
        "PORTAL_STATIC_ROOT": str(tmp_path / "static"),
        "PORTAL_MEDIA_ROOT": str(tmp_path / "media"),
    }
    template = (ROOT / "deploy" / "nginx" / "portal.conf.template").read_text()
    assert set(re.findall(r"\$\{(\w+)\}", template)) == set(values)
    for name, value in values.items():
        template = template.replace(f"${{{name}}}", value)
    (tmp_path / "portal.conf").write_text(template)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / sub).mkdir()
    main = tmp_path / "nginx.conf"
    temps = " ".join(
        f"{s}_temp_path {tmp_path}/{s};" for s in ("proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        f"pid {tmp_path}/nginx.pid; error_log stderr; events {{}}\n"
        f"http {{ include /etc/nginx/mime.types; client_body_temp_path {tmp_path}/body; "
        f"{temps} include {tmp_path}/portal.conf; }}\n"
    )
    return main


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None or shutil.which("openssl") is None:
        pytest.skip("nginx or openssl NOT INSTALLED (apt-get install nginx-light) — NOT CHECKED")
    main = render_nginx(tmp_path)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=t"]
        + ["-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_nginx_body_size_matches_the_upload_limit() -> None:
    template = (ROOT / "deploy" / "nginx" / "portal.conf.template").read_text()
    size = int(re.search(r"client_max_body_size (\d+)m;", template).group(1)) * 1024 * 1024
    from django.conf import settings

    largest = MAX_PHOTOS * MAX_IMAGE_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert largest <= size <= largest + 10 * 1024 * 1024
    assert "X-Forwarded-Proto $scheme" in template
    assert re.search(r"location /_protected/ \{\s*internal;", template)
    assert "return 301 https://" in template
