// The web app's browser measurements for `make bench` (bench/webapp.py starts the stack, seeds
// the boards and runs this with a JSON job on stdin; the figures come back as JSON on stdout).
//
// One Chromium (Debian's, CHROME_PATH) driven by puppeteer-core: it signs in the way the app
// does (POST /api/auth/login with session "cookie" from a page of the app's origin, which leaves
// the HttpOnly refresh cookie in the browser), then
//  - Lighthouse 12.2 runs on a page of that browser (`lighthouse(url, flags, config, page)`,
//    disableStorageReset so the cookie survives) against the 500-card board: the app signs in
//    silently from the cookie as it does for a person reloading the page;
//  - the big board is opened several times: milliseconds from navigation start to the last list
//    laid out with its first card, then a click on that card until its dialog is on screen.
// Selectors: /work/notes/web-selectors.md (data-testid board-list, card, card-dialog).
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import { writeFileSync } from "node:fs";
import puppeteer from "puppeteer-core";

const LIST = '[data-testid="board-list"]';
const CARD = '[data-testid="card"]';
const DIALOG = '[data-testid="card-dialog"]';
const CATEGORIES = ["performance", "accessibility", "best-practices"];
const METRICS = [
  "first-contentful-paint",
  "largest-contentful-paint",
  "total-blocking-time",
  "cumulative-layout-shift",
  "speed-index",
  "interactive",
];

function log(message) {
  process.stderr.write(`bench/browser | ${message}\n`);
}

async function readJob() {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return JSON.parse(text);
}

async function signIn(browser, job) {
  const page = await browser.newPage();
  // Any page of the origin: the fetch must be same-origin so the cookie is the app's.
  await page.goto(`${job.origin}/`, { waitUntil: "domcontentloaded" });
  const status = await page.evaluate(
    async (email, password) => {
      const response = await fetch("/api/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ email, password, session: "cookie" }),
      });
      return response.status;
    },
    job.email,
    job.password,
  );
  await page.close();
  if (status !== 200) throw new Error(`cookie login answered ${status}`);
}

async function runLighthouse(browser, url, preset, saveDir) {
  const page = await browser.newPage();
  const flags = {
    output: "json",
    logLevel: "error",
    onlyCategories: CATEGORIES,
    disableStorageReset: true,
  };
  const config = preset === "desktop" ? desktopConfig : undefined;
  const result = await lighthouse(url, flags, config, page);
  await page.close();
  const lhr = result.lhr;
  // The whole report, for reading what a score is made of (bench --save-lighthouse DIR).
  if (saveDir) writeFileSync(`${saveDir}/lighthouse-${preset}.json`, JSON.stringify(lhr));
  if (lhr.runtimeError) throw new Error(`lighthouse: ${lhr.runtimeError.message}`);
  const scores = Object.fromEntries(
    CATEGORIES.map((name) => [name, Math.round((lhr.categories[name]?.score ?? 0) * 100)]),
  );
  const metrics = Object.fromEntries(
    METRICS.map((id) => [id, lhr.audits[id]?.numericValue ?? null]),
  );
  // What kept a category below 100, so the report says where to look.
  const failing = Object.values(lhr.audits)
    .filter((audit) => audit.score !== null && audit.score < 0.9 && audit.scoreDisplayMode !== "informative")
    .map((audit) => `${audit.id} (${audit.score})`);
  // The console errors Lighthouse saw (best practices counts them) and the elements of the
  // failing accessibility audits, so the report names what to fix.
  const consoleErrors = (lhr.audits["errors-in-console"]?.details?.items ?? []).map(
    (item) => `${item.source ?? ""}: ${item.description ?? ""}`.slice(0, 300),
  );
  const accessibility = (lhr.categories.accessibility?.auditRefs ?? [])
    .map((ref) => lhr.audits[ref.id])
    .filter((audit) => audit && audit.score !== null && audit.score < 1)
    .map((audit) => ({
      id: audit.id,
      elements: (audit.details?.items ?? [])
        .slice(0, 5)
        .map((item) => item.node?.selector ?? item.node?.snippet ?? ""),
    }));
  return {
    preset,
    url: lhr.finalDisplayedUrl,
    scores,
    metrics,
    failing_audits: failing,
    console_errors: consoleErrors,
    accessibility_issues: accessibility,
  };
}

