"""The order fixtures (tests/orders/conftest.py: ``v`` volunteers, ``m`` menu, ``flow``
an order of res1's at village1 in any state) for the national records export."""

from tests.orders.conftest import flow, m, v  # noqa: F401 - re-exported fixtures
