"""Site webhooks against a real HTTP server on 127.0.0.1 (http.server in a thread, a
free port): the WeCom/DingTalk text shape, retries until delivered exactly once, a
robot's error code counted as failure, and a hanging robot cut off by the timeout."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.notifications import delivery, services, tasks
from apps.notifications.models import Channel, Delivery, DeliveryStatus, SiteWebhook
from apps.orders import services as orders

pytestmark = pytest.mark.django_db


class Robot:
    """A group robot that answers request n with ``script[n]`` (the last one repeats):
    ``500`` an HTTP 500, ``"ok"`` 200 {"errcode": 0}, an int other than 500 that
    errcode with HTTP 200, ``("hang", s)`` a reply only after s seconds."""

    def __init__(self, script: list[Any]) -> None:
        self.script = script
        self.posts: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.ok = 0
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length).decode("utf-8"))
                n = len(robot.posts)
                robot.posts.append(payload)
                robot.headers.append(dict(self.headers))
                step = robot.script[min(n, len(robot.script) - 1)]
                hung = isinstance(step, tuple)
                if hung:
                    time.sleep(step[1])
                    step = "ok"
                if step == 500:
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"internal error")
                    return
                errcode = 0 if step == "ok" else step
                if not errcode and not hung:
                    robot.ok += 1  # counted before answering: the client may be quicker
                body = json.dumps(
                    {
                        "errcode": errcode,
                        "errmsg": "ok" if not errcode else "keywords not in content",
                    }
                ).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    return  # the client gave up waiting

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=k"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot() -> Iterator[Any]:
    made: list[Robot] = []

    def start(*script: Any) -> Robot:
        made.append(Robot(list(script)))
        return made[-1]

    yield start
    for r in made:
        r.close()


def due_now(delivery: Delivery) -> None:
    """Skip the backoff wait: the retry becomes due now."""
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def accept_with_webhook(
    flow: Any, v: Any, tree: Any, url: str, capture: Any, kind: str = "wecom"
) -> Delivery:
    """vol1 accepts an order at village1, whose group robot is at ``url``: the
    village1 staff hear of it in the app and in the group chat (sent after commit)."""
    SiteWebhook.objects.create(site=tree.village1, kind=kind, url=url)
    order = flow("dispatched")
    with capture(execute=True):
        orders.order_accept(order_id=order.pk, actor=v.vol1.user)
    return Delivery.objects.get(channel=Channel.WEBHOOK)


@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
def test_payload_is_the_robot_text_shape(
    flow: Any, v: Any, tree: Any, robot: Any, django_capture_on_commit_callbacks: Any, kind: str
) -> None:
    r = robot("ok")
    d = accept_with_webhook(flow, v, tree, r.url, django_capture_on_commit_callbacks, kind)
    d.refresh_from_db()
    assert (d.status, d.attempts, d.site_id) == (DeliveryStatus.SENT, 1, tree.village1.pk)
    assert len(r.posts) == 1 and r.ok == 1
    payload = r.posts[0]
    assert set(payload) == {"msgtype", "text"} and set(payload["text"]) == {"content"}
    assert payload["msgtype"] == "text"
    content = payload["text"]["content"]
    assert content.startswith("【已接单：助老上门服务】\n张丽 已接下 #")
    assert r.headers[0]["Content-Type"].startswith("application/json")
    # A stable id a receiver can deduplicate on (issue #12): the delivery's id.
    assert {k.lower(): v for k, v in r.headers[0].items()}["x-delivery-id"] == str(d.pk)


def test_fails_twice_then_delivered_exactly_once(
    flow: Any, v: Any, tree: Any, robot: Any, django_capture_on_commit_callbacks: Any
) -> None:
    r = robot(500, 500, "ok")
    d = accept_with_webhook(flow, v, tree, r.url, django_capture_on_commit_callbacks)
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_error) == (DeliveryStatus.RETRY, 1, "HTTP 500")
    first_wait = d.next_attempt_at - timezone.now()

    assert services.delivery_send(d.pk) == "skipped"  # not due: the backoff holds
    due_now(d)
    assert services.delivery_send(d.pk) == DeliveryStatus.RETRY
    d.refresh_from_db()
    assert d.attempts == 2 and d.last_error == "HTTP 500"
    assert d.next_attempt_at - timezone.now() > first_wait  # the backoff grew

    due_now(d)
    assert tasks.sweep_deliveries() == 1  # the sweep re-sends it (eagerly)
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_error) == (DeliveryStatus.SENT, 3, "")
    # Nothing more goes out, whoever asks again.
    assert services.delivery_send(d.pk) == "skipped"
    assert tasks.sweep_deliveries() == 0
    assert len(r.posts) == 3 and r.ok == 1
    assert r.posts[0] == r.posts[2]


def test_errcode_in_a_200_answer_is_a_failure(
    flow: Any,
    v: Any,
    tree: Any,
    cast: Any,
    robot: Any,
    login_as: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    r = robot(310000)
    d = accept_with_webhook(flow, v, tree, r.url, django_capture_on_commit_callbacks)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.RETRY and d.attempts == 1
    assert "310000" in d.last_error
    assert len(r.posts) == 1 and r.ok == 0
    # Recorded where the site's staff see it, and only they.
    page = reverse("notifications:deliveries")
    assert "机器人返回错误 310000" in login_as(cast.village1).get(page).content.decode()
    assert "机器人返回错误 310000" not in login_as(cast.town2).get(page).content.decode()


def test_unreachable_robot_is_retried(
    flow: Any, v: Any, tree: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from .conftest import free_port

    url = f"http://127.0.0.1:{free_port()}/robot"  # nobody listens there
    d = accept_with_webhook(flow, v, tree, url, django_capture_on_commit_callbacks)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.RETRY and d.last_error.startswith("连接失败")


def test_hanging_robot_times_out_and_blocks_nothing(
    flow: Any,
    v: Any,
    tree: Any,
    robot: Any,
    monkeypatch: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr(delivery, "WEBHOOK_TIMEOUT_SECONDS", 1)
    hanging = robot(("hang", 4))
    started = time.monotonic()
    d = accept_with_webhook(flow, v, tree, hanging.url, django_capture_on_commit_callbacks)
    elapsed = time.monotonic() - started
    assert elapsed < 3.5, f"the accept waited {elapsed:.1f}s on a hanging robot"
    d.refresh_from_db()
    assert (d.status, d.attempts, d.locked_until) == (DeliveryStatus.RETRY, 1, None)
    assert "timed out" in d.last_error
    assert d.next_attempt_at > timezone.now()
    # The order went on, and the next message (to a healthy robot) is not held up.
    healthy = robot("ok")
    other = Delivery.objects.create(
        channel=Channel.WEBHOOK, site=tree.town1, recipient=healthy.url, subject="测试", body="正常"
    )
    t0 = time.monotonic()
    assert services.delivery_send(other.pk) == DeliveryStatus.SENT
    assert time.monotonic() - t0 < 1
    assert healthy.ok == 1 and hanging.ok == 0
