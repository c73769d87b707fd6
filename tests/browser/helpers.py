"""What the browser tests do as a person would: sign in, open a board, find lists and cards,
drag with the mouse; and the one thing they do to the stack: restart its realtime replicas."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import aiohttp
from playwright.async_api import Locator, Page, expect

from hintro_devtools.stack import Stack
from tests.e2e.boards_helpers import PASSWORD, User


async def sign_in(page: Page, user: User, *, password: str = PASSWORD) -> None:
    """Sign in through the form; the boards page is then on screen."""
    await page.goto("/signin")
    await page.get_by_label("E-mail").fill(user.email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Your boards")).to_be_visible()


async def open_board(page: Page, board_id: str) -> None:
    """Open a board from the boards page, as a person would, and wait until it is live (joined to
    its Socket.IO room)."""
    await page.locator(f'a[href="/boards/{board_id}"]').click()
    await expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")


def column(page: Page, title: str) -> Locator:
    return page.get_by_test_id("board-list").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def cards(page: Page, list_title: str) -> Locator:
    return column(page, list_title).get_by_test_id("card")


async def titles(page: Page, list_title: str) -> list[str]:
    return [text.strip() for text in await cards(page, list_title).all_inner_texts()]


async def drag(page: Page, handle: Locator, target: Locator, *, at: float = 0.25) -> None:
    """Drag ``handle`` with the mouse onto ``target``, ``at`` of the way down it (its top
    quarter by default: "before this one"), in small steps as a hand moves."""
    await handle.scroll_into_view_if_needed()
    source_box = await handle.bounding_box()
    target_box = await target.bounding_box()
    assert source_box is not None
    assert target_box is not None
    await page.mouse.move(
        source_box["x"] + source_box["width"] / 2, source_box["y"] + source_box["height"] / 2
    )
    await page.mouse.down()
    await page.mouse.move(
        target_box["x"] + target_box["width"] / 2,
        target_box["y"] + target_box["height"] * at,
        steps=12,
    )
    await page.mouse.up()


async def after_paint(page: Page) -> None:
    """Wait until the browser has painted twice: dnd-kit measures the drop targets in the frames
    after a pick-up, and an arrow key before that finds none to move to."""
    await page.evaluate(
        "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


async def restart_realtime(stack: Stack, on_down: Callable[[], Awaitable[None]]) -> None:
    """Stop every realtime replica, run ``on_down()`` while none runs, start them again, ready."""
    replicas = [item for name, item in stack.running.items() if name.startswith("realtime")]
    for running in replicas:
        running.process.terminate()
    for running in replicas:
        assert running.exited is not None
        await running.exited
    await on_down()
    # The stack has no public restart; spawning the same instances again (same ports) is what a
    # supervisor would do.
    for running in replicas:
        await stack._spawn(running.instance)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        deadline = time.monotonic() + 60
        for running in replicas:
            await stack._wait_ready(stack.running[running.instance.name], session, deadline)
