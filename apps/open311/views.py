"""The GeoReport v2 endpoints under /open311/v2/: thin — parse, call a selector or the
service, render in the format the path asks for (``.xml`` or ``.json``).

Reads of the menu, of requests and of tokens are open, as the spec has them (a
request's personal data only to the integrator that placed it, apps.open311.selectors);
``POST requests`` needs an ``api_key``. Any call that presents a key is checked,
rate-limited per key and logged (apps.open311.keys). Whatever the input, the answer
is a body in the spec's shape with a 2xx, 400, 403, 404, 405 or 429, never a 5xx.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from apps.core.errors import DomainError
from apps.core.params import MAX_ID, has_control_characters
from apps.sites.models import Site

from . import keys, selectors
from .models import ApiKey, Open311Request
from .render import error, respond
from .services import MAX_DESCRIPTION, NewRequest, open311_request_create

MAX_VALUE = 4000  # characters of any one parameter (a description is the longest)
MAX_IDS = 200  # service_request_id=1,2,… in one call
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_PAGE = 1000
MAX_SPAN = dt.timedelta(days=90)  # the spec's longest start_date … end_date
CHANGESET = "2026-12-03T00:00:00+08:00"


class BadRequest(Exception):
    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.status = status


def _param(data: QueryDict, name: str, limit: int = 200) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):  # pragma: no cover - QueryDict holds text
        value = ""
    if len(value) > limit:
        raise BadRequest(gettext("参数 %(name)s 过长。") % {"name": name})
    if has_control_characters(value):
        raise BadRequest(gettext("参数 %(name)s 含有控制字符。") % {"name": name})
    return value.strip()


def _id_list(raw: str, name: str) -> list[int]:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > MAX_IDS:
        raise BadRequest(gettext("%(name)s 一次最多 %(n)s 个。") % {"name": name, "n": MAX_IDS})
    ids = []
    for part in parts:
        if not re.fullmatch(r"[0-9]{1,19}", part) or not 1 <= int(part) <= MAX_ID:
            raise BadRequest(gettext("%(name)s 应为数字编号。") % {"name": name})
        ids.append(int(part))
    return ids


def _datetime(raw: str, name: str) -> dt.datetime | None:
    if not raw:
        return None
    try:
        moment = parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None or not 1900 <= moment.year <= 2100:
        raise BadRequest(
            gettext("%(name)s 应为 ISO 8601 时间，例如 2026-12-01T00:00:00+08:00。")
            % {"name": name}
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _jurisdiction(data: QueryDict) -> Site:
    code = _param(data, "jurisdiction_id", 20)
    if not code:
        site = selectors.default_jurisdiction()
        if site is None:
            raise BadRequest(gettext("请提供 jurisdiction_id（阵地编码）。"))
        return site
    site = selectors.site_by_code(code)
    if site is None:
        raise BadRequest(gettext("jurisdiction_id 不存在。"), 404)
    return site


def georeport(
    *methods: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The allowed methods, key check, rate limit, use log and the spec's errors around
    one endpoint."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                refused = error(fmt, 405, gettext("不支持的请求方法。"))
                refused["Allow"] = ", ".join(methods)
                return refused
            return _guarded(view, request, fmt, **kwargs)

        return wrapper

    return decorate


def _guarded(
    view: Callable[..., HttpResponse], request: HttpRequest, fmt: str, **kwargs: Any
) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    key: ApiKey | None = None
    try:
        raw = _param(data, "api_key") if "api_key" in data else ""
        wants_key = bool(raw) or request.method == "POST"
        key = keys.key_from(raw) if wants_key else None
        # Before refusing a wrong key: guessing keys is throttled per address too.
        allowed, wait = keys.allow(key, request)
        if not allowed:
            response = error(
                fmt,
                429,
                gettext("请求过于频繁，请 %(s)s 秒后再试。") % {"s": wait},
                {"Retry-After": str(wait)},
            )
            if key is not None:
                keys.log_use(key, request, 429)
            return response
        if wants_key and key is None:
            raise BadRequest(gettext("api_key 无效或已吊销。"), 403)
        response = view(request, fmt, key=key, **kwargs)
    except BadRequest as exc:
        response = error(fmt, exc.status, exc.description)
    except ValidationError as exc:
        response = error(fmt, 400, _describe(exc))
    except DomainError as exc:
        response = error(fmt, exc.status_code if exc.status_code < 500 else 400, exc.message)
    if key is not None:
        keys.log_use(key, request, response.status_code, getattr(response, "order_id", None))
    response["Cache-Control"] = "no-store"
    return response


def _describe(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


@georeport("GET", "HEAD")
def discovery(request: HttpRequest, fmt: str, key: ApiKey | None) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:root"))
    body = {
        "changeset": CHANGESET,
        "contact": gettext("县级新时代文明实践中心"),
        "key_service": gettext("接入密钥由县级管理员在平台上签发。"),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", body)


@georeport("GET", "HEAD")
def services(request: HttpRequest, fmt: str, key: ApiKey | None) -> HttpResponse:
    site = _jurisdiction(request.GET)
    return respond(fmt, "services", [selectors.service_row(i) for i in selectors.menu(site)])


@georeport("GET", "HEAD")
def service_definition(
    request: HttpRequest, fmt: str, key: ApiKey | None, code: str
) -> HttpResponse:
    site = _jurisdiction(request.GET)
    item = None
    if re.fullmatch(r"[0-9]{1,19}", code) and int(code) <= MAX_ID:
        item = selectors.menu(site).filter(pk=int(code)).first()
    if item is None:
        raise BadRequest(gettext("service_code 不存在。"), 404)
    return respond(fmt, "service_definition", selectors.definition(item))


@csrf_exempt
@georeport("GET", "HEAD", "POST")
def requests(request: HttpRequest, fmt: str, key: ApiKey | None) -> HttpResponse:
    if request.method == "POST":
        assert key is not None
        return _create(request, fmt, key)
    data = request.GET
    site = _jurisdiction(data)
    ids_raw = _param(data, "service_request_id", 4000)
    page_size = _int(
        _param(data, "page_size", 10) or str(DEFAULT_PAGE_SIZE), 1, MAX_PAGE_SIZE, "page_size"
    )
    page = _int(_param(data, "page", 10) or "1", 1, MAX_PAGE, "page")
    if ids_raw:
        qs = selectors.requests_for(site, ids=_id_list(ids_raw, "service_request_id"))
    else:
        statuses = [s.strip() for s in _param(data, "status", 50).split(",") if s.strip()]
        if any(s not in ("open", "closed") for s in statuses):
            raise BadRequest(gettext("status 只能是 open 或 closed。"))
        start, end = _span(
            _datetime(_param(data, "start_date", 40), "start_date"),
            _datetime(_param(data, "end_date", 40), "end_date"),
        )
        codes = _id_list(_param(data, "service_code", 4000), "service_code")
        qs = selectors.requests_for(
            site, service_codes=codes, statuses=statuses, start=start, end=end
        )
    offset = (page - 1) * page_size
    rows = [selectors.request_row(o, key) for o in qs[offset : offset + page_size]]
    return respond(fmt, "service_requests", rows)


def _span(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """The spec's date window: the last 90 days by default, at most 90 days."""
    if start is None:
        end = end or timezone.now()
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if end < start:
        raise BadRequest(gettext("end_date 不能早于 start_date。"))
    if end - start > MAX_SPAN:
        raise BadRequest(gettext("start_date 到 end_date 最长 90 天。"))
    return start, end


