"""Fetching an integrator's ``media_url``: a photo somewhere on the internet, taken in
and cleaned like any upload (``apps.core.uploads.clean_image``).

The URL comes from outside, so the fetch must not become a way into our own network
(SSRF): only http/https on the usual ports, the host resolved here and every address
it resolves to checked to be a public one (no loopback, private, link-local, shared,
multicast or reserved range), the connection made to that checked address (a second
DNS answer cannot swap in another), redirects followed at most ``MAX_REDIRECTS``
times and each target checked the same way, at most ``MAX_BYTES`` read, and the whole
fetch bounded by ``TIMEOUT`` seconds.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from urllib.parse import urljoin, urlsplit

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext

from apps.core.uploads import MAX_IMAGE_BYTES, CleanImage, clean_image

MAX_BYTES = MAX_IMAGE_BYTES
TIMEOUT = 10.0  # seconds for the whole fetch, redirects included
MAX_REDIRECTS = 3
MAX_URL_LENGTH = 500
PORTS = {"http": 80, "https": 443}


class MediaError(ValidationError):
    pass


def _refuse(message: str) -> MediaError:
    return MediaError({"media_url": [message]}, code="media_url")


def address_allowed(address: str) -> bool:
    """A public unicast address: nothing of ours, nothing of the provider's."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback)


def resolve(host: str, port: int) -> str:
    """The first address of ``host``, after checking that every one is allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise _refuse(gettext("media_url 的主机名无法解析。")) from None
    addresses = [info[4][0] for info in infos]
    if not addresses or not all(address_allowed(str(a)) for a in addresses):
        raise _refuse(gettext("media_url 不能指向内网或本机地址。"))
    return str(addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked ``address`` while speaking to ``host``."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an acceptable URL."""
    if not url or len(url) > MAX_URL_LENGTH or any(ord(c) < 33 for c in url):
        raise _refuse(gettext("media_url 不是有效的网址。"))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse(gettext("media_url 不是有效的网址。")) from None
    if parts.scheme not in PORTS or not parts.hostname or parts.username or parts.password:
        raise _refuse(gettext("media_url 只能是 http 或 https 网址。"))
    if port not in (None, PORTS[parts.scheme]):
        raise _refuse(gettext("media_url 只能使用标准端口。"))
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, parts.hostname, port or PORTS[parts.scheme], path


def fetch_bytes(url: str) -> bytes:
    deadline = time.monotonic() + TIMEOUT
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, path = check_url(url)
        address = resolve(host, port)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _refuse(gettext("获取 media_url 超时。"))
        cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        conn = cls(host, port, address, timeout=remaining)
        try:
            conn.request("GET", path, headers={"User-Agent": "practice-portal-open311/1"})
            response = conn.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location") or ""
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise _refuse(
                    gettext("获取 media_url 失败（HTTP %(s)s）。") % {"s": response.status}
                )
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > MAX_BYTES:
                raise _refuse(gettext("media_url 的文件过大。"))
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() > deadline:
                    raise _refuse(gettext("获取 media_url 超时。"))
                chunk = response.read(64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_BYTES:
                    raise _refuse(gettext("media_url 的文件过大。"))
                chunks.append(chunk)
            return b"".join(chunks)
        except (OSError, http.client.HTTPException, ssl.SSLError):
            raise _refuse(gettext("无法获取 media_url。")) from None
        finally:
            conn.close()
    raise _refuse(gettext("media_url 重定向次数过多。"))


def fetch_image(url: str) -> CleanImage:
    """The image at ``url``, fetched under the limits above and re-encoded."""
    data = fetch_bytes(url)
    upload = SimpleUploadedFile("media", data)
    try:
        return clean_image(upload)
    except ValidationError as exc:
        raise MediaError({"media_url": exc.messages}, code="media_url") from None
