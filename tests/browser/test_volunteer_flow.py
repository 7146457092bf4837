"""Browser: a resident applies to volunteer on a phone, village staff approve the
application from the roster's 待审核 queue, and the resident sees 已通过 and a number.

Playwright's sync API drives the system Chromium against pytest-django's live server.
Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from apps.accounts.models import Role, RoleName
from apps.volunteers.models import Volunteer, VolunteerStatus, availability_bit
from tests.browser.conftest import ARTIFACTS

ID_NUMBER = "11010519800105123X"

pytestmark = pytest.mark.browser


def _page(browser: Any, width: int, height: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    return page


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{base}/")


def _scroll_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_apply_then_approve(live_server, tree, cast, demo_password, browser):
    base = live_server.url

    # 1. res1, on a 360 px phone, applies.
    phone = _page(browser, 360, 780)
    _login(phone, base, "res1", demo_password)
    phone.goto(f"{base}/volunteers/apply/")
    phone.fill("#id_real_name", "刘芳")
    phone.fill("#id_mobile", "138 1234 5678")
    phone.fill("#id_id_number", ID_NUMBER.lower())
    phone.select_option("#id_site", value=str(tree.village1.pk))
    phone.check("input[name=skills][value=health]")
    phone.check("input[name=availability][value='5-am']")
    phone.fill("#id_specialties", "护理")
    phone.fill("#id_emergency_contact_name", "刘父")
    phone.fill("#id_emergency_contact_phone", "13987654321")
    _shot(phone, "volunteer-apply-360")
    assert _scroll_width(phone) <= 360, f"apply form is {_scroll_width(phone)}px wide at 360px"
    phone.click("form.form button[type=submit]")
    phone.wait_for_url(f"{base}/volunteers/me/")
    assert "待审核" in phone.inner_text("main")
    volunteer = Volunteer.objects.get(user=cast.res1)
    assert volunteer.status == VolunteerStatus.PENDING
    assert volunteer.id_number == ID_NUMBER
    assert volunteer.skill_codes == ["health"]
    assert volunteer.availability == availability_bit(5, 0)
    _shot(phone, "volunteer-me-pending-360")

    # 2. village1 staff open the 待审核 queue and approve.
    desk = _page(browser, 1280, 900)
    _login(desk, base, "village1", demo_password)
    desk.goto(f"{base}/volunteers/roster/")
    desk.click("a.btn:has-text('待审核')")
    desk.wait_for_url(re.compile(r".*/volunteers/roster/\?status=pending$"))
    row = desk.locator("tr", has_text="刘芳")
    assert row.count() == 1
    assert "待审核" in row.inner_text()
    _shot(desk, "volunteer-roster-queue-1280")
    row.locator("button:has-text('通过')").click()
    desk.wait_for_load_state()
    assert desk.locator("tr", has_text="刘芳").count() == 0
    assert "没有待审核的申请" in desk.inner_text("main")
    volunteer.refresh_from_db()
    assert volunteer.status == VolunteerStatus.APPROVED
    assert volunteer.reviewed_by == cast.village1
    assert Role.objects.filter(user=cast.res1, site=tree.village1, role=RoleName.VOLUNTEER).exists()
    desk.goto(f"{base}/volunteers/roster/")
    _shot(desk, "volunteer-roster-1280")
    desk.set_viewport_size({"width": 360, "height": 780})
    desk.goto(f"{base}/volunteers/roster/")
    _shot(desk, "volunteer-roster-360")

    # 3. res1 reloads the profile: 已通过 and the volunteer number.
    phone.reload()
    main = phone.inner_text("main")
    assert "已通过" in main
    assert volunteer.number and volunteer.number in main
    _shot(phone, "volunteer-me-approved-360")
    assert phone.errors == [] and desk.errors == []
