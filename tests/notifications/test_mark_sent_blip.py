"""Issue #12: a PostgreSQL blip between sending a delivery and marking it sent must not
leave it "sending" (the sweep would send it again after the claim expires). A private
PostgreSQL (initdb in a temp dir, port 55440-55449) is stopped right after the send and
started again ~0.6 s later; the delivery must end ``sent``, sent once."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres

SCRIPT = r"""
import json, os, subprocess, threading, time
import django
django.setup()
from django.core.management import call_command
from django.utils import timezone
import datetime as dt
call_command("migrate", verbosity=0)
from apps.notifications import delivery as d
from apps.notifications.models import Channel, Delivery, DeliveryStatus

row = Delivery.objects.create(channel=Channel.WEBHOOK, recipient="http://robot.invalid/x",
                              subject="t", body="b")
sent = []
ctl = json.loads(os.environ["PG_CTL_CMD"])

def blip_after_send(delivery):
    sent.append(delivery.pk)
    subprocess.run(ctl + ["stop", "-m", "fast", "-w"], check=True, capture_output=True)
    def start():
        time.sleep(0.6)
        subprocess.run(ctl + ["start", "-w"], check=True, capture_output=True)
    threading.Thread(target=start).start()

d.SENDERS[Channel.WEBHOOK] = blip_after_send
status = d.delivery_send(row.pk)
row.refresh_from_db()
later = timezone.now() + dt.timedelta(hours=1)
print("RESULT " + json.dumps({"returned": status, "status": row.status, "sent": sent,
      "due_later": d.deliveries_due(now=later)}))
"""


def _free_ports() -> list[int]:
    free = []
    for port in range(55440, 55450):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                free.append(port)
    return free


def test_mark_sent_survives_a_database_blip() -> None:
    if PG_BIN is None or shutil.which("runuser") is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    # Not pytest's tmp_path: its parents are private to root, and the server runs as
    # the postgres user.
    tmp_path = Path(tempfile.mkdtemp(prefix="trust-pg-"))
    data = tmp_path / "pgdata"
    data.mkdir()
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_pg:
        shutil.chown(tmp_path, "postgres")
        shutil.chown(data, "postgres")
    subprocess.run(
        [*as_pg, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    # A port found free may be taken before the server binds it (another test process
    # starting its own server): try the next one.
    for port in _free_ports():
        ctl = [
            *as_pg,
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(data / "log"),
            "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off",
        ]
        if subprocess.run([*ctl, "start", "-w"], capture_output=True).returncode == 0:
            break
    else:
        log = (data / "log").read_text(errors="replace")[-2000:] if (data / "log").exists() else ""
        pytest.fail(f"the private PostgreSQL did not start on 55440-55449:\n{log}")
    try:
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/postgres",
            "DJANGO_SETTINGS_MODULE": "practice_portal.settings",
            "PG_CTL_CMD": json.dumps(ctl),
        }
        env.pop("REDIS_URL", None)
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
        result = json.loads(line.removeprefix("RESULT "))
        assert result["returned"] == "sent" and result["status"] == "sent", result
        assert len(result["sent"]) == 1  # sent once, with its stable id
        assert result["due_later"] == []  # nothing for the sweep to send again
        assert time.monotonic() - started < 300
    finally:
        subprocess.run([*ctl, "stop", "-m", "immediate"], capture_output=True)
        shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.django_db
def test_outgoing_messages_carry_a_stable_id() -> None:
    from django.core import mail

    from apps.notifications import delivery as d
    from apps.notifications.models import Channel, Delivery

    row = Delivery.objects.create(
        channel=Channel.EMAIL, recipient="a@example.org", subject="s", body="b"
    )
    d._send_email(row)
    d._send_email(row)
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert ids[0] == ids[1] == f"<delivery-{row.pk}@127.0.0.1>"
    assert set(d.webhook_payload(row)) == {"msgtype", "text"}  # the robots' exact shape
