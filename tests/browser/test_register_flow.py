"""Browser: a resident registers, signs out, signs in and sees their point's name.

Playwright's sync API drives the system Chromium against pytest-django's live server,
on a 360 px wide phone viewport. Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apps.accounts.models import RoleName, User
from tests.browser.conftest import ARTIFACTS

PASSWORD = "Qinghe-2024-lm"

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360px phone"


def test_resident_registers_signs_in_and_sees_their_point(live_server, tree, phone):
    page = phone
    village_label = f"{tree.village1.name}（{tree.town1.name}）"

    # 1. Register with a bad number and a weak password: errors on the fields.
    page.goto(f"{live_server.url}/accounts/register/")
    page.fill("#id_username", "liuyang")
    page.fill("#id_real_name", "刘阳")
    page.fill("#id_mobile", "12345")
    page.select_option("#id_site", label=village_label)
    page.fill("#id_password1", "12345678")
    page.fill("#id_password2", "12345678")
    page.click("form.form button[type=submit]")
    page.wait_for_selector(".field.has-error")
    mobile_field = page.locator(".field", has=page.locator("#id_mobile"))
    assert "请输入有效的 11 位中国大陆手机号码" in mobile_field.inner_text()
    password_field = page.locator(".field", has=page.locator("#id_password1"))
    assert "密码" in password_field.locator(".error").first.inner_text()
    _no_sideways_scroll(page)
    _shot(page, "register-errors-360")
    assert not User.objects.filter(username="liuyang").exists()

    # 2. Correct it: the village stays chosen, the passwords are typed again.
    assert page.locator("#id_site option:checked").inner_text() == village_label
    page.fill("#id_mobile", "+86 138-1234-5678")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert f"您所在的实践站：{tree.village1.name}" in page.inner_text("main")
    user = User.objects.get(username="liuyang")
    assert user.mobile == "13812345678"
    assert list(user.roles.values_list("role", "site_id")) == [
        (RoleName.RESIDENT, tree.village1.pk)
    ]

    # 3. Sign out.
    page.click("header button:has-text('退出')")
    page.wait_for_selector("a.btn-tool[href='/accounts/login/']")
    assert "您所在的实践站" not in page.inner_text("main")

    # 4. Sign in by mobile number and land on the home page with the point's name.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "13812345678")
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    main = page.inner_text("main")
    assert f"您所在的实践站：{tree.village1.name}" in main
    assert "您好，刘阳" in main
    _no_sideways_scroll(page)
    _shot(page, "home-resident-360")
    assert page.errors == []  # type: ignore[attr-defined]
