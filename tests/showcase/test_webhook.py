"""The push to the media center: a real HTTP receiver on localhost (http.server in a
thread) that fails twice and then accepts. The outbox retries with backoff; the event
arrives signed, is accepted exactly once, and carries the same event id on every
attempt; the failures are on the delivery problems page meanwhile."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from apps.notifications.delivery import delivery_send
from apps.notifications.models import Channel, Delivery, DeliveryStatus
from apps.notifications.signed import signature_valid
from apps.notifications.tasks import sweep_deliveries
from apps.showcase import services
from apps.showcase.push import queue_post_event

pytestmark = pytest.mark.django_db

SECRET = "media-center-shared-secret"


class Receiver:
    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.requests: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        self.lock = threading.Lock()


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    state = Receiver(fail_first=2)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen = {"body": body, "headers": dict(self.headers.items())}
            with state.lock:
                state.requests.append(seen)
                failing = len(state.requests) <= state.fail_first
                if not failing:
                    # What a careful receiver does: verify, then drop a repeat event id.
                    ok = signature_valid(body, self.headers["X-Portal-Signature"], SECRET)
                    ids = {a["headers"]["X-Portal-Event-Id"] for a in state.accepted}
                    if ok and self.headers["X-Portal-Event-Id"] not in ids:
                        state.accepted.append(seen)
            self.send_response(500 if failing else 200)
            self.end_headers()
            self.wfile.write(b"busy" if failing else b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.MEDIA_CENTER_WEBHOOK_URL = f"http://127.0.0.1:{server.server_address[1]}/portal-events"
    settings.PORTAL_WEBHOOK_SECRET = SECRET
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _due_now() -> None:
    """Time passes: the backoff is over."""
    Delivery.objects.filter(status=DeliveryStatus.RETRY).update(next_attempt_at=timezone.now())


def test_published_event_delivered_exactly_once_after_two_failures(
    receiver: Receiver,
    make_post: Any,
    editor: Any,
    login_as: Any,
    cast: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post = make_post("editor_review", photos=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(actor=editor, post_id=post.pk)  # publish → queued → 1st try
    delivery = Delivery.objects.get(channel=Channel.SIGNED_WEBHOOK)
    assert delivery.status == DeliveryStatus.RETRY and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now()  # backoff, not right away
    assert "HTTP 500" in delivery.last_error
    # The failure is where failed deliveries are seen: the county's problems page.
    page = login_as(cast.county).get("/notifications/deliveries/").content.decode()
    assert "HTTP 500" in page

    sweep_deliveries()  # not due yet: nothing sent
    assert len(receiver.requests) == 1
    _due_now()
    sweep_deliveries()  # 2nd attempt: fails
    _due_now()
    sweep_deliveries()  # 3rd attempt: accepted
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 3
    for _ in range(3):  # later sweeps and a repeated task send nothing more
        _due_now()
        sweep_deliveries()
    assert delivery_send(delivery.pk) == "skipped"

    assert len(receiver.requests) == 3 and len(receiver.accepted) == 1
    ids = {r["headers"]["X-Portal-Event-Id"] for r in receiver.requests}
    assert len(ids) == 1  # the same event id on every attempt
    got = receiver.accepted[0]
    # The documented check: HMAC-SHA256 of the raw body, hex, after "sha256=".
    expected = hmac.new(SECRET.encode(), got["body"], hashlib.sha256).hexdigest()
    assert got["headers"]["X-Portal-Signature"] == f"sha256={expected}"
    event = json.loads(got["body"])
    assert event["type"] == "post.published" and event["id"] == ids.pop()
    assert event["post"]["id"] == post.pk and event["post"]["title"] == post.title
    assert event["post"]["images"][0].startswith("http")
    assert "清理楼道杂物" in event["post"]["content_html"]
    assert not signature_valid(got["body"], got["headers"]["X-Portal-Signature"], "wrong")


def test_unpublish_sends_its_own_event(
    receiver: Receiver, make_post: Any, editor: Any, django_capture_on_commit_callbacks: Any
) -> None:
    receiver.fail_first = 0
    post = make_post("editor_review")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(actor=editor, post_id=post.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_unpublish(actor=editor, post_id=post.pk, reason="当事人要求撤下")
    kinds = [json.loads(a["body"])["type"] for a in receiver.accepted]
    assert kinds == ["post.published", "post.unpublished"]
    last = json.loads(receiver.accepted[1]["body"])
    assert last["post"] == {"id": post.pk, "url": last["post"]["url"], "reason": "当事人要求撤下"}
    assert Delivery.objects.filter(channel=Channel.SIGNED_WEBHOOK, status="sent").count() == 2


def test_one_delivery_per_event_id(receiver: Receiver, make_post: Any) -> None:
    post = make_post("published")
    event = post.events.get(action="publish")
    assert Delivery.objects.filter(channel=Channel.SIGNED_WEBHOOK).count() == 1
    assert queue_post_event(post, event) is False  # queued again: refused
    assert Delivery.objects.filter(channel=Channel.SIGNED_WEBHOOK).count() == 1


def test_no_url_no_push(settings: Any, make_post: Any) -> None:
    settings.MEDIA_CENTER_WEBHOOK_URL = ""
    make_post("published")
    assert not Delivery.objects.filter(channel=Channel.SIGNED_WEBHOOK).exists()
