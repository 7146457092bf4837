"""Browser: the activity pages each role reaches, on a 360 px phone, in standard,
large-text (长辈模式) and English modes — no serious or critical axe violation, nothing
overflows sideways, the title on the first screen (the same checks as
test_accessibility.py) — and the check-in flow driven through the pages."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from apps.activities import services
from apps.activities.models import Activity, Signup
from tests.activities.conftest import make_activity
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import AXE, LAYOUT, MODES, RUN_AXE, VIEWPORT, session_cookie
from tests.orders.factories import VolunteerFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def _running(cast: Any, tree: Any) -> Activity:
    activity = make_activity(
        cast.village1,
        tree.village1,
        title="东关社区环境整治（长标题测试：清理楼道堆物与绿化带垃圾）",
        latitude="39.900000",
        longitude="116.400000",
        residents_allowed=True,
        resident_limit=20,
    )
    services.signup_create(actor=cast.vol1, activity_id=activity.pk)
    start = timezone.now() - dt.timedelta(minutes=10)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=2), signup_deadline=start
    )
    return activity


@pytest.mark.django_db(transaction=True)
def test_activity_pages_pass_axe_in_every_mode_at_360px(
    live_server: Any, browser: Any, cast: Any, tree: Any
) -> None:
    VolunteerFactory(user=cast.vol1, site=tree.village1, real_name="张丽")
    services.theme_set(
        actor=cast.county,
        year=timezone.localdate().year,
        month=timezone.localdate().month,
        title="温暖冬日",
    )
    running = _running(cast, tree)
    upcoming = make_activity(
        cast.village1, tree.village1, title="重阳敬老茶话会", needs_approval=True
    )
    roles = {
        "volunteer": (
            cast.vol1,
            [
                "/activities/",
                f"/activities/{upcoming.pk}/",
                "/activities/mine/",
                "/activities/calendar/",
                f"/activities/{running.pk}/scan/in/",
            ],
        ),
        "resident": (cast.res1, ["/activities/", f"/activities/{running.pk}/"]),
        "village": (
            cast.village1,
            [
                "/activities/new/",
                f"/activities/{running.pk}/",
                f"/activities/{running.pk}/qr/in/",
                f"/activities/{running.pk}/attendance/",
                f"/activities/{running.pk}/edit/",
            ],
        ),
        "county": (cast.county, ["/activities/themes/"]),
    }
    axe_source = AXE.read_text(encoding="utf-8")
    out = ARTIFACTS / "a11y"
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for role, (user, paths) in roles.items():
        for mode, cookies in MODES.items():
            context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
            context.add_cookies(
                [session_cookie(user, live_server.url)]
                + [{"name": k, "value": val, "url": live_server.url} for k, val in cookies.items()]
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            for path in paths:
                page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state("networkidle")
                page.add_script_tag(content=axe_source)
                violations = page.evaluate(RUN_AXE)
                layout = page.evaluate(LAYOUT)
                name = f"activities-{role}-{mode}-{path.strip('/').replace('/', '_')}"
                page.screenshot(path=str(out / f"{name}.png"), full_page=False)
                where = f"{role} {mode} {path}"
                if violations:
                    problems.append(f"{where}: {json.dumps(violations, ensure_ascii=False)}")
                if layout["scrollWidth"] > layout["width"]:
                    problems.append(f"{where}: overflows sideways ({layout['scrollWidth']} px)")
                if layout["h1Top"] is None or layout["h1Top"] > VIEWPORT["height"] - 60:
                    problems.append(f"{where}: title not on the first screen ({layout['h1Top']})")
            context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.django_db(transaction=True)
def test_check_in_by_the_code_on_the_staff_screen(
    live_server: Any, browser: Any, cast: Any, tree: Any
) -> None:
    VolunteerFactory(user=cast.vol1, site=tree.village1, real_name="张丽")
    running = _running(cast, tree)
    staff = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    staff.add_cookies([session_cookie(cast.village1, live_server.url)])
    screen = staff.new_page()
    screen.goto(f"{live_server.url}/activities/{running.pk}/qr/in/")
    image = screen.locator("#checkin-qr")
    assert image.get_attribute("src").startswith("data:image/png;base64,")
    address = image.get_attribute("data-url")
    # What the screen's script fetches every 30 seconds: the next code, for this screen.
    fetched = screen.evaluate(
        "fetch(document.getElementById('checkin-qr').dataset.source).then(r => r.json())"
    )
    assert fetched["png"].startswith("data:image/png;base64,") and fetched["kind"] == "in"
    # The volunteer's phone opens the code's address, signs in, confirms.
    phone = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = phone.new_page()
    page.goto(address)
    assert "/accounts/login/" in page.url
    phone.add_cookies([session_cookie(cast.vol1, live_server.url)])
    page.goto(f"{live_server.url}/activities/{running.pk}/scan/in/")
    assert page.locator("#do-scan").count() == 0  # the scan belonged to the anonymous session
    page.goto(address)
    page.click("#do-scan")
    page.wait_for_selector("#scan-done")
    assert Signup.objects.get(activity=running).checked_in_at is not None
    staff.close()
    phone.close()


def _decode_qr(page: Any, selector: str) -> str:
    """Read the code the way a phone camera would: decode the picture on the screen
    (zxing-cpp, an independent QR reader), not the address the page also carries."""
    import base64
    import io

    import zxingcpp
    from PIL import Image

    src = page.locator(selector).get_attribute("src")
    assert src and src.startswith("data:image/png;base64,")
    picture = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    found = zxingcpp.read_barcodes(picture)
    assert len(found) == 1, f"one QR code on the screen, found {len(found)}"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(found[0].text)


@pytest.mark.django_db(transaction=True)
def test_publish_sign_up_check_in_and_out_by_the_code_confirm_and_settle(
    live_server: Any, browser: Any, cast: Any, tree: Any
) -> None:
    """The whole run of an activity through the pages: the station publishes it, a
    volunteer signs up, checks in and out by scanning the codes on the staff screen,
    the station confirms the attendance, and the night's settlement credits the hours."""
    from apps.points.models import LedgerTransaction
    from apps.points.settlement import settle
    from apps.volunteers.models import ServiceRecord

    volunteer = VolunteerFactory(user=cast.vol1, site=tree.village1, real_name="张丽")
    staff = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    staff.add_cookies([session_cookie(cast.village1, live_server.url)])
    desk = staff.new_page()
    desk.set_default_timeout(15_000)
    desk.on("dialog", lambda dialog: dialog.accept())

    # 1. The station drafts and publishes the activity.
    local = timezone.localtime(timezone.now() + dt.timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    desk.goto(f"{live_server.url}/activities/new/")
    desk.fill("#id_title", "冬季楼道清扫")
    desk.select_option("#id_category", index=1)
    desk.fill("#id_address", "东关社区3号楼")
    desk.fill("#id_starts_at", local.strftime("%Y-%m-%dT%H:%M"))
    desk.fill("#id_ends_at", (local + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    desk.fill("#id_role1_name", "清扫")
    desk.fill("#id_role1_slots", "5")
    desk.select_option("#id_points_mode", "per_hour")
    desk.fill("#id_points_per_hour", "10")
    desk.click("button[type=submit]:has-text('保存')")
    desk.wait_for_selector("#do-publish")
    activity = Activity.objects.get(title="冬季楼道清扫")
    assert activity.status == "draft"
    desk.click("#do-publish")
    desk.wait_for_load_state("networkidle")
    activity.refresh_from_db()
    assert activity.status == "published"

    # 2. The volunteer signs up on the phone.
    phone = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    phone.add_cookies([session_cookie(cast.vol1, live_server.url)])
    mobile = phone.new_page()
    mobile.set_default_timeout(15_000)
    mobile.goto(f"{live_server.url}/activities/{activity.pk}/")
    mobile.click("#do-signup")
    mobile.wait_for_selector("#my-signup")
    signup = Signup.objects.get(activity=activity, volunteer=volunteer)
    assert signup.status == "confirmed"

    # 3. The day comes: the activity began 2 hours ago and runs 3 hours.
    start = timezone.now() - dt.timedelta(hours=2)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=3), signup_deadline=start
    )
    desk.goto(f"{live_server.url}/activities/{activity.pk}/qr/in/")
    address = _decode_qr(desk, "#checkin-qr")
    assert address.startswith(live_server.url) and f"/activities/{activity.pk}/scan/in/" in address
    mobile.goto(address)
    mobile.click("#do-scan")
    mobile.wait_for_selector("#scan-done")
    signup.refresh_from_db()
    assert signup.checked_in_at is not None and signup.checked_out_at is None

    # 4. 80 minutes of work later (the clock moved by the test), the check-out code:
    # a started half hour counts, so 1.5 hours.
    Signup.objects.filter(pk=signup.pk).update(
        checked_in_at=signup.checked_in_at - dt.timedelta(minutes=80)
    )
    desk.goto(f"{live_server.url}/activities/{activity.pk}/qr/out/")
    out_address = _decode_qr(desk, "#checkin-qr")
    assert f"/activities/{activity.pk}/scan/out/" in out_address and out_address != address
    mobile.goto(out_address)
    mobile.click("#do-scan")
    mobile.wait_for_selector("#scan-done")
    assert "1.5" in mobile.inner_text("#scan-done")

    # 5. The station ends the activity and confirms the attendance.
    desk.goto(f"{live_server.url}/activities/{activity.pk}/")
    desk.click("button:has-text('结束活动')")
    desk.wait_for_load_state("networkidle")
    desk.goto(f"{live_server.url}/activities/{activity.pk}/attendance/")
    desk.click("#do-confirm")
    desk.wait_for_load_state("networkidle")
    signup.refresh_from_db()
    assert (signup.attendance, signup.confirmed_hours, signup.points) == (
        "confirmed",
        Decimal("1.5"),
        15,
    )
    desk.screenshot(path=str(ARTIFACTS / "a11y" / "activities-flow-attendance.png"))

    # 6. The night's settlement credits the hours once; the volunteer sees them.
    run = settle(timezone.localdate())
    assert run.status == "succeeded"
    txn = LedgerTransaction.objects.get(source_key=f"activity:{activity.pk}:signup:{signup.pk}")
    assert (txn.amount, txn.hours) == (15, Decimal("1.5"))
    assert ServiceRecord.objects.filter(volunteer=volunteer, hours=Decimal("1.5")).count() == 1
    mobile.goto(f"{live_server.url}/volunteers/me/")
    assert "冬季楼道清扫" in mobile.inner_text("main")
    mobile.screenshot(path=str(ARTIFACTS / "a11y" / "activities-flow-volunteer-record.png"))
    staff.close()
    phone.close()
