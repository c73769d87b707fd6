"""Comments in a real browser, two people on one board: Ada comments on a card and mentions Bob
with the @ picker; the comment shows the mention highlighted; Bob's board counts the comment on
the card as it happens and his open card shows Ada's next comment live; HTML in a comment is
shown as the characters typed and never runs."""

from __future__ import annotations

import re

import aiohttp
from playwright.async_api import expect

from hintro_devtools.stack import Stack
from tests.browser.conftest import NewContext
from tests.browser.helpers import cards
from tests.browser.test_browser_live import person, shared_board

# The badge: an icon (hidden from screen readers) and the count.
ONE, TWO = re.compile(r"^\D*1\s*$"), re.compile(r"^\D*2\s*$")
PAYLOAD = '<img src=x onerror="window.__hacked=1"><script>window.__hacked=2</script> **still bold**'


async def test_comment_with_a_mention_is_counted_live_and_html_stays_text(
    web_stack: Stack, http: aiohttp.ClientSession, new_context: NewContext
) -> None:
    ada, bob, board = await shared_board(http)
    page_a = await person(new_context, ada, board["id"])
    page_b = await person(new_context, bob, board["id"])
    first_b = cards(page_b, "To do").filter(has_text="First")
    await expect(first_b.get_by_test_id("comment-count")).to_have_count(0)

    await cards(page_a, "To do").filter(has_text="First").click()
    dialog_a = page_a.get_by_test_id("card-dialog")
    composer = dialog_a.get_by_label("Write a comment")
    await composer.fill("Can you check this, ")
    await composer.press_sequentially("@Bo")
    picker = dialog_a.get_by_role("listbox", name="Members to mention")
    await expect(picker.get_by_role("option")).to_have_count(1)
    await expect(picker.get_by_role("option")).to_contain_text("Bob Kahn")
    await composer.press("Enter")  # picks the highlighted member
    await composer.press_sequentially("please?")
    await expect(composer).to_have_value(f"Can you check this, @[Bob Kahn]({bob.id}) please?")
    await dialog_a.get_by_role("button", name="Comment", exact=True).click()

    comment_a = dialog_a.get_by_test_id("comment").first
    mention = comment_a.locator(".mention")
    await expect(mention).to_have_text("@Bob Kahn")
    await expect(comment_a.get_by_test_id("comment-body")).to_have_text(
        "Can you check this, @Bob Kahn please?"
    )
    # Bob's board counts it on the card without a reload; so does Ada's (her own push).
    await expect(first_b.get_by_test_id("comment-count")).to_have_text(ONE)
    await expect(first_b.get_by_test_id("comment-count")).to_have_attribute(
        "aria-label", "1 comment"
    )
    first_a = cards(page_a, "To do").filter(has_text="First")
    await expect(first_a.get_by_test_id("comment-count")).to_have_text(ONE)

    # Bob opens the card: Ada's comment, with the mention; her next one arrives while it is open.
    await first_b.click()
    dialog_b = page_b.get_by_test_id("card-dialog")
    await expect(dialog_b.get_by_test_id("comment")).to_have_count(1)
    await expect(dialog_b.locator(".mention")).to_have_text("@Bob Kahn")

    await composer.fill(PAYLOAD)
    await dialog_a.get_by_role("button", name="Comment", exact=True).click()
    await expect(dialog_b.get_by_test_id("comment")).to_have_count(2)
    for page, dialog in ((page_a, dialog_a), (page_b, dialog_b)):
        body = dialog.get_by_test_id("comment-body").first
        await expect(body).to_contain_text('<img src=x onerror="window.__hacked=1">')
        await expect(body).to_contain_text("<script>window.__hacked=2</script>")
        await expect(body.locator("img, script")).to_have_count(0)
        await expect(body.locator("strong")).to_have_text("still bold")
        assert await page.evaluate("() => window.__hacked === undefined")
    await expect(first_b.get_by_test_id("comment-count")).to_have_text(TWO)
