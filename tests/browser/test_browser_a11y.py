"""axe-core (web/node_modules/axe-core, the npm package) finds no serious or critical violation on
the sign-in, boards and board pages. The context bypasses the CSP only to inject axe itself."""

from __future__ import annotations

from typing import Any

import aiohttp
from playwright.async_api import Page, expect

from hintro_devtools.stack import Stack
from tests.browser.conftest import AXE, NewContext
from tests.browser.helpers import open_board, sign_in
from tests.e2e.boards_helpers import (
    add_member,
    create_board,
    create_label,
    create_list,
    create_task,
    register,
)


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    await page.add_script_tag(content=AXE.read_text())
    result: dict[str, Any] = await page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def test_sign_in_boards_and_board_pages_have_no_serious_axe_violation(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada = await register(http, "Ada Lovelace")
    bob = await register(http, "Bob Kahn")
    board = await create_board(http, ada, "Accessible board")
    todo = await create_list(http, ada, board["id"], "To do")
    await create_list(http, ada, board["id"], "Done")
    label = await create_label(http, ada, board["id"], "web", "green")
    await create_task(
        http, ada, board["id"], todo["id"], "Labelled", labelIds=[label["id"]], dueDate="2020-01-01"
    )
    await add_member(http, ada, board["id"], bob, "editor")
    page = await (await new_context(bypass_csp=True)).new_page()

    await page.goto("/signin")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert await serious_violations(page) == [], "sign-in page"

    await sign_in(page, ada)
    await expect(page.get_by_role("link", name="Accessible board")).to_be_visible()
    assert await serious_violations(page) == [], "boards page"

    await open_board(page, board["id"])
    await page.get_by_role("button", name="Members").click()
    await expect(page.get_by_test_id("members-panel")).to_be_visible()
    assert await serious_violations(page) == [], "board page with the members panel"

    await page.get_by_role("link", name="Labelled").click()
    await expect(page.get_by_test_id("card-dialog")).to_be_visible()
    assert await serious_violations(page) == [], "card dialog"