async function timeBigBoard(browser, url, lists, cache) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1366, height: 768 });
  await page.setCacheEnabled(cache);
  // Navigation is not awaited: the clock is the page's own (performance.now() counts from the
  // navigation's start), read at the first frame where the last list is laid out.
  const navigation = page.goto(url, { waitUntil: "load", timeout: 60000 });
  const visible = await page.waitForFunction(
    (listSel, cardSel, expected) => {
      const all = document.querySelectorAll(listSel);
      if (all.length < expected) return false;
      const last = all[all.length - 1];
      const card = last.querySelector(cardSel);
      if (!card) return false;
      const box = card.getBoundingClientRect();
      return box.width > 0 && box.height > 0 ? performance.now() : false;
    },
    { polling: "raf", timeout: 60000 },
    LIST,
    CARD,
    lists,
  );
  const visibleMs = await visible.jsonValue();
  await navigation.catch(() => undefined);
  // The input: a click on the last list's first card, handled when its dialog is on screen.
  const card = await page.evaluateHandle(
    (listSel, cardSel) => {
      const all = document.querySelectorAll(listSel);
      const target = all[all.length - 1].querySelector(cardSel);
      target.scrollIntoView({ block: "nearest", inline: "nearest" });
      return target;
    },
    LIST,
    CARD,
  );
  const clickedAt = await page.evaluate(() => performance.now());
  await card.click();
  const shown = await page.waitForFunction(
    (dialogSel) => {
      const dialog = document.querySelector(dialogSel);
      if (!dialog) return false;
      const box = dialog.getBoundingClientRect();
      return box.width > 0 && box.height > 0 ? performance.now() : false;
    },
    { polling: "raf", timeout: 30000 },
    DIALOG,
  );
  const shownMs = await shown.jsonValue();
  const cards = await page.evaluate((cardSel) => document.querySelectorAll(cardSel).length, CARD);
  await page.close();
  return {
    cache: cache ? "warm" : "cold",
    visible_ms: Math.round(visibleMs),
    input_ms: Math.round(shownMs - clickedAt),
    responded_ms: Math.round(shownMs),
    cards_in_dom: cards,
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function main() {
  const job = await readJob();
  const browser = await puppeteer.launch({
    executablePath: job.chrome,
    headless: true,
    // Root in a container has no user namespace sandbox; /dev/shm may be small.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--no-first-run"],
  });
  const out = { chromium: await browser.version(), lighthouse: [], big_board: null };
  try {
    await signIn(browser, job);
    for (const preset of job.presets) {
      log(`lighthouse (${preset}) on ${job.lighthouseUrl}`);
      out.lighthouse.push(await runLighthouse(browser, job.lighthouseUrl, preset, job.saveLighthouse));
    }
    if (job.bigBoardUrl) {
      const runs = [];
      for (const cache of [false, true]) {
        for (let i = 0; i < job.runs; i += 1) {
          log(`big board (${cache ? "warm" : "cold"} cache) run ${i + 1}/${job.runs}`);
          runs.push(await timeBigBoard(browser, job.bigBoardUrl, job.bigBoardLists, cache));
        }
      }
      const summary = {};
      for (const cache of ["cold", "warm"]) {
        const mine = runs.filter((run) => run.cache === cache);
        summary[cache] = {
          visible_ms: median(mine.map((run) => run.visible_ms)),
          input_ms: median(mine.map((run) => run.input_ms)),
          responded_ms: median(mine.map((run) => run.responded_ms)),
        };
      }
      out.big_board = { runs, median: summary };
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(`bench/browser | error: ${error.stack ?? error}\n`);
  process.exit(1);
});
