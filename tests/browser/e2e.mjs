#!/usr/bin/env node
// End-to-end test of examples/browser_app in real headless Chromium.
//
//   node tests/browser/e2e.mjs <base-url> <screenshot-path>
//
// Expects the example to be running already, e.g.
//   PORT=5050 cargo run --example browser_app
// and Chromium at /usr/bin/chromium (Debian's `chromium` package; override with
// CHROMIUM_PATH). Prints one line per passed step; exits non-zero with a
// message on the first failure, and after HARD_TIMEOUT_MS whatever happens.

import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { chromium } from "playwright-core";

const HARD_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 10_000;
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const [baseArg, screenshotArg] = process.argv.slice(2);
if (!baseArg || !screenshotArg) {
  console.error("usage: node tests/browser/e2e.mjs <base-url> <screenshot-path>");
  process.exit(2);
}
const base = new URL(baseArg).href; // normalised, ends with "/"
const screenshotPath = resolve(screenshotArg);

let context = null;
let userDataDir = null;
const pageErrors = [];

// Closes the browser and removes the profile; safe to call more than once.
let cleanupPromise = null;
function cleanup() {
  cleanupPromise ??= (async () => {
    if (context) {
      await Promise.race([
        context.close().catch(() => {}),
        new Promise((r) => setTimeout(r, 5_000)),
      ]);
    }
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true }).catch(() => {});
  })();
  return cleanupPromise;
}

let timedOut = false;
const hardTimeout = setTimeout(async () => {
  timedOut = true;
  console.error(`FAIL: hard timeout: the test did not finish within ${HARD_TIMEOUT_MS / 1000} s`);
  await cleanup();
  process.exit(1);
}, HARD_TIMEOUT_MS);

