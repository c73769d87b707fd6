"""``python -m bench.webapp`` (part of ``make bench``): the web app, measured in Debian's Chromium.

    python -m bench.webapp                  # start a stack serving web/dist, seed, measure
    python -m bench.webapp --runs 5 --presets desktop
    python -m bench.webapp --url http://127.0.0.1:8080   # a running `make run`

Figures: the first-load JavaScript of the build (what index.html loads before the app runs:
its module script and modulepreload chunks), gzipped; Lighthouse 12.2 (performance,
accessibility, best practices) on a board of 500 cards; and the time from navigation until a
board of 5,000 cards is on screen and a click on it is handled. The browser side is
``bench/browser/measure.mjs`` (puppeteer-core and Lighthouse from ``bench/browser``'s lock
file, installed with ``npm ci`` when needed). Results: ``bench/results/<time>-web.json`` and
``bench/results/web-latest.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import aiohttp

from bench.__main__ import BENCH_RATE_LIMITS, DEFAULT_RABBITMQ_URL
from bench.api import PASSWORD, Api, User, bounded
from bench.isolation import isolated_env
from bench.report import RESULTS_DIR
from hintro_devtools import web
from hintro_devtools.workspace import repo_root

BROWSER_DIR = Path(__file__).resolve().parent / "browser"
DEFAULT_CHROME = "/usr/bin/chromium"
# The budgets (docs/performance.md, "Web app").
FIRST_LOAD_JS_BUDGET = 150 * 1024
SCORE_TARGET = 90
BIG_BOARD_BUDGET_MS = 1000


def say(message: str) -> None:
    print(f"bench | {message}", file=sys.stderr, flush=True)


class _EntryAssets(HTMLParser):
    """The scripts, modulepreloads and stylesheets index.html names."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        rel = values.get("rel", "").split()
        if tag == "script" and values.get("src"):
            self.scripts.append(values["src"])
        elif tag == "link" and "modulepreload" in rel and values.get("href"):
            self.scripts.append(values["href"])
        elif tag == "link" and "stylesheet" in rel and values.get("href"):
            self.styles.append(values["href"])


def _sizes(dist: Path, url_path: str) -> dict[str, int]:
    path = dist / url_path.split("?", 1)[0].lstrip("/")
    body = path.read_bytes()
    gz = path.with_name(path.name + ".gz")
    br = path.with_name(path.name + ".br")
    return {
        "raw": len(body),
        # What the gateway sends a gzip-only client: the build's sibling, else gzip -9.
        "gzip": gz.stat().st_size if gz.is_file() else len(gzip.compress(body, 9)),
        "brotli": br.stat().st_size if br.is_file() else 0,
    }


def first_load(dist: Path) -> dict[str, Any]:
    """The bytes a first visit downloads before the app can run, from the build itself."""
    parser = _EntryAssets()
    parser.feed((dist / "index.html").read_text())
    scripts = {src: _sizes(dist, src) for src in dict.fromkeys(parser.scripts)}
    styles = {href: _sizes(dist, href) for href in dict.fromkeys(parser.styles)}
    js_gzip = sum(item["gzip"] for item in scripts.values())
    return {
        "js_files": scripts,
        "css_files": styles,
        "js_raw_bytes": sum(item["raw"] for item in scripts.values()),
        "js_gzip_bytes": js_gzip,
        "js_brotli_bytes": sum(item["brotli"] for item in scripts.values()),
        "css_gzip_bytes": sum(item["gzip"] for item in styles.values()),
        "index_html_gzip_bytes": len(gzip.compress((dist / "index.html").read_bytes(), 9)),
        "js_gzip_budget_bytes": FIRST_LOAD_JS_BUDGET,
        "js_within_budget": js_gzip <= FIRST_LOAD_JS_BUDGET,
    }


@dataclass
class Seeded:
    user: User
    lighthouse_board: str
    big_board: str
    big_lists: int


async def seed_board(api: Api, owner: User, title: str, lists: int, cards: int) -> str:
    """A board of ``lists`` lists holding ``cards`` cards between them (round robin)."""
    board = await api.board(owner, title)
    list_ids = [await api.list(owner, board, f"List {i + 1}") for i in range(lists)]
    await bounded(
        32,
        [
            api.task(owner, board, list_ids[i % lists], f"Card {i + 1}: a task to do")
            for i in range(cards)
        ],
    )
    return board


async def seed(gateway: str, args: argparse.Namespace) -> Seeded:
    async with aiohttp.ClientSession() as session:
        api = Api(session, gateway)
        owner = await api.register_login("web")
        began = time.perf_counter()
        small = await seed_board(api, owner, "Lighthouse board", 10, args.lighthouse_cards)
        big = await seed_board(api, owner, "Big board", args.big_lists, args.big_cards)
        say(
            f"seeded {args.lighthouse_cards} + {args.big_cards} cards in "
            f"{time.perf_counter() - began:.1f}s"
        )
        return Seeded(owner, small, big, args.big_lists)


