"""One person's board in a real browser: sign up, build a board, drag cards with the mouse and
with the keyboard, reload, and find everything where it was left."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Page, expect

from hintro_devtools.stack import Stack
from tests.browser.conftest import NewContext, csp_errors
from tests.browser.helpers import after_paint, cards, column, drag, titles
from tests.e2e.boards_helpers import PASSWORD


async def add_list(page: Page, title: str) -> None:
    await page.get_by_label("New list").fill(title)
    await page.get_by_role("button", name="Add list").click()
    await expect(column(page, title)).to_be_visible()


async def add_card(page: Page, list_title: str, title: str) -> None:
    async with page.expect_response(lambda r: r.url.endswith("/tasks") and r.status == 201):
        await page.get_by_label(f"New card in {list_title}").fill(title)
        await page.get_by_role("button", name=f"Add card to {list_title}").click()


async def test_sign_up_build_a_board_drag_with_mouse_and_keyboard_and_reload(
    web_stack: Stack, new_context: NewContext
) -> None:
    page = await (await new_context()).new_page()
    csp = csp_errors(page)
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_role("link", name="Create an account").click()
    await page.get_by_label("Name").fill("Ada Lovelace")
    await page.get_by_label("E-mail").fill(f"web-{uuid.uuid4().hex[:10]}@hintro.dev")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("heading", name="Your boards")).to_be_visible()

    await page.get_by_label("New board").fill("Launch plan")
    await page.get_by_role("button", name="Create board").click()
    await expect(page.get_by_role("heading", name="Launch plan")).to_be_visible()
    await expect(page.get_by_test_id("connection-state")).to_have_attribute("data-state", "live")

    await add_list(page, "To do")
    await add_list(page, "Done")
    for title in ("Write copy", "Pick date", "Book room"):
        await add_card(page, "To do", title)
    await expect(cards(page, "To do")).to_have_count(3)
    assert await titles(page, "To do") == ["Write copy", "Pick date", "Book room"]

    # The mouse: drag "Pick date" by its handle onto the empty "Done" list.
    handle = page.get_by_role("button", name="Move card Pick date")
    target = column(page, "Done").get_by_role("list")
    async with page.expect_response(lambda r: r.url.endswith("/move")) as moved:
        await drag(page, handle, target, at=0.5)
    assert (await moved.value).status == 200
    await expect(cards(page, "Done")).to_have_text(["Pick date"])

    # The keyboard: pick "Book room" up with space, one step right, drop with space.
    async with page.expect_response(lambda r: r.url.endswith("/move")) as moved:
        await page.get_by_role("button", name="Move card Book room").focus()
        await page.keyboard.press("Space")
        # The screen reader's words say where the card is; wait for them as a person would.
        spoken = page.locator("[id^=DndLiveRegion]")
        await expect(spoken).to_contain_text("Picked up card “Book room”")
        await after_paint(page)
        await page.keyboard.press("ArrowRight")
        await expect(spoken).to_contain_text("list “Done”")
        await page.keyboard.press("Space")
    assert (await moved.value).status == 200
    await expect(cards(page, "Done")).to_have_count(2)
    await expect(cards(page, "To do")).to_have_text(["Write copy"])
    done = await titles(page, "Done")
    assert sorted(done) == ["Book room", "Pick date"]

    # Lists reorder too: "Done" one step left with the keyboard.
    async with page.expect_response(lambda r: "/api/lists/" in r.url) as moved_list:
        await page.get_by_role("button", name="Move list Done").focus()
        await page.keyboard.press("Space")
        await expect(spoken).to_contain_text("Picked up list “Done”")
        await after_paint(page)
        await page.keyboard.press("ArrowLeft")
        await expect(spoken).to_contain_text("over list “To do”")
        await page.keyboard.press("Space")
    assert (await moved_list.value).status == 200
    heads = page.get_by_test_id("board-list").locator("h2")
    await expect(heads).to_have_text(["Done", "To do"])

    await page.reload()
    await expect(cards(page, "To do")).to_have_text(["Write copy"])
    await expect(cards(page, "Done")).to_have_text(done)
    await expect(heads).to_have_text(["Done", "To do"])
    assert csp == []


async def test_card_dialog_has_its_own_url_and_saves_fields(
    web_stack: Stack, new_context: NewContext
) -> None:
    page = await (await new_context()).new_page()
    await page.goto("/signup")
    await page.get_by_label("Name").fill("Grace Hopper")
    await page.get_by_label("E-mail").fill(f"web-{uuid.uuid4().hex[:10]}@hintro.dev")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await page.get_by_label("New board").fill("Dialog board")
    await page.get_by_role("button", name="Create board").click()
    await add_list(page, "Inbox")
    await add_card(page, "Inbox", "<b>not bold</b>")

    await cards(page, "Inbox").first.click()
    dialog = page.get_by_test_id("card-dialog")
    await expect(dialog).to_be_visible()
    assert "/cards/" in page.url
    await dialog.get_by_label("Description").fill("Line one")
    await dialog.get_by_label("Start date").fill("2027-02-01")
    await dialog.get_by_label("Due date").fill("2027-03-01")
    await dialog.get_by_label("Grace Hopper (you)").check()
    async with page.expect_response(
        lambda r: "/api/tasks/" in r.url and r.request.method == "PATCH"
    ):
        await dialog.get_by_role("button", name="Save").click()
    await expect(dialog).to_be_hidden()
    card = cards(page, "Inbox").first
    # User content is text, never markup.
    await expect(card.locator("b")).to_have_count(0)
    await expect(card).to_contain_text("<b>not bold</b>")
    # The date in the browser's locale (en-US here).
    await expect(card).to_contain_text(re.compile(r"Due (1 Mar|Mar 1,) 2027"))
    await expect(card.get_by_label("Assigned to Grace Hopper")).to_be_visible()

    # The dialog's URL opens it directly after a reload.
    await card.click()
    url = page.url
    await page.goto(url)
    await expect(page.get_by_test_id("card-dialog").get_by_label("Description")).to_have_value(
        "Line one"
    )
    await expect(page.get_by_test_id("card-dialog").get_by_label("Start date")).to_have_value(
        "2027-02-01"
    )
