"""Browser: the activity pages each role reaches, on a 360 px phone, in standard,
large-text (长辈模式) and English modes — no serious or critical axe violation, nothing
overflows sideways, the title on the first screen (the same checks as
test_accessibility.py) — and the check-in flow driven through the pages."""

from __future__ import annotations

import datetime as dt
import json
import os
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