def measure(gateway: str, seeded: Seeded, args: argparse.Namespace) -> dict[str, Any]:
    """Run bench/browser/measure.mjs with the job on stdin; its JSON figures."""
    job = {
        "origin": gateway,
        "chrome": os.environ.get("CHROME_PATH", DEFAULT_CHROME),
        "email": seeded.user.email,
        "password": PASSWORD,
        "presets": args.presets.split(","),
        "lighthouseUrl": f"{gateway}/boards/{seeded.lighthouse_board}",
        "bigBoardUrl": f"{gateway}/boards/{seeded.big_board}",
        "bigBoardLists": seeded.big_lists,
        "runs": args.runs,
        "saveLighthouse": str(args.save_lighthouse.resolve()) if args.save_lighthouse else None,
    }
    completed = subprocess.run(  # noqa: S603 - node from PATH, a fixed script
        ["node", str(BROWSER_DIR / "measure.mjs")],  # noqa: S607
        input=json.dumps(job),
        stdout=subprocess.PIPE,  # the figures; its progress lines go to our stderr as they come
        text=True,
        check=False,
        cwd=BROWSER_DIR,
        timeout=1800,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench/browser/measure.mjs failed (exit {completed.returncode})")
    figures: dict[str, Any] = json.loads(completed.stdout)
    return figures


@contextlib.asynccontextmanager
async def started_stack(dist: Path) -> AsyncIterator[str]:
    """The suite on free ports, isolated like the API benchmark's, its gateway serving
    ``dist``; yields the gateway URL."""
    from hintro_devtools.stack import Stack

    run_id = f"benchweb_{uuid.uuid4().hex[:8]}"
    rabbitmq_url = os.environ.get("RABBITMQ_URL") or DEFAULT_RABBITMQ_URL
    with tempfile.TemporaryDirectory() as keys, isolated_env(run_id, rabbitmq_url) as isolation:
        services = ("gateway", "auth", "board", "task", "activity", "realtime")
        service_env: dict[str, dict[str, str]] = {
            "auth": {"JWT_KEY_FILE": str(Path(keys) / "jwt-signing.pem")},
            "gateway": {
                **BENCH_RATE_LIMITS,
                "RATE_LIMIT_PREFIX": f"hintro:rl:{run_id}:",
                "WEB_DIST_DIR": str(dist),
            },
        }
        for service in services:
            service_env.setdefault(service, {}).update(isolation.get("all", {}))
            service_env[service].update(isolation.get(service, {}))
        async with Stack(
            profile="test",
            free_ports=True,
            mongo_db_suffix=run_id,
            service_env=service_env,
            echo=False,
            log_path=repo_root() / ".run" / "bench" / "web-stack.log",
        ) as stack:
            yield stack.gateway_url


def prepare(root: Path) -> Path | None:
    """web/dist built and bench/browser's packages installed; None when there is no web app."""
    if not web.build(root):
        return None
    if web.needs_install(BROWSER_DIR):
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],  # noqa: S607 - a fixed npm command
            cwd=BROWSER_DIR,
            check=True,
        )
        (BROWSER_DIR / "node_modules" / web.LOCK_STAMP).write_text(web.lock_hash(BROWSER_DIR))
    return root / "web" / "dist"


async def run(args: argparse.Namespace, dist: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"first_load": first_load(dist)}
    if args.url:
        gateway = args.url.rstrip("/")
        seeded = await seed(gateway, args)
        results.update(await asyncio.to_thread(measure, gateway, seeded, args))
        return results
    async with started_stack(dist) as gateway:
        seeded = await seed(gateway, args)
        results.update(await asyncio.to_thread(measure, gateway, seeded, args))
    return results


def table(results: dict[str, Any]) -> str:
    """The figures beside the issue's targets."""
    load = results["first_load"]
    rows = [
        ("first-load JS, gzip", f"{load['js_gzip_bytes'] / 1024:.1f} KiB", "<= 150 KiB"),
        ("first-load JS, brotli", f"{load['js_brotli_bytes'] / 1024:.1f} KiB", ""),
    ]
    for report in results.get("lighthouse", []):
        for category, score in report["scores"].items():
            rows.append((f"Lighthouse {report['preset']}: {category}", str(score), ">= 90"))
    big = results.get("big_board")
    if big:
        for cache, figures in big["median"].items():
            rows.append(
                (f"5,000 cards on screen ({cache} cache)", f"{figures['visible_ms']} ms", "")
            )
            rows.append(
                (
                    f"5,000 cards: click handled ({cache} cache)",
                    f"{figures['responded_ms']} ms after navigation "
                    f"(click -> dialog {figures['input_ms']} ms)",
                    "<= 1000 ms",
                )
            )
    width = max(len(row[0]) for row in rows)
    return "\n".join(f"{name:<{width}}  {value:<40} {target}" for name, value, target in rows)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.webapp", description=__doc__)
    parser.add_argument("--url", help="gateway of a running suite that serves the app")
    parser.add_argument(
        "--dist",
        type=Path,
        help="measure this build (a copy of an earlier web/dist) instead of building web/dist: "
        "paired before/after runs on the same machine",
    )
    parser.add_argument("--presets", default="desktop,mobile", help="Lighthouse form factors")
    parser.add_argument("--runs", type=int, default=3, help="big-board loads per cache state")
    parser.add_argument("--lighthouse-cards", type=int, default=500)
    parser.add_argument("--big-cards", type=int, default=5000)
    parser.add_argument("--big-lists", type=int, default=10)
    parser.add_argument(
        "--save-lighthouse",
        type=Path,
        help="write each preset's whole Lighthouse report (lighthouse-<preset>.json) here",
    )
    parser.add_argument("--label", default="web", help="suffix of the result file name")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    dist = prepare(repo_root())
    if args.dist is not None:
        dist = args.dist.resolve()
    if dist is None:
        say("no web/ in this checkout: no web app to measure")
        return 0
    load_before = os.getloadavg()
    results = asyncio.run(run(args, dist))
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    document = {
        "meta": {
            "time": stamp,
            "argv": sys.argv[1:] if argv is None else argv,
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
        },
        "results": results,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, sort_keys=True)
    path = args.results_dir / f"{stamp}-{args.label}.json"
    path.write_text(text)
    (args.results_dir / "web-latest.json").write_text(text)
    print(table(results))
    say(f"figures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