def _int(raw: str, low: int, high: int, name: str) -> int:
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not low <= int(raw) <= high:
        raise BadRequest(
            gettext("%(name)s 应在 %(low)s 到 %(high)s 之间。")
            % {"name": name, "low": low, "high": high}
        )
    return int(raw)


def _decimal(raw: str, name: str, bound: int) -> Decimal | None:
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not -bound <= value <= bound:
        raise BadRequest(gettext("%(name)s 不是有效的坐标。") % {"name": name})
    return value.quantize(Decimal("0.000001"))


def _create(request: HttpRequest, fmt: str, key: ApiKey) -> HttpResponse:
    data = request.POST
    site = _jurisdiction(data)
    if not site.is_within(key.site):
        raise BadRequest(gettext("该 api_key 无权在此 jurisdiction 点单。"), 403)
    code_raw = _param(data, "service_code", 20)
    code = int(code_raw) if re.fullmatch(r"[0-9]{1,18}", code_raw) else None
    if code_raw and code is None:
        raise BadRequest(gettext("service_code 不存在。"), 404)
    lat = _decimal(_param(data, "lat", 40), "lat", 90)
    long = _decimal(_param(data, "long", 40), "long", 180)
    if (lat is None) != (long is None):
        raise BadRequest(gettext("lat 和 long 需要同时提供。"))
    external_id = _param(data, "attribute[request_id]", 100) or _param(data, "request_id", 100)
    needed_raw = _param(data, "attribute[volunteers_needed]", 10)
    new = NewRequest(
        service_code=code,
        phone=_param(data, "phone", 40),
        first_name=_param(data, "first_name", 50),
        last_name=_param(data, "last_name", 50),
        address_string=_param(data, "address_string", 200),
        address_detail=_param(data, "attribute[address_detail]", 100),
        lat=lat,
        long=long,
        description=_param(data, "description", MAX_DESCRIPTION),
        media_url=_param(data, "media_url", 500),
        external_id=external_id,
        preferred_start=_datetime(
            _param(data, "attribute[preferred_start]", 40), "attribute[preferred_start]"
        ),
        preferred_end=_datetime(
            _param(data, "attribute[preferred_end]", 40), "attribute[preferred_end]"
        ),
        volunteers_needed=_int(needed_raw, 1, 10, "volunteers_needed") if needed_raw else None,
    )
    placed, created = open311_request_create(key=key, jurisdiction=site, new=new)
    body = [
        {
            "service_request_id": str(placed.order_id),
            "token": placed.token,
            "service_notice": gettext("已受理，由%(site)s办理。")
            % {"site": placed.order.handling_site.name},
            "account_id": "",
        }
    ]
    response = respond(fmt, "service_requests", body, 201 if created else 200)
    response.order_id = placed.order_id  # type: ignore[attr-defined]
    return response


