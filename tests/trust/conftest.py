"""The order fixtures (``v``, ``m``, ``flow``) for the trust suite."""

from tests.orders.conftest import flow, m, v  # noqa: F401
