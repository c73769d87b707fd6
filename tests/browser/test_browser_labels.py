"""Labels and due dates in the browser, two people on one board: Ada makes a label in the
board's Labels menu and puts it on a card, Bob sees the chip appear; Ada renames and recolours
the label and Bob's chip changes with it, live; a due date in the past shows the card overdue,
in words."""

from __future__ import annotations

import aiohttp
from playwright.async_api import expect

from hintro_devtools.stack import Stack
from tests.browser.conftest import NewContext
from tests.browser.helpers import cards
from tests.browser.test_browser_live import person, shared_board


async def test_a_label_and_a_due_date_show_live_on_another_screen(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada, bob, board = await shared_board(http)
    page_a = await person(new_context, ada, board["id"])
    page_b = await person(new_context, bob, board["id"])

    # Ada makes a label in the board's Labels menu.
    await page_a.get_by_role("button", name="Labels", exact=True).click()
    panel = page_a.get_by_test_id("labels-panel")
    await panel.get_by_label("New label", exact=True).fill("Urgent")
    await panel.get_by_label("Colour of the new label").select_option("red")
    await panel.get_by_role("button", name="Create label").click()
    await expect(panel.get_by_test_id("label-chip")).to_have_text(["Urgent"])

    # ... and puts it on the card "First" from the card dialog.
    await cards(page_a, "To do").filter(has_text="First").click()
    dialog = page_a.get_by_test_id("card-dialog")
    async with page_a.expect_response(
        lambda r: "/api/tasks/" in r.url and r.request.method == "PATCH"
    ) as saved:
        await dialog.get_by_label("Label Urgent", exact=True).check()
    assert (await saved.value).status == 200
    await dialog.get_by_role("button", name="Close").click()

    first_b = cards(page_b, "To do").filter(has_text="First")
    chip_b = first_b.get_by_test_id("label-chip")
    await expect(chip_b).to_have_text("Urgent")
    await expect(chip_b).to_have_attribute("data-color", "red")

    # A rename and a new colour reach Bob's card at once: cards hold the label's id.
    await panel.get_by_role("button", name="Edit label Urgent").click()
    await panel.get_by_label("Name of label Urgent").fill("Blocker")
    await panel.get_by_label("Colour of label Urgent").select_option("purple")
    await panel.get_by_role("button", name="Save").click()
    await expect(chip_b).to_have_text("Blocker")
    await expect(chip_b).to_have_attribute("data-color", "purple")
    await expect(chip_b).to_have_css("background-color", "rgb(159, 143, 239)")

    # A due date in the past: the card says it is overdue, on both screens.
    await cards(page_a, "To do").filter(has_text="Second").click()
    dialog = page_a.get_by_test_id("card-dialog")
    await dialog.get_by_label("Due date", exact=True).fill("2020-01-02")
    await dialog.get_by_role("button", name="Save").click()
    await expect(dialog).to_have_count(0)
    for page in (page_a, page_b):
        badge = cards(page, "To do").filter(has_text="Second").get_by_test_id("due-badge")
        await expect(badge).to_have_attribute("data-state", "overdue")
        await expect(badge).to_contain_text("Overdue")
