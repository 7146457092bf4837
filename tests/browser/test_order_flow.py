"""Browser: the whole order workflow on real pages, on a 360 px phone.

res1 orders from the menu, village1 dispatches vol1 from the dispatch board with one
click (and the board picks up a new order by itself, without a reload), vol1 accepts,
checks in and checks out with a photo, res1 rates, town1 assesses. Playwright's sync
API drives the system Chromium against pytest-django's live server; screenshots go to
test-artifacts/ (gitignored).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from apps.orders import services, views
from apps.orders.models import OrderAssignment, OrderPhoto, ServiceOrder
from tests.browser.conftest import ARTIFACTS
from tests.factories import PASSWORD
from tests.orders.conftest import Menu, Vols, m, v  # noqa: F401 - fixtures
from tests.orders.factories import make_due, served_for

pytestmark = pytest.mark.browser


class Phones:
    """One signed-in 360 px phone per person."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser, self.base, self.contexts = browser, base, []
        self.errors: list[str] = []

    def sign_in(self, username: str) -> Any:
        context = self.browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda exc: self.errors.append(f"{username}: {exc}"))
        page.goto(f"{self.base}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_url(f"{self.base}/")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def phones(browser: Any, live_server: Any) -> Iterator[Phones]:
    p = Phones(browser, live_server.url)
    try:
        yield p
    finally:
        p.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360 px phone"


def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "服务照片.jpg"
    img = Image.new("RGB", (1200, 900), (30, 110, 60))
    exif = Image.Exif()
    exif[0x010F] = "PhoneCam"
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    path.write_bytes(buf.getvalue())
    return path


def test_order_flow_on_phones(
    live_server,
    phones,
    cast,
    v: Vols,  # noqa: F811 - the imported fixture
    m: Menu,  # noqa: F811
    settings,
    tmp_path,
    monkeypatch,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(views, "BOARD_REFRESH_SECONDS", 2)  # the board polls every 2 s here
    base = live_server.url

    # 1. res1 orders 助老上门服务 from the menu of their point.
    res1 = phones.sign_in("res1")
    res1.click("nav.mainnav summary")  # on a phone the links sit behind the menu button
    res1.click("nav.mainnav .navmenu-list a:has-text('服务菜单')")
    res1.wait_for_selector("h1:has-text('服务菜单')")
    no_sideways_scroll(res1)
    shot(res1, "order-menu-360")
    res1.click(f"a[href^='/orders/new/?service={m.village1.pk}&']")
    start = timezone.localtime() + dt.timedelta(days=2)
    res1.fill("#id_address", "东关社区 5 号楼 3 单元 201")
    res1.fill("#id_preferred_start", start.strftime("%Y-%m-%dT09:00"))
    res1.fill("#id_preferred_end", start.strftime("%Y-%m-%dT11:00"))
    res1.fill("#id_note", "老人腿脚不便，请上门打扫卫生。")
    no_sideways_scroll(res1)
    shot(res1, "order-form-360")
    res1.click("form.form button[type=submit]")
    res1.wait_for_selector("text=点单成功")
    order = ServiceOrder.objects.get()
    assert (order.resident, order.status, order.service) == (cast.res1, "submitted", m.village1)

    # 2. village1's board shows it; one click dispatches the suggested volunteer.
    staff = phones.sign_in("village1")
    staff.goto(f"{base}/orders/board/")
    card = staff.locator(f"#order-{order.pk}")
    card.wait_for()
    assert "东关社区 5 号楼" in card.inner_text()
    staff.evaluate("window.__stillHere = true")
    # A new order placed meanwhile appears by itself, without a reload.
    s2 = timezone.now() + dt.timedelta(days=3)
    other, _ = services.order_place(
        actor=cast.res1,
        service=m.town1,
        address="东关 9 号",
        contact_mobile="13600000001",
        preferred_start=s2,
        preferred_end=s2 + dt.timedelta(hours=1),
    )
    staff.wait_for_selector(f"#order-{other.pk}", timeout=10_000)
    assert staff.evaluate("window.__stillHere") is True
    assert "更新于" in staff.inner_text("#board-updated")
    no_sideways_scroll(staff)
    shot(staff, "dispatch-board-360")
    card.locator("button:has-text('派给 张丽')").click()
    staff.wait_for_selector("text=已派单")
    order.refresh_from_db()
    assert order.status == "dispatched"
    assert OrderAssignment.objects.get(order=order).volunteer == v.vol1

    # 3. vol1 accepts, checks in, checks out with a photo.
    vol = phones.sign_in("vol1")
    vol.goto(f"{base}/orders/tasks/")
    vol.click("button:has-text('接单')")
    vol.wait_for_selector("text=已接单，请按约定时间前往服务")
    vol.wait_for_load_state("networkidle")
    make_due(order.pk)  # check-in opens an hour before the booked slot
    vol.reload()
    vol.click("button:has-text('签到，开始服务')")
    vol.wait_for_selector("text=已签到")
    vol.wait_for_load_state("networkidle")  # SQLite: the server's request is finished
    served_for(order.pk, hours=2)  # reported hours may not exceed the time checked in
    shot(vol, "my-tasks-360")
    vol.click("a:has-text('签退，完成服务')")
    vol.fill("#id_hours", "2")
    vol.fill("#id_summary", "打扫房间、整理衣物，陪老人聊天一小时。")
    vol.set_input_files("#id_photos", str(photo_file(tmp_path)))
    no_sideways_scroll(vol)
    vol.click("form.form button[type=submit]")
    vol.wait_for_selector("text=服务完成")
    order.refresh_from_db()
    assert order.status == "completed"
    photo = OrderPhoto.objects.get(order=order)
    with Image.open(photo.image.path) as stored:
        assert not stored.getexif()

    # 4. res1 sees the timeline and rates.
    res1.goto(f"{base}/orders/mine/")
    res1.wait_for_selector(f"a[href='/orders/{order.pk}/rate/']")
    timeline = res1.inner_text("main")
    for text in ("派给：张丽", "张丽 接单", "张丽 签到", "张丽 签退"):
        assert text in timeline
    no_sideways_scroll(res1)
    shot(res1, "my-orders-timeline-360")
    res1.click(f"a[href='/orders/{order.pk}/rate/']")
    res1.check("input[name=score][value='5']")
    res1.fill("#id_comment", "小张非常细心，谢谢！")
    res1.click("form.form button[type=submit]")
    res1.wait_for_selector("text=感谢您的评价")
    shot(res1, "order-detail-rated-360")
    order.refresh_from_db()
    assert (order.status, order.score) == ("rated", 5)

    # 5. town1 assesses from the queue and confirms 1.5 hours of service time.
    town = phones.sign_in("town1")
    town.goto(f"{base}/orders/assessment/")
    town.click(f"a[href^='/orders/{order.pk}/assess/']")
    town.check("input[name=approved][value='yes']")
    town.fill(f"#id_hours_{v.vol1.pk}", "1.5")
    town.fill("#id_comment", "情况属实。")
    shot(town, "assess-form-360")
    town.click("form.form button[type=submit]")
    town.wait_for_selector("text=考核完成")
    assert town.url == f"{base}/orders/assessment/"  # back to the queue for the next one
    order.refresh_from_db()
    assert order.status == "assessed" and order.assessed_at
    assert str(OrderAssignment.objects.get(order=order).confirmed_hours) == "1.5"
    assert [e.action for e in order.events.order_by("created_at", "pk")] == [
        "place",
        "dispatch",
        "accept",
        "start",
        "complete",
        "rate",
        "assess",
    ]
    assert phones.errors == []
