"""Import from Trello as a person does it: from the boards page, choose the project's export
(tests/fixtures/trello/board.json), watch the progress to the end, open the new board: its lists
and cards in Trello's order, an imported comment under its Trello author's name, its HTML shown
as text."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from playwright.async_api import expect

from hintro_devtools.stack import Stack
from tests.browser.conftest import NewContext
from tests.browser.helpers import cards, sign_in
from tests.e2e.boards_helpers import register

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "trello" / "board.json"


async def test_a_trello_export_is_imported_and_its_board_opened(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada = await register(http, "Ada Lovelace")
    page = await (await new_context()).new_page()
    await sign_in(page, ada)
    await page.get_by_role("link", name="Import from Trello").click()
    await expect(page.get_by_role("heading", name="Import from Trello")).to_be_visible()

    # Not an export: a sentence, nothing imported.
    await page.get_by_label("Trello export (JSON file)").set_input_files(
        files=[{"name": "notes.json", "mimeType": "application/json", "buffer": b'{"a": 1}'}]
    )
    await page.get_by_role("button", name="Import").click()
    refusal = page.get_by_role("alert").filter(has_text="Trello")
    await expect(refusal).to_have_text(
        "The file is not a Trello board export: it has no board 'id'."
    )

    await page.get_by_label("Trello export (JSON file)").set_input_files(FIXTURE)
    await page.get_by_role("button", name="Import").click()
    status = page.get_by_test_id("import-status")
    await expect(status.get_by_role("status")).to_have_text("Imported: 29 of 29 steps.")
    await expect(status).to_contain_text("Grace Hopper, Ada Lovelace, Linus Example")
    await status.get_by_role("link", name="Open the board").click()

    await expect(page.get_by_role("heading", name="Product Launch")).to_be_visible()
    await expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")
    await expect(cards(page, "To Do")).to_contain_text(
        ["Design the landing page", "Pick the launch date", "Write the press release"]
    )
    await expect(cards(page, "Doing")).to_contain_text(["Fix the signup crash"])

    await cards(page, "To Do").filter(has_text="Design the landing page").click()
    dialog = page.get_by_test_id("card-dialog")
    comments = dialog.get_by_test_id("comment")
    await expect(comments).to_have_count(2)
    newest = comments.first
    await expect(newest).to_contain_text("Grace Hopper")
    await expect(newest.get_by_test_id("comment-imported")).to_have_text(
        "imported by Ada Lovelace (you)"
    )
    await expect(newest.get_by_test_id("comment-body")).to_have_text("Looks good <b>to me</b>.")
    assert await newest.locator("b").count() == 0
