"""Production smoke test: the stack of docker-compose.yml, run natively, driven over HTTPS.

No Docker engine here, so each process runs as compose would run it: the commands of
the migrate, web, worker and beat services (and their health checks) are read from
docker-compose.yml itself, so they cannot drift, and run with DJANGO_ENV=production, a
random SECRET_KEY and ALLOWED_HOSTS=portal.test, against

* a fresh PostgreSQL database on the machine's server (``smoke_<random>``, dropped at
  the end),
* a private redis-server on a port of its own (6390-6399), so it can be frozen with
  SIGSTOP without touching anyone else's Redis,
* the real nginx with deploy/nginx/portal.conf.template, rendered by envsubst exactly
  as the nginx image renders it, a self-signed certificate made with openssl, on high
  ports (HTTPS 8443, HTTP 8080, or the next free ones).

Substitutions, and nothing else: the database and Redis URLs; MEDIA_ROOT, STATIC_ROOT
and the beat schedule file in a temporary folder; the web's bind address
(``WEB_BIND=127.0.0.1:<port>``, read by deploy/gunicorn.conf.py) and the port in the web
health check's URL; e-mail to files; the notification sweep every 5 s instead of every
minute (``NOTIFY_SWEEP_SECONDS``, ``NOTIFY_SWEEP_GRACE_SECONDS``), so the "after Redis
comes back" check takes seconds. ``PYTHONPATH`` is the checkout, as ``/app`` is in the
image. The programs run are the ones on ``--bin`` (a virtualenv built from
requirements/prod.txt in CI).

Then, over HTTPS through nginx: static files, the HTTP redirect, an order placed,
dispatched, accepted and served with a photo, who may fetch that photo, the worker's
deliveries, /healthz; Redis frozen (pages and an order still answer within 2 s,
/healthz says the broker is down) and thawed (the pending deliveries go out); and
``docker-compose config -q`` on the compose file. Exits non-zero at the first failure,
printing the logs.

    python deploy/smoke/run_stack.py [--bin /path/to/venv/bin] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import requests
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
TEMPLATE = ROOT / "deploy" / "nginx" / "portal.conf.template"
HOST = "portal.test"
PASSWORD = "demo12345"  # the demo county's accounts (manage.py seed_demo)
FROZEN_BUDGET = 2.0  # seconds a page or an order may take with Redis frozen
STARTED = time.monotonic()


class SmokeFailure(Exception):
    pass


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def check(condition: Any, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)
    say(f"ok  {message}")


def free_port(candidates: range) -> int:
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SmokeFailure(f"no free port in {candidates}")


# --- docker-compose.yml ---------------------------------------------------------------------
def compose_services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def exec_form(service: dict[str, Any], key: str = "command") -> list[str]:
    value = service[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SmokeFailure(f"{key} must be the exec form (a list of strings): {value!r}")
    return value


def health_command(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    if test[0] == "CMD":
        return list(test[1:])
    if test[0] == "CMD-SHELL":
        # Compose writes $$ for a literal $ the shell expands.
        return ["sh", "-c", test[1].replace("$$", "$")]
    raise SmokeFailure(f"unknown health check form {test!r}")


# --- processes --------------------------------------------------------------------------------
class Stack:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.env = env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = self.tmp / "logs" / f"{name}.log"
        self.logs[name] = log
        with log.open("wb") as out:
            self.procs[name] = subprocess.Popen(  # noqa: S603 - commands from our compose file
                argv,
                cwd=ROOT,
                env=env or self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped with its children
            )
        say(f"started {name}: {' '.join(argv)}")

    def run(self, name: str, argv: list[str], timeout: float = 300) -> None:
        log = self.tmp / "logs" / f"{name}.log"
        self.logs[name] = log
        with log.open("wb") as out:
            result = subprocess.run(  # noqa: S603
                argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout
            )
        if result.returncode != 0:
            raise SmokeFailure(f"{name} exited {result.returncode}")
        say(f"ran {name}: {' '.join(argv)}")

    def alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise SmokeFailure(f"{name} exited with {proc.returncode}")

    def stop(self) -> None:
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGCONT)  # a frozen process cannot stop
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def dump_logs(self, lines: int = 60) -> None:
        for name, log in self.logs.items():
            if log.exists():
                tail = log.read_text(errors="replace").splitlines()[-lines:]
                print(f"----- {name} ({log}) -----")
                print("\n".join(tail))


def wait_until(what: str, probe: Callable[[], bool], timeout: float, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while True:
        stack.alive()
        with contextlib.suppress(Exception):
            if probe():
                say(f"ok  {what}")
                return
        if time.monotonic() > deadline:
            raise SmokeFailure(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.5)


def runs_ok(argv: list[str], env: dict[str, str]) -> bool:
    result = subprocess.run(  # noqa: S603
        argv, cwd=ROOT, env=env, capture_output=True, timeout=30
    )
    return result.returncode == 0


# --- the database -----------------------------------------------------------------------------
@contextlib.contextmanager
def fresh_database(server: str) -> Iterator[str]:
    name = f"smoke_{secrets.token_hex(4)}"
    admin = psycopg2.connect(f"{server}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    say(f"created database {name}")
    try:
        yield f"{server}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        say(f"dropped database {name}")


def query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


# --- HTTP through nginx -----------------------------------------------------------------------
_real_getaddrinfo = socket.getaddrinfo


def resolve_portal_locally() -> None:
    """portal.test is this machine (what curl --resolve does), for every client here."""

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        return _real_getaddrinfo("127.0.0.1" if host == HOST else host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]


class Browser:
    """A requests session that behaves like a browser on the portal: CSRF cookie and
    token, a Referer on unsafe requests."""

    def __init__(self, base: str, cert: Path) -> None:
        self.base = base
        self.http = requests.Session()
        # Per request: a session's verify loses to REQUESTS_CA_BUNDLE in the environment.
        self.cert = str(cert)

    def get(self, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", 30)
        kw.setdefault("verify", self.cert)
        return self.http.get(self.base + path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", 30)
        kw.setdefault("verify", self.cert)
        headers = kw.pop("headers", {})
        headers.setdefault("Referer", self.base + path)
        token = self.http.cookies.get("csrftoken")
        if token:
            headers.setdefault("X-CSRFToken", token)
        return self.http.post(self.base + path, headers=headers, **kw)

    def login(self, username: str) -> None:
        page = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not token:
            raise SmokeFailure("login page has no CSRF token")
        r = self.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": username,
                "password": PASSWORD,
            },
            allow_redirects=False,
        )
        if r.status_code != 302:
            raise SmokeFailure(f"login as {username}: HTTP {r.status_code}")

    def form_token(self, path: str) -> str:
        page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not token:
            raise SmokeFailure(f"{path}: no CSRF token")
        return token.group(1)


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 40, 40)).save(buf, format="JPEG")
    return buf.getvalue()


def place_order(resident: Browser, note: str) -> requests.Response:
    me = resident.get("/api/v1/me/").json()
    site = me["roles"][0]["site"]["id"]
    services = resident.get(f"/api/v1/services/?site={site}").json()["results"]
    # Due within the check-in window (it opens 60 minutes before the preferred start).
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
    start = soon.isoformat(timespec="seconds")
    end = (soon + dt.timedelta(hours=1)).isoformat(timespec="seconds")
    return resident.post(
        "/api/v1/orders/",
        json={
            "service": services[0]["id"],
            "address": "东关社区 3 号楼 2 单元",
            "contact_mobile": "13600000001",
            "preferred_start": start,
            "preferred_end": end,
            "note": note,
        },
    )


def timed(call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


# --- the smoke --------------------------------------------------------------------------------
def validate_compose(tmp: Path) -> None:
    compose = shutil.which("docker-compose")
    if compose is None:
        raise SmokeFailure("docker-compose is not installed (apt-get install docker-compose)")
    folder = tmp / "compose"
    folder.mkdir()
    shutil.copy(COMPOSE, folder / "docker-compose.yml")
    shutil.copy(ROOT / ".env.example", folder / ".env")  # a dummy .env: the example
    result = subprocess.run(  # noqa: S603
        [compose, "--project-directory", str(folder), "-f", str(folder / "docker-compose.yml")]
        + ["config", "-q"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    check(
        result.returncode == 0,
        f"docker-compose config -q accepts docker-compose.yml {result.stderr}",
    )


def render_nginx(tmp: Path, values: dict[str, str]) -> Path:
    folder = tmp / "nginx"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / sub).mkdir(parents=True)
    names = " ".join(f"${{{k}}}" for k in values)
    rendered = subprocess.run(  # noqa: S603 - envsubst, as the nginx image's entrypoint
        ["envsubst", names],
        input=TEMPLATE.read_text(),
        capture_output=True,
        text=True,
        env={**os.environ, **values},
        check=True,
    ).stdout
    if "${PORTAL_" in rendered:
        raise SmokeFailure("the nginx template names a variable the smoke does not set")
    (folder / "portal.conf").write_text(rendered)
    main = folder / "nginx.conf"
    main.write_text(
        f"""daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/portal.conf;
}}
"""
    )
    return main


def make_certificate(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "tls" / "fullchain.pem", tmp / "tls" / "privkey.pem"
    cert.parent.mkdir()
    subprocess.run(  # noqa: S603
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", f"/CN={HOST}"]
        + ["-addext", f"subjectAltName=DNS:{HOST}"],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextlib.contextmanager
def private_redis(tmp: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port(range(6390, 6400))
    proc = subprocess.Popen(  # noqa: S603
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(tmp)],
        stdout=(tmp / "logs" / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while (
            subprocess.run(  # noqa: S603
                ["redis-cli", "-p", str(port), "ping"], capture_output=True
            ).stdout.strip()
            != b"PONG"
        ):
            if time.monotonic() > deadline:
                raise SmokeFailure("private redis-server did not start")
            time.sleep(0.1)
        say(f"private redis-server on port {port} (pid {proc.pid})")
        yield port, proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGCONT)
            proc.terminate()
        proc.wait(timeout=10)


def smoke(args: argparse.Namespace, tmp: Path) -> None:
    validate_compose(tmp)
    services = compose_services()
    for name in ("migrate", "web", "worker", "beat"):
        check(name in services, f"docker-compose.yml has the {name} service")
    (tmp / "logs").mkdir()
    tmp.chmod(0o755)  # nginx's workers (nobody when run as root) read static and media
    static_root, media_root, mail_dir = tmp / "static", tmp / "media", tmp / "mail"
    for folder in (media_root, mail_dir):
        folder.mkdir()
    resolve_portal_locally()

    with fresh_database(args.postgres) as database_url, private_redis(tmp) as (rport, redis):
        redis_url = f"redis://127.0.0.1:{rport}/0"
        https_port = free_port(range(8443, 8460))
        http_port = free_port(range(8080, 8100))
        web_port = free_port(range(18000, 18100))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))},
            **{k: str(v) for k, v in services["web"].get("environment", {}).items()},
        }
        env.update(
            PATH=f"{args.bin}:{os.environ.get('PATH', '')}",
            PYTHONPATH=str(ROOT),
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS=HOST,
            CSRF_TRUSTED_ORIGINS=f"https://{HOST}:{https_port}",
            PORTAL_BASE_URL=f"https://{HOST}:{https_port}",
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            MEDIA_ROOT=str(media_root),
            STATIC_ROOT=str(static_root),
            BEAT_SCHEDULE_FILE=str(tmp / "celerybeat-schedule"),
            WEB_BIND=f"127.0.0.1:{web_port}",
            WEB_WORKERS="2",
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(mail_dir),
            NOTIFY_SWEEP_SECONDS="5",
            NOTIFY_SWEEP_GRACE_SECONDS="2",
        )
        check(env["DJANGO_ENV"] == "production", "services run with DJANGO_ENV=production")
        stack = Stack(tmp, env)
        try:
            ports = {"https": https_port, "http": http_port, "web": web_port}
            run_checks(args, tmp, stack, services, ports, database_url, redis, media_root, mail_dir)
        except BaseException:
            stack.stop()
            stack.dump_logs()
            raise
        stack.stop()


def run_checks(
    args: argparse.Namespace,
    tmp: Path,
    stack: Stack,
    services: dict[str, Any],
    ports: dict[str, int],
    database_url: str,
    redis: subprocess.Popen[bytes],
    media_root: Path,
    mail_dir: Path,
) -> None:
    env = stack.env
    https_port, http_port, web_port = ports["https"], ports["http"], ports["web"]

    # As the image's build step does, into a temporary folder.
    stack.run("collectstatic", ["python", "manage.py", "collectstatic", "--noinput"])
    stack.run("migrate", exec_form(services["migrate"]))
    stack.run("seed_demo", ["python", "manage.py", "seed_demo"])

    cert, key = make_certificate(tmp)
    nginx_conf = render_nginx(
        tmp,
        {
            "PORTAL_UPSTREAM": f"127.0.0.1:{web_port}",
            "PORTAL_HTTP_PORT": str(http_port),
            "PORTAL_HTTPS_PORT": str(https_port),
            "PORTAL_TLS_CERT": str(cert),
            "PORTAL_TLS_KEY": str(key),
            "PORTAL_STATIC_ROOT": env["STATIC_ROOT"],
            "PORTAL_MEDIA_ROOT": env["MEDIA_ROOT"],
        },
    )
    stack.start("web", exec_form(services["web"]))
    stack.start("worker", exec_form(services["worker"]))
    stack.start("beat", exec_form(services["beat"]))
    stack.start("nginx", [args.nginx, "-p", str(tmp / "nginx"), "-c", str(nginx_conf)])

    # The compose health checks, run here: the web's against our port.
    web_health = [
        part.replace("localhost:8000", f"127.0.0.1:{web_port}")
        for part in health_command(services["web"])
    ]
    worker_env = {**env, "HOSTNAME": socket.gethostname()}  # celery@<hostname>, as in a container
    wait_until("web health check passes", lambda: runs_ok(web_health, env), 60, stack)
    wait_until(
        "worker health check passes",
        lambda: runs_ok(health_command(services["worker"]), worker_env),
        90,
        stack,
    )
    wait_until(
        "beat health check passes",
        lambda: runs_ok(health_command(services["beat"]), env),
        60,
        stack,
    )

    base = f"https://{HOST}:{https_port}"
    anonymous = Browser(base, cert)
    wait_until("nginx answers over HTTPS", lambda: anonymous.get("/").status_code == 200, 30, stack)

    # --- static files, hashed and cached, and the redirect to HTTPS
    home = anonymous.get("/")
    check(home.status_code == 200, "home page 200 over HTTPS through nginx")
    check("X-Request-ID" in home.headers, "the response carries its request id")
    links = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', home.text)
    links += re.findall(r'<script[^>]+src="([^"]+)"', home.text)
    check(links, f"home page links stylesheets and scripts: {links}")
    for link in links:
        r = anonymous.get(link, headers={"Accept-Encoding": "gzip"})
        check(
            r.status_code == 200
            and re.search(r"\.[0-9a-f]{12}\.(css|js)$", link)
            and "max-age=31536000" in r.headers.get("Cache-Control", "")
            and r.headers.get("Content-Encoding") == "gzip",
            f"{link}: 200, hashed name, a year's Cache-Control, gzip "
            f"({r.status_code} {r.headers.get('Cache-Control')})",
        )
    redirect = requests.get(
        f"http://{HOST}:{http_port}/orders/mine/", allow_redirects=False, timeout=10
    )
    check(
        redirect.status_code == 301
        and redirect.headers["Location"] == f"https://{HOST}/orders/mine/",
        f"HTTP redirects to HTTPS ({redirect.status_code} {redirect.headers.get('Location')})",
    )

    # --- an order, start to finish, on the real API with session logins and CSRF
    resident, staff, volunteer, other = (Browser(base, cert) for _ in range(4))
    resident.login("res1")
    staff.login("village1")
    volunteer.login("vol1")
    other.login("town2")
    # E-mail addresses, set on the profile page: the resident hears of a rejection, the
    # volunteer of a dispatch, the point's staff of acceptance and completion.
    emails: dict[str, str] = {}
    for who, browser, name in (
        ("res1", resident, "刘大爷"),
        ("vol1", volunteer, "志愿者一"),
        ("village1", staff, "东关站工作人员"),
    ):
        emails[who] = f"{who}-{secrets.token_hex(3)}@example.org"
        r = browser.post(
            "/accounts/profile/",
            data={
                "csrfmiddlewaretoken": browser.form_token("/accounts/profile/"),
                "real_name": name,
                "email": emails[who],
            },
            allow_redirects=False,
        )
        check(r.status_code == 302, f"{who} sets an e-mail address on the profile page")
    placed = place_order(resident, "烟雾测试：请上门打扫")
    check(
        placed.status_code == 201,
        f"resident places an order ({placed.status_code} {placed.text[:200]})",
    )
    order = placed.json()["id"]
    vol1 = volunteer.get("/api/v1/volunteers/me/").json()["id"]
    suggested = [s["id"] for s in staff.get(f"/api/v1/orders/{order}/suggestions/").json()]
    check(vol1 in suggested, "staff see vol1 among the suggested volunteers")
    r = staff.post(f"/api/v1/orders/{order}/dispatch/", json={"volunteers": [vol1]})
    check(r.status_code == 200, f"staff dispatch to vol1 ({r.status_code} {r.text[:200]})")
    for action in ("accept", "start"):
        r = volunteer.post(f"/api/v1/orders/{order}/{action}/")
        check(r.status_code == 200, f"volunteer: {action} ({r.status_code} {r.text[:200]})")
    r = volunteer.post(
        f"/api/v1/orders/{order}/complete/",
        data={"summary": "打扫房间，陪老人聊天", "hours": "0.5"},
        files=[("photos", ("photo.jpg", jpeg(), "image/jpeg"))],
    )
    check(
        r.status_code == 200, f"volunteer checks out with a photo ({r.status_code} {r.text[:200]})"
    )
    photo = r.json()["photos"][0]
    photo_url, thumb_url = photo["image"], photo["thumbnail"]
    check(
        photo_url.startswith(f"{base}/orders/photos/"),
        f"the API's photo URL is the checked view ({photo_url})",
    )
    path, thumb_path = photo_url[len(base) :], thumb_url[len(base) :]
    for who, browser in (("resident", resident), ("volunteer", volunteer), ("staff", staff)):
        got = browser.get(path)
        check(
            got.status_code == 200
            and got.headers.get("Content-Type") == "image/jpeg"
            and got.content[:3] == b"\xff\xd8\xff"
            and "X-Accel-Redirect" not in got.headers
            and "private" in got.headers.get("Cache-Control", ""),
            f"the {who} fetches the photo: 200 image/jpeg from nginx ({got.status_code})",
        )
    check(resident.get(thumb_path).status_code == 200, "the resident fetches the thumbnail")
    for who, browser in (("another township's staff (town2)", other), ("anonymous", anonymous)):
        for p in (path, thumb_path):
            got = browser.get(p, allow_redirects=False)
            check(got.status_code == 404, f"{who} gets 404 for {p} ({got.status_code})")
    stored = next(p for p in media_root.rglob("*.jpg") if "thumb" not in p.name)
    name = stored.relative_to(media_root).as_posix()
    for p in (f"/media/{name}", f"/_protected/{name}", f"/_protected/../{name}"):
        got = resident.get(p, allow_redirects=False)
        check(got.status_code == 404, f"{p} is not served directly ({got.status_code})")
    detail = resident.get(f"/orders/{order}/").text
    check(
        f"/orders/photos/{photo['id']}/thumb/" in detail,
        "the order page shows the checked thumbnail",
    )

    # A second order the point cannot serve: staff reject it, the resident hears of it.
    rejected = place_order(resident, "烟雾测试：这一单会被退回").json()["id"]
    r = staff.post(f"/api/v1/orders/{rejected}/reject/", json={"reason": "本站暂不提供该服务"})
    check(r.status_code == 200, f"staff reject the second order ({r.status_code} {r.text[:200]})")

    # --- the worker delivered the e-mails (not eagerly: the web publishes to the broker)
    def deliveries(status: str, who: tuple[str, ...] = ("res1", "vol1", "village1")) -> int:
        return query(
            database_url,
            "SELECT count(*) FROM notifications_delivery WHERE recipient = ANY(%s) AND status = %s",
            ([emails[w] for w in who], status),
        )[0][0]

    wait_until(
        "the worker sent the e-mails: the resident's rejection, vol1's dispatch, "
        "the staff's acceptance and completion",
        lambda: (
            deliveries("sent", ("res1",)) >= 1
            and deliveries("sent") >= 4
            and deliveries("pending") == 0
        ),
        30,
        stack,
    )
    worker_log = stack.logs["worker"].read_text(errors="replace")
    check(
        re.search(
            r"task name=apps\.notifications\.tasks\.deliver id=\S+ duration_ms=\S+ state=SUCCESS",
            worker_log,
        ),
        "the worker's log has one line per delivery task",
    )
    written = "".join(p.read_text() for p in mail_dir.glob("*.log"))
    check(emails["res1"] in written, "the resident's e-mail was written by the worker's backend")
    web_log = stack.logs["web"].read_text(errors="replace")
    check(
        re.search(
            r"\[[0-9a-f]{32}\] request method=POST path=/api/v1/orders/ status=201 duration_ms=\S+ user=\d+",
            web_log,
        ),
        "the web's log has one line per request with its id and user",
    )
    health = anonymous.get("/healthz")
    body = health.json()
    check(
        health.status_code == 200
        and body["database"] == "ok"
        and body["broker"] == "ok"
        and body["beat"].startswith("ok: last ran"),
        f"/healthz through nginx: database, broker and beat ok ({body})",
    )

    # --- Redis frozen: pages and orders still answer quickly, /healthz says so
    os.kill(redis.pid, signal.SIGSTOP)
    say("redis-server frozen (SIGSTOP)")
    try:
        page, seconds = timed(lambda: resident.get("/orders/mine/"))
        check(
            page.status_code == 200 and seconds < FROZEN_BUDGET,
            f"a page with Redis frozen: {page.status_code} in {seconds:.2f} s",
        )
        placed, seconds = timed(lambda: place_order(resident, "Redis 冻结时的点单"))
        check(
            placed.status_code == 201 and seconds < FROZEN_BUDGET,
            f"an order with Redis frozen: {placed.status_code} in {seconds:.2f} s",
        )
        frozen_order = placed.json()["id"]
        r, seconds = timed(
            lambda: staff.post(
                f"/api/v1/orders/{frozen_order}/dispatch/", json={"volunteers": [vol1]}
            )
        )
        check(
            r.status_code == 200 and seconds < FROZEN_BUDGET,
            f"a dispatch with Redis frozen: {r.status_code} in {seconds:.2f} s",
        )
        health, seconds = timed(lambda: anonymous.get("/healthz"))
        body = health.json()
        check(
            health.status_code == 503
            and body["broker"].startswith("error")
            and seconds < FROZEN_BUDGET,
            f"/healthz reports the broker down in {seconds:.2f} s ({body})",
        )
        check(deliveries("pending", ("vol1",)) >= 1, "vol1's dispatch e-mail waits in the outbox")
    finally:
        os.kill(redis.pid, signal.SIGCONT)
        say("redis-server thawed (SIGCONT)")
    wait_until(
        "after SIGCONT the sweep sends the pending deliveries",
        lambda: deliveries("pending") == 0 and deliveries("sent", ("vol1",)) >= 2,
        60,
        stack,
    )
    wait_until(
        "/healthz is ok again", lambda: anonymous.get("/healthz").status_code == 200, 60, stack
    )
    stack.alive()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--bin", default=str(Path(sys.executable).parent), help="the programs' folder"
    )
    parser.add_argument(
        "--postgres", default=os.environ.get("SMOKE_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="portal-smoke-"))
    say(f"production smoke in {tmp}")
    try:
        smoke(args, tmp)
    except SmokeFailure as exc:
        say(f"FAILED: {exc}")
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    say(f"production smoke passed in {time.monotonic() - STARTED:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
