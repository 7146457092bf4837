"""``media_url``: fetched with a size and time limit, never from a private, loopback or
link-local address (also after a redirect), cleaned like an upload and kept as the
order's photo. The test server runs on loopback, which the check is told to allow for
its one port; every other address goes through the real check (and is refused before
any connection is made)."""

from __future__ import annotations

import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from apps.open311 import media
from apps.orders.models import OrderPhoto

pytestmark = pytest.mark.django_db


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, format="PNG")
    return out.getvalue()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/photo.png":
            body = png()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/to-private":
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/secret.png")
            self.end_headers()
        elif self.path == "/to-metadata":
            self.send_response(301)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
        elif self.path == "/big":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 5000)
        elif self.path == "/slow":
            time.sleep(1.5)
            self.send_response(200)
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server(monkeypatch: Any) -> Any:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    port = httpd.server_address[1]
    real_allowed = media.address_allowed
    monkeypatch.setattr(media, "PORTS", {"http": port, "https": 443})
    monkeypatch.setattr(media, "address_allowed", lambda a: a == "127.0.0.1" or real_allowed(a))
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_addresses_are_refused(address):
    assert not media.address_allowed(address)


def test_public_addresses_are_allowed():
    assert media.address_allowed("8.8.8.8") and media.address_allowed("2001:4860:4860::8888")


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/x.png",
        "http://127.0.0.1/x.png",
        "http://[::1]/x.png",
        "http://10.0.0.5/x.png",
        "http://169.254.169.254/latest/",
        "ftp://example.org/x.png",
        "file:///etc/passwd",
        "http://user:pw@example.org/x.png",
        "http://example.org:8080/x.png",
        "http://exa mple.org/x.png",
        "http://[zz]/",
        "http://" + "a" * 600,
    ],
)
def test_refused_before_connecting(url, monkeypatch):
    def no_connection(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no connection may be made")

    monkeypatch.setattr(media.socket, "create_connection", no_connection)
    with pytest.raises(ValidationError):
        media.fetch_bytes(url)


def test_a_photo_is_fetched_cleaned_and_kept(server, client, tree, m, key):
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key.raw,
            "jurisdiction_id": tree.village1.code,
            "service_code": str(m.village1.pk),
            "phone": "13600000001",
            "address_string": "东关社区",
            "media_url": f"{server}/photo.png",
        },
    )
    assert response.status_code == 201, response.content
    photo = OrderPhoto.objects.get()
    assert photo.width == 40 and photo.uploaded_by == key.key.user
    rid = response.json()[0]["service_request_id"]
    own = client.get(f"/open311/v2/requests/{rid}.json", {"api_key": key.raw}).json()[0]
    assert own["media_url"] == f"{server}/photo.png"


@pytest.mark.parametrize("path", ["/to-private", "/to-metadata"])
def test_redirects_to_private_addresses_are_refused(server, path):
    with pytest.raises(ValidationError, match="内网"):
        media.fetch_bytes(server + path)


def test_size_limit(server, monkeypatch):
    monkeypatch.setattr(media, "MAX_BYTES", 1000)
    with pytest.raises(ValidationError, match="过大"):
        media.fetch_bytes(server + "/big")


def test_time_limit(server, monkeypatch):
    monkeypatch.setattr(media, "TIMEOUT", 0.5)
    started = time.monotonic()
    with pytest.raises(ValidationError):
        media.fetch_bytes(server + "/slow")
    assert time.monotonic() - started < 1.4


def test_not_an_image(server):
    with pytest.raises(ValidationError):
        media.fetch_image(server + "/big")
