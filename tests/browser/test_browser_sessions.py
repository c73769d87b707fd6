"""One session, several tabs, in Chromium against the real stack: tabs that load (and so
refresh the session cookie) at the same moment all stay signed in, again after reloading together;
signing out in one tab signs out the others at once."""

from __future__ import annotations

import asyncio

import aiohttp
from playwright.async_api import Page, expect

from hintro_devtools.stack import Stack
from tests.browser.conftest import NewContext
from tests.browser.helpers import sign_in
from tests.e2e.boards_helpers import register


async def _signed_in(page: Page) -> None:
    await expect(page.get_by_role("heading", name="Your boards")).to_be_visible()


async def test_tabs_refreshing_together_stay_signed_in_and_sign_out_together(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada = await register(http, "Ada Lovelace")
    context = await new_context()
    first = await context.new_page()
    await sign_in(first, ada)
    # Three more tabs open at once: each spends the refresh cookie on load.
    others = [await context.new_page() for _ in range(3)]
    await asyncio.gather(*(page.goto("/") for page in others))
    await asyncio.gather(*(_signed_in(page) for page in others))
    # Every tab reloads at the same moment: still one live session.
    tabs = [first, *others]
    await asyncio.gather(*(page.reload() for page in tabs))
    await asyncio.gather(*(_signed_in(page) for page in tabs))

    await first.get_by_role("button", name="Sign out").click()
    for page in tabs:
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # The session is over on the server too: a reload stays signed out.
    await others[0].reload()
    await expect(others[0].get_by_role("heading", name="Sign in")).to_be_visible()
