"""Two people on one board, each in their own browser context: live moves, live role changes,
removal, a realtime restart and an access token that expires while the page is open."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
from playwright.async_api import Page, Request, expect

from hintro_devtools.stack import Stack
from tests.browser.conftest import ACCESS_TOKEN_TTL_SECONDS, NewContext
from tests.browser.helpers import after_paint, cards, open_board, restart_realtime, sign_in
from tests.e2e.boards_helpers import (
    PASSWORD,
    User,
    add_member,
    create_board,
    create_list,
    create_task,
    ok,
    register,
)


async def shared_board(http: aiohttp.ClientSession, role: str = "editor") -> tuple[User, User, Any]:
    """Ada owns a board with lists To do (three cards) and Done; Bob is a member with ``role``."""
    ada = await register(http, "Ada Lovelace")
    bob = await register(http, "Bob Kahn")
    board = await create_board(http, ada, "Shared plan")
    todo = await create_list(http, ada, board["id"], "To do")
    await create_list(http, ada, board["id"], "Done")
    for title in ("First", "Second", "Third"):
        await create_task(http, ada, board["id"], todo["id"], title)
    await add_member(http, ada, board["id"], bob, role)
    return ada, bob, board


async def person(new_context: NewContext, user: User, board_id: str) -> Page:
    page = await (await new_context()).new_page()
    await sign_in(page, user)
    await open_board(page, board_id)
    return page


async def keyboard_move(page: Page, title: str, to_list: str) -> Request:
    """Move a card one list to the right with the keyboard; the move request it sent."""
    spoken = page.locator("[id^=DndLiveRegion]")
    async with page.expect_request(lambda r: r.url.endswith("/move")) as sent:
        await page.get_by_role("button", name=f"Move card {title}").focus()
        await page.keyboard.press("Space")
        await expect(spoken).to_contain_text(f"Picked up card “{title}”")
        await after_paint(page)
        await page.keyboard.press("ArrowRight")
        await expect(spoken).to_contain_text(f"list “{to_list}”")
        await page.keyboard.press("Space")
    return await sent.value


async def test_a_move_appears_on_the_other_screen_within_a_second_and_once_on_the_own(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada, bob, board = await shared_board(http)
    page_a = await person(new_context, ada, board["id"])
    page_b = await person(new_context, bob, board["id"])
    await expect(cards(page_b, "To do")).to_have_count(3)

    request = await keyboard_move(page_a, "Second", "Done")
    response = await request.response()
    assert response is not None
    assert response.status == 200
    # The write named the author's socket, so the author is not sent its own event.
    assert request.headers.get("x-socket-id")
    moved_at = time.monotonic()
    await expect(cards(page_b, "Done")).to_have_text(["Second"], timeout=1000)
    assert time.monotonic() - moved_at <= 1.0
    await expect(cards(page_b, "To do")).to_have_text(["First", "Third"])

    # Ada's screen shows the move once: no duplicate card, nothing reordered behind her back.
    await expect(cards(page_a, "Done")).to_have_text(["Second"])
    await expect(cards(page_a, "To do")).to_have_text(["First", "Third"])
    # A later change by Bob arrives on Ada's screen after her own, proving her stream is live.
    await page_b.get_by_label("New card in Done").fill("From Bob")
    await page_b.get_by_role("button", name="Add card to Done").click()
    await expect(cards(page_a, "Done")).to_have_text(["Second", "From Bob"])
    await expect(page_a.get_by_test_id("card")).to_have_count(4)


async def test_made_viewer_loses_edit_controls_live_and_removed_closes_the_board(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada, bob, board = await shared_board(http)
    page_b = await person(new_context, bob, board["id"])
    await expect(page_b.get_by_role("button", name="Move card First")).to_be_visible()
    await expect(page_b.get_by_label("New list")).to_be_visible()
    member = f"api/boards/{board['id']}/members/{bob.id}"

    # Ada acts through the API here (her members panel has its own test); what matters is what
    # Bob's open page does on its own.
    await ok(http, ada, "PATCH", member, json_body={"role": "viewer"})
    await expect(page_b.get_by_text("Read only")).to_be_visible()
    await expect(page_b.locator(".drag-handle")).to_have_count(0)
    await expect(page_b.get_by_label("New list")).to_have_count(0)
    await expect(page_b.get_by_role("button", name="Add card to To do")).to_have_count(0)
    await expect(cards(page_b, "To do")).to_have_count(3)

    await ok(http, ada, "DELETE", member, 204)
    await expect(page_b.get_by_test_id("closed-message")).to_contain_text(
        "You are no longer a member of “Shared plan”"
    )
    await expect(page_b.get_by_role("heading", name="Your boards")).to_be_visible()
    await expect(page_b.get_by_role("link", name="Shared plan")).to_have_count(0)


async def test_realtime_restart_reconnects_and_catches_up_without_a_reload(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada, bob, board = await shared_board(http)
    page_b = await person(new_context, bob, board["id"])
    await page_b.evaluate("window.__sameDocument = true")
    lists = await ok(http, ada, "GET", f"api/boards/{board['id']}/lists")
    done = next(item for item in lists if item["title"] == "Done")

    async def while_down() -> None:
        await expect(page_b.get_by_test_id("connection-state")).to_have_attribute(
            "data-state", "reconnecting"
        )
        await create_task(http, ada, board["id"], done["id"], "Written while down")

    await restart_realtime(web_stack, while_down)
    await expect(page_b.get_by_test_id("connection-state")).to_have_attribute(
        "data-state", "live", timeout=20_000
    )
    await expect(cards(page_b, "Done")).to_have_text(["Written while down"])
    assert await page_b.evaluate("window.__sameDocument") is True


async def test_the_next_action_works_after_the_access_token_expired(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada, _bob, board = await shared_board(http)
    # bypass_csp: waiting on the page's clock evaluates a script, which the app's CSP forbids.
    page = await (await new_context(bypass_csp=True)).new_page()
    # The page may not refresh on its schedule: its token really expires while it is open.
    await page.route("**/api/auth/refresh", lambda route: route.abort())
    signed_in_at = time.time()
    await sign_in(page, ada)
    await open_board(page, board["id"])
    statuses: list[tuple[str, int]] = []
    page.on("response", lambda r: statuses.append((r.url.split("/api/")[-1], r.status)))
    # Services accept a token TOKEN_LEEWAY_SECONDS (5) past its expiry, for clock skew.
    expired_at_ms = (signed_in_at + ACCESS_TOKEN_TTL_SECONDS + 5 + 2) * 1000
    await page.wait_for_function(
        f"Date.now() > {expired_at_ms}", timeout=(ACCESS_TOKEN_TTL_SECONDS + 25) * 1000
    )
    await page.unroute("**/api/auth/refresh")

    await page.get_by_label("New card in Done").fill("After expiry")
    async with page.expect_response(
        lambda r: r.url.endswith("/tasks") and r.request.method == "POST" and r.status == 201
    ):
        await page.get_by_role("button", name="Add card to Done").click()
    await expect(cards(page, "Done")).to_have_text(["After expiry"])
    assert ("auth/refresh", 200) in statuses
    # Ada's setup token has expired too: read the result with a fresh one.
    pair = await ok(
        http, None, "POST", "api/auth/login", json_body={"email": ada.email, "password": PASSWORD}
    )
    fresh = User(ada.id, ada.email, ada.name, pair["accessToken"])
    saved = await ok(http, fresh, "GET", f"api/boards/{board['id']}/tasks")
    assert "After expiry" in [task["title"] for task in saved["items"]]