@georeport("GET", "HEAD")
def request_detail(request: HttpRequest, fmt: str, key: ApiKey | None, rid: str) -> HttpResponse:
    if not re.fullmatch(r"[0-9]{1,19}", rid) or int(rid) > MAX_ID:
        raise BadRequest(gettext("service_request_id 不存在。"), 404)
    site = _jurisdiction(request.GET)
    order = selectors.requests_for(site, ids=[int(rid)]).first()
    if order is None:
        raise BadRequest(gettext("service_request_id 不存在。"), 404)
    return respond(fmt, "service_requests", [selectors.request_row(order, key)])


@georeport("GET", "HEAD")
def token_detail(request: HttpRequest, fmt: str, key: ApiKey | None, token: str) -> HttpResponse:
    placed = (
        Open311Request.objects.filter(token=token).only("order_id", "token").first()
        if re.fullmatch(r"[0-9a-f]{1,32}", token)
        else None
    )
    if placed is None:
        raise BadRequest(gettext("token 不存在。"), 404)
    return respond(
        fmt,
        "service_requests",
        [{"service_request_id": str(placed.order_id), "token": placed.token}],
    )


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /open311/: the spec's error, in XML unless .json was asked."""
    fmt = "json" if rest.endswith(".json") else "xml"
    return error(fmt, 404, gettext("没有这个接口。"))


def root(request: HttpRequest) -> HttpResponse:
    return error("xml", 404, gettext("请使用 discovery.xml 或 discovery.json。"))
