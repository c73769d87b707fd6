"""Browser tests: Debian's Chromium, driven by Playwright, against the real stack started here
(tests/e2e's isolated stack) with the gateway serving the built web app (``web/dist``).

Every test here is marked ``e2e`` and ``browser``. They need ``/usr/bin/chromium`` (``make test``
installs it) and a build (``make test`` builds it; ``cd web && npm run build`` by hand); without
either they are skipped with the reason. The access tokens live 30 s (auth's minimum) so a test
can watch one expire while a page is open.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from hintro_devtools.mailsink import MailSink
from hintro_devtools.stack import Stack
from tests.e2e.stacks import isolated_stack

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "web" / "dist"
CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
ACCESS_TOKEN_TTL_SECONDS = 30
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = [
        reason
        for ok, reason in (
            (CHROMIUM.is_file(), f"{CHROMIUM} missing (apt-get install chromium)"),
            ((DIST / "index.html").is_file(), "web/dist missing (cd web && npm run build)"),
        )
        if not ok
    ]
    for item in items:
        if BROWSER_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(pytest.mark.skip(reason="; ".join(missing)))


@pytest.fixture(scope="session")
def mail() -> Iterator[MailSink]:
    """The SMTP server the stack's services send to; tests read what a person would receive."""
    with MailSink() as sink:
        yield sink


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def web_stack(
    tmp_path_factory: pytest.TempPathFactory, mail: MailSink
) -> AsyncIterator[Stack]:
    """The whole stack, its gateway serving web/dist at ``/``, mailing to ``mail``."""
    async with isolated_stack(
        tmp_path_factory.mktemp("keys"),
        name="browser",
        env={"ACCESS_TOKEN_TTL_SECONDS": str(ACCESS_TOKEN_TTL_SECONDS), **mail.env()},
        web_dist=DIST,
    ) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def http(web_stack: Stack) -> AsyncIterator[aiohttp.ClientSession]:
    """API calls for a test's setup, through the gateway."""
    async with aiohttp.ClientSession(base_url=f"{web_stack.gateway_url}/") as session:
        yield session


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


NewContext = Callable[..., Awaitable[BrowserContext]]
"""``await new_context(bypass_csp=False)``: a fresh browser context (one person)."""


@pytest_asyncio.fixture(loop_scope="session")
async def new_context(browser: Browser, web_stack: Stack) -> AsyncIterator[NewContext]:
    """Browser contexts (one per person) on the gateway's origin, closed after the test."""
    made: list[BrowserContext] = []

    async def make(*, bypass_csp: bool = False) -> BrowserContext:
        context = await browser.new_context(
            base_url=web_stack.gateway_url,
            viewport={"width": 1400, "height": 900},
            bypass_csp=bypass_csp,
        )
        context.set_default_timeout(10_000)
        made.append(context)
        return context

    yield make
    for context in made:
        await context.close()


def csp_errors(page: Page) -> list[str]:
    """Console messages about the Content-Security-Policy, collected from now on."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    return seen