class Failure extends Error {}
// Playwright errors carry a call log (with ANSI colours); keep it, drop the stack.
function describe(err) {
  if (err instanceof Failure) return err.message;
  const text = (err && err.message) || String(err);
  return text.replace(/\x1b\[[0-9;]*m/g, "").trimEnd();
}
function check(condition, message) {
  if (!condition) throw new Failure(message);
}

let stepNo = 0;
async function step(name, fn) {
  stepNo += 1;
  try {
    await fn();
  } catch (err) {
    throw new Failure(`step ${stepNo} (${name}): ${describe(err)}`);
  }
  console.log(`ok ${stepNo} - ${name}`);
}

async function resultOf(page) {
  return page.$eval("#result", (el) => ({ text: el.textContent, status: el.dataset.status ?? null }));
}

// Clears #result, clicks, and waits until the page has written the outcome of
// the expected call ("METHOD /path -> ..."). Returns { text, status }.
async function clickAndWait(page, selector, prefix) {
  await page.$eval("#result", (el) => {
    el.textContent = "";
    delete el.dataset.status;
  });
  await page.click(selector);
  return waitForResult(page, prefix);
}

async function waitForResult(page, prefix) {
  try {
    await page.waitForFunction(
      (p) => {
        const el = document.getElementById("result");
        return el.textContent.startsWith(p) && el.dataset.status !== undefined;
      },
      prefix,
      { timeout: STEP_TIMEOUT_MS },
    );
  } catch (err) {
    const now = await resultOf(page).catch(() => null);
    throw new Failure(`no result starting with "${prefix}" (#result is ${JSON.stringify(now)}): ${err.message.split("\n")[0]}`);
  }
  return resultOf(page);
}

function expectResult(result, status, contains) {
  check(result.status === String(status),
    `expected data-status ${status}, got ${result.status}; #result: ${JSON.stringify(result.text)}`);
  if (contains) {
    check(result.text.includes(contains),
      `expected #result to contain ${JSON.stringify(contains)}; got ${JSON.stringify(result.text)}`);
  }
}

async function statusText(page) {
  return (await page.textContent("#status")).trim();
}

async function cookieMap() {
  // All cookies of the (fresh) profile: no URL filter, since the refresh
  // cookie's Path (/api/refresh) would not match the page URL.
  const cookies = await context.cookies();
  return new Map(cookies.map((c) => [c.name, c]));
}

async function main() {
  userDataDir = await mkdtemp(join(tmpdir(), "e2e-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1000, height: 700 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (err) => pageErrors.push(String(err)));

  await step("page loads; status is \"Not logged in\"", async () => {
    const response = await page.goto(base, { waitUntil: "load" });
    check(response && response.ok(), `GET ${base} -> ${response && response.status()}`);
    // The page asks /api/me on load; wait for that so it cannot race the login.
    const initial = await waitForResult(page, "GET /api/me ->");
    expectResult(initial, 401);
    const status = await statusText(page);
    check(status === "Not logged in", `#status is ${JSON.stringify(status)}`);
  });

  await step("log in via the form; status is \"Logged in as test\"", async () => {
    await page.fill("#username", "test");
    await page.fill("#password", "test");
    await page.click("#login-button");
    try {
      await page.waitForFunction(
        () => document.getElementById("status").textContent.trim() === "Logged in as test",
        null,
        { timeout: STEP_TIMEOUT_MS },
      );
    } catch {
      const now = await resultOf(page);
      throw new Failure(`#status is ${JSON.stringify(await statusText(page))}; #result: ${JSON.stringify(now.text)}`);
    }
  });

  await step("login set HttpOnly token cookies and readable CSRF cookies", async () => {
    const cookies = await cookieMap();
    const names = [...cookies.keys()].join(", ") || "(none)";
    for (const name of ["access_token_cookie", "refresh_token_cookie"]) {
      const c = cookies.get(name);
      check(c && c.value, `cookie ${name} missing (have: ${names})`);
      check(c.httpOnly === true, `cookie ${name} is not HttpOnly`);
    }
    for (const name of ["csrf_access_token", "csrf_refresh_token"]) {
      const c = cookies.get(name);
      check(c && c.value, `cookie ${name} missing (have: ${names})`);
      check(c.httpOnly === false, `cookie ${name} is HttpOnly (the page must read it)`);
    }
  });

  await step("page script cannot read the token cookies (document.cookie)", async () => {
    const docCookie = await page.evaluate(() => document.cookie);
    check(!docCookie.includes("access_token_cookie"), `document.cookie exposes access_token_cookie: ${docCookie}`);
    check(!docCookie.includes("refresh_token_cookie"), `document.cookie exposes refresh_token_cookie: ${docCookie}`);
    check(docCookie.includes("csrf_access_token="), `document.cookie lacks csrf_access_token: ${JSON.stringify(docCookie)}`);
  });

  await step("call without CSRF header -> 401 \"Missing CSRF token\"", async () => {
    const r = await clickAndWait(page, "#call-without-csrf", "POST /api/echo ->");
    expectResult(r, 401, "Missing CSRF token");
  });

  await step("call with CSRF header -> 200 logged_in_as", async () => {
    const r = await clickAndWait(page, "#call", "POST /api/echo ->");
    expectResult(r, 200, "logged_in_as");
  });

  await step(`screenshot of the logged-in page -> ${screenshotPath}`, async () => {
    await mkdir(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  let newAccess;
  await step("refresh -> 200 and a new access_token_cookie", async () => {
    const before = (await cookieMap()).get("access_token_cookie")?.value;
    const r = await clickAndWait(page, "#refresh", "POST /api/refresh ->");
    expectResult(r, 200);
    newAccess = (await cookieMap()).get("access_token_cookie")?.value;
    check(newAccess, "access_token_cookie missing after refresh");
    check(newAccess !== before, "access_token_cookie did not change after refresh");
  });

  await step("call again -> 200 with the new access token cookie", async () => {
    const request = page.waitForRequest((req) => req.url().endsWith("/api/echo") && req.method() === "POST");
    const r = await clickAndWait(page, "#call", "POST /api/echo ->");
    expectResult(r, 200, "logged_in_as");
    const cookieHeader = (await (await request).allHeaders()).cookie ?? "";
    check(cookieHeader.includes(`access_token_cookie=${newAccess}`),
      `the request did not carry the refreshed access_token_cookie (Cookie: ${JSON.stringify(cookieHeader)})`);
  });

  await step("logout clears the token cookies; reload shows \"Not logged in\"; call -> 401", async () => {
    const r = await clickAndWait(page, "#logout", "POST /api/logout ->");
    expectResult(r, 200);
    const cookies = await cookieMap();
    for (const name of ["access_token_cookie", "refresh_token_cookie"]) {
      const c = cookies.get(name);
      check(!c || c.value === "", `cookie ${name} still set after logout (${JSON.stringify(c && c.value)})`);
    }
    await page.reload({ waitUntil: "load" });
    expectResult(await waitForResult(page, "GET /api/me ->"), 401);
    const status = await statusText(page);
    check(status === "Not logged in", `#status after reload is ${JSON.stringify(status)}`);
    const call = await clickAndWait(page, "#call", "POST /api/echo ->");
    expectResult(call, 401);
  });

  await step("no uncaught errors in the page", async () => {
    check(pageErrors.length === 0, `page errors: ${pageErrors.join(" | ")}`);
  });
}

let exitCode = 0;
try {
  await main();
  console.log(`PASS: all ${stepNo} steps passed`);
} catch (err) {
  exitCode = 1;
  // After a hard timeout, closing the browser makes the pending step fail: that
  // one has been reported already.
  if (!timedOut) console.error(`FAIL: ${describe(err)}`);
} finally {
  await cleanup();
  clearTimeout(hardTimeout);
}
process.exit(exitCode);
