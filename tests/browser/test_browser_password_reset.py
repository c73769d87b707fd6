"""Forgotten password, as a person goes through it: ask for a link on the sign-in page, open
the link from the e-mail the SMTP server received, choose a new password, and sign in with it;
the same link a second time says in a sentence that it no longer works."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import aiohttp
from playwright.async_api import expect

from hintro_devtools.mailsink import MailSink
from hintro_testkit.infra import wait_for
from tests.browser.conftest import NewContext
from tests.browser.helpers import sign_in
from tests.e2e.boards_helpers import register

NEW_PASSWORD = "a-brand-new-passphrase-42"


async def reset_link(mail: MailSink, address: str) -> str:
    """The path and fragment of the reset link mailed to ``address``."""

    async def arrived() -> bool:
        return bool(mail.to(address))

    await wait_for(arrived, within=30.0, what=f"the reset e-mail to {address}")
    match = re.search(
        r"(https?://\S+/reset-password#token=[A-Za-z0-9_-]+)", mail.to(address)[-1].text
    )
    assert match, mail.to(address)[-1].text
    link = urlsplit(match.group(1))
    return f"{link.path}#{link.fragment}"


async def test_a_forgotten_password_is_reset_from_the_emailed_link(
    http: aiohttp.ClientSession, new_context: NewContext, mail: MailSink
) -> None:
    ada = await register(http, "Ada Lovelace")
    page = await (await new_context()).new_page()

    await page.goto("/signin")
    await page.get_by_role("link", name="Forgot password?").click()
    await page.get_by_label("E-mail").fill(ada.email)
    await page.get_by_role("button", name="Send the link").click()
    await expect(page.locator("form").get_by_role("status")).to_have_text(
        "If an account uses that address, a link to reset its password is on its way. "
        "It works once, for 30 minutes."
    )
    link = await reset_link(mail, ada.email)

    await page.goto(link)
    await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_label("New password again").fill(NEW_PASSWORD + "-typo")
    await page.get_by_role("button", name="Set the new password").click()
    await expect(page.locator("form").get_by_role("alert")).to_have_text(
        "The two passwords are not the same."
    )

    await page.get_by_label("New password again").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Set the new password").click()
    await expect(page.locator("form").get_by_role("status")).to_have_text(
        "Your password was changed, and you were signed out everywhere."
    )
    # The token leaves the address bar once used.
    assert "token" not in page.url
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/signin$"))
    await sign_in(page, ada, password=NEW_PASSWORD)

    # The same link again: a sentence, and the form stays.
    again = await (await new_context()).new_page()
    await again.goto(link)
    await again.get_by_label("New password", exact=True).fill(NEW_PASSWORD + "2")
    await again.get_by_label("New password again").fill(NEW_PASSWORD + "2")
    await again.get_by_role("button", name="Set the new password").click()
    await expect(again.locator("form").get_by_role("alert")).to_have_text(
        "This reset link is invalid or has expired. Ask for a new one."
    )
