"""Fixtures for the notifications suite, on top of the named cast (tests/conftest.py)
and the order fixtures (tests/orders/conftest.py: ``v`` volunteers, ``m`` menu,
``flow`` an order of res1's at village1 in any state).

``with_email(*users)`` gives users an address so their notifications go out by e-mail;
``free_port()`` a TCP port on 127.0.0.1 nobody listens on (yet).
"""

from __future__ import annotations

import socket
from typing import Any

from tests.orders.conftest import flow, m, v  # noqa: F401 - re-exported fixtures


def with_email(*users: Any) -> None:
    for user in users:
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
