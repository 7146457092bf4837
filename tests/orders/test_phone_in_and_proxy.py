"""Phone-in orders (a caller without an account registered on the spot, the call
recorded, the order placed, in one idempotent step), claiming such an account, and
family proxies who may order, nudge and rate for an elder — and nothing more."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.models import FamilyProxy, ResidentProfile, Role, RoleName, User
from apps.accounts.phone_in import family_proxy_link, family_proxy_unlink, normalize_landline
from apps.accounts.services import user_register_resident
from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.orders import services
from apps.orders.models import OrderStatus, PhoneCall, ServiceOrder
from apps.orders.services.workflow import order_visible_to
from tests.factories import UserFactory

from .conftest import window

pytestmark = pytest.mark.django_db


def phone(cast: Any, tree: Any, m: Any, actor: Any = None, **over: Any) -> tuple[Any, bool]:
    start, end = window()
    kwargs: dict[str, Any] = {
        "actor": actor or cast.village1,
        "idempotency_key": "call-1",
        "called_at": timezone.now() - dt.timedelta(minutes=3),
        "request": "腿脚不便，想请人帮忙打扫卫生。",
        "site": tree.village1,
        "service": m.village1,
        "preferred_start": start,
        "preferred_end": end,
        "address": "东关社区 7 号楼 1 单元",
        "caller_name": "刘大爷",
        "caller_landline": "0311 12345678",
    }
    kwargs.update(over)
    return services.phone_order_place(**kwargs)


def test_caller_without_account_is_registered_and_the_order_placed(
    cast: Any, tree: Any, m: Any
) -> None:
    order, created = phone(cast, tree, m)
    assert created and order.status == OrderStatus.SUBMITTED
    caller = order.resident
    assert caller.real_name == "刘大爷" and caller.mobile is None
    assert not caller.has_usable_password()  # nobody signs in as them until they claim
    assert Role.objects.filter(user=caller, site=tree.village1, role=RoleName.RESIDENT).exists()
    profile = ResidentProfile.objects.get(user=caller)
    assert profile.registered_by == cast.village1 and profile.registered_by_staff
    assert profile.landline == "0311-12345678" and profile.address == "东关社区 7 号楼 1 单元"
    assert order.contact_mobile == "0311-12345678" and order.placed_by == cast.village1
    call = PhoneCall.objects.get()
    assert (call.caller, call.order, call.taken_by) == (caller, order, cast.village1)
    assert call.request.startswith("腿脚不便")


def test_the_same_form_twice_places_one_order_and_registers_one_caller(
    cast: Any, tree: Any, m: Any
) -> None:
    first, _ = phone(cast, tree, m)
    again, created = phone(cast, tree, m)
    assert again.pk == first.pk and not created
    assert (ServiceOrder.objects.count(), PhoneCall.objects.count()) == (1, 1)
    assert User.objects.filter(real_name="刘大爷").count() == 1


def test_an_invalid_order_registers_nobody(cast: Any, tree: Any, m: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        phone(cast, tree, m, address="")
    assert "address" in exc.value.message_dict
    assert not User.objects.filter(real_name="刘大爷").exists()
    assert not PhoneCall.objects.exists()


def test_a_known_mobile_finds_the_existing_resident(cast: Any, tree: Any, m: Any) -> None:
    order, _ = phone(cast, tree, m, caller_name="张三", caller_mobile="136 0000 0001")
    assert order.resident == cast.res1
    assert not ResidentProfile.objects.filter(registered_by__isnull=False).exists()


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"caller_landline": "", "caller_mobile": ""}, "mobile"),
        ({"caller_landline": "12345"}, "landline"),
        ({"called_at": None}, "called_at"),
        ({"called_at": timezone.now() + dt.timedelta(hours=2)}, "called_at"),
        ({"request": " "}, "request"),
        ({"caller_name": ""}, "real_name"),
    ],
)
def test_call_fields_are_checked(cast: Any, tree: Any, m: Any, over: Any, field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        phone(cast, tree, m, **over)
    assert field in exc.value.message_dict


def test_not_yours_and_not_staff(cast: Any, tree: Any, m: Any) -> None:
    with pytest.raises(NotFoundError):
        phone(cast, tree, m, actor=cast.town2)  # another township's point
    with pytest.raises(PermissionDeniedError):
        phone(cast, tree, m, actor=cast.res1)
    assert not ServiceOrder.objects.exists()


def test_nobody_takes_over_a_phone_in_account_by_knowing_its_mobile(
    cast: Any, tree: Any, m: Any
) -> None:
    order, _ = phone(cast, tree, m, caller_mobile="13500001111", caller_landline="")
    with pytest.raises(ValidationError) as exc:
        user_register_resident(
            username="liudaye", password="Qinghe-2026!", mobile="13500001111", site=tree.village1
        )
    assert "实践站代为登记" in exc.value.message_dict["mobile"][0]
    caller = User.objects.get(pk=order.resident_id)
    assert not caller.has_usable_password() and caller.username != "liudaye"
    assert ResidentProfile.objects.get(user=caller).claimed_at is None


def test_landline_normalisation() -> None:
    assert normalize_landline("031112345678") == "0311-12345678"
    assert normalize_landline("010 87654321") == "010-87654321"
    with pytest.raises(ValidationError):
        normalize_landline("13600000001")


def test_phone_in_page_places_the_order(login_as: Any, cast: Any, tree: Any, m: Any) -> None:
    client = login_as(cast.village1)
    page = client.get("/orders/phone/")
    assert page.status_code == 200 and "来电诉求" in page.content.decode()
    start, end = window()
    data = {
        "called_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "request": "想请人帮忙买药",
        "caller_name": "王奶奶",
        "caller_landline": "0311-7654321",
        "site": tree.village1.pk,
        "address": "东关社区 9 号楼",
        "service": m.village1.pk,
        "preferred_start": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
        "preferred_end": timezone.localtime(end).strftime("%Y-%m-%dT%H:%M"),
        "token": "tok-1",
    }
    response = client.post("/orders/phone/", data)
    order = ServiceOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    assert order.resident.real_name == "王奶奶"
    client.post("/orders/phone/", data)  # a double tap
    assert ServiceOrder.objects.count() == 1
    assert login_as(cast.res1).get("/orders/phone/").status_code == 404


# --- family proxies ------------------------------------------------------------------------
@pytest.fixture
def son(cast: Any) -> User:
    son = UserFactory(username="son", mobile="13800000077", real_name="刘小明")
    family_proxy_link(
        actor=cast.village1, elder=cast.res1, proxy_mobile="13800000077", relation="儿子"
    )
    return son


def test_linking_is_staff_in_scope_and_idempotent(cast: Any, son: User) -> None:
    again = family_proxy_link(actor=cast.town1, elder=cast.res1, proxy_mobile=son.mobile or "")
    assert FamilyProxy.objects.count() == 1 and again.relation == "儿子"
    with pytest.raises(NotFoundError):
        family_proxy_link(actor=cast.town2, elder=cast.res1, proxy_mobile=son.mobile or "")
    with pytest.raises(ValidationError):
        family_proxy_link(actor=cast.village1, elder=cast.res1, proxy_mobile="13811112222")
    with pytest.raises(ValidationError):
        family_proxy_link(actor=cast.village1, elder=cast.res1, proxy_mobile="13600000001")


def test_proxy_orders_nudges_and_rates_for_the_elder(
    cast: Any, v: Any, m: Any, son: User, flow: Any
) -> None:
    start, end = window()
    order, _ = services.order_place(
        actor=son,
        resident=cast.res1,
        service=m.village1,
        address="东关社区 3 号楼",
        contact_mobile="13600000001",
        preferred_start=start,
        preferred_end=end,
    )
    assert (order.resident, order.placed_by, order.site_id) == (
        cast.res1,
        son,
        cast.res1.roles.get().site_id,
    )
    # An order the elder placed themselves: the son sees it, nudges and rates it.
    own = flow("completed")
    assert order_visible_to(own, son)
    services.order_rate(order_id=own.pk, actor=son, score=5, comment="谢谢")
    own.refresh_from_db()
    assert own.status == OrderStatus.RATED
    ServiceOrder.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    services.order_nudge(order_id=order.pk, actor=son)
    order.refresh_from_db()
    assert order.nudge_count == 1


def test_proxy_may_not_dispute_or_act_for_others(
    cast: Any, v: Any, m: Any, son: User, flow: Any
) -> None:
    own = flow("completed")
    with pytest.raises(PermissionDeniedError):
        services.order_dispute(order_id=own.pk, actor=son, text="不满意")
    # Not linked to res9: ordering for them is refused, their orders stay hidden.
    start, end = window()
    with pytest.raises(ValidationError):
        services.order_place(
            actor=son,
            resident=cast.res9,
            service=m.village2,
            address="x",
            contact_mobile="13600000009",
            preferred_start=start,
            preferred_end=end,
        )


def test_unlinking_ends_the_rights(cast: Any, son: User, flow: Any) -> None:
    own = flow("completed")
    link = FamilyProxy.objects.get()
    with pytest.raises(NotFoundError):
        family_proxy_unlink(actor=cast.town2, link_id=link.pk)
    family_proxy_unlink(actor=son, link_id=link.pk)
    assert not order_visible_to(own, son)
    with pytest.raises(NotFoundError):
        services.order_rate(order_id=own.pk, actor=son, score=5)
