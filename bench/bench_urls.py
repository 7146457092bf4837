"""The HTTP benchmark's URLconf: two comparison views, then the product's URLs.

* ``/bench/lean-orders/?page_size=50`` — the rows ``GET /api/v1/orders/`` returns on its
  first page (same visibility, same order), as ``.values()`` + ``JsonResponse``: no
  serializer, no permission classes, no count (P2, P3).
* ``/bench/hello/`` — a constant JSON body: what the server and middleware cost alone.

Registered only here (``bench_settings``), never in the product's URLconf.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

from apps.orders.selectors import order_list
from practice_portal.urls import handler404  # noqa: F401
from practice_portal.urls import urlpatterns as product_urlpatterns

LEAN_FIELDS = (
    "id",
    "status",
    "created_at",
    "preferred_start",
    "preferred_end",
    "address",
    "site_id",
    "site__name",
    "handling_site_id",
    "handling_site__name",
    "service_id",
    "service__title",
    "service__category",
    "resident_id",
    "resident__real_name",
    "score",
)


def lean_orders(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"code": "not_authenticated"}, status=401)
    size = min(int(request.GET.get("page_size", 50)), 200)
    rows = list(order_list(fetched_by=request.user).values(*LEAN_FIELDS)[:size])
    return JsonResponse({"results": rows})


def hello(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"hello": "world"})


urlpatterns = [
    path("bench/lean-orders/", lean_orders),
    path("bench/hello/", hello),
    *product_urlpatterns,
]
