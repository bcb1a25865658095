#!/usr/bin/env node
// The websocket example in real headless Chromium: the page logs in, opens a
// WebSocket with the token as a subprotocol after "bearer", and must see the
// connection open with the protocol "bearer" selected and its message echoed
// with the identity; sockets with a bad token or none must never open.
//
//   node tests/browser/websocket.mjs <base-url>
//
// Expects the example to be running already (PORT=5050 cargo run --example
// websocket) and Chromium at /usr/bin/chromium (override with CHROMIUM_PATH).
// Prints "PASS" at the end; exits non-zero with a message on a failure, and
// after HARD_TIMEOUT_MS whatever happens.

import { chromium } from "playwright-core";

const HARD_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 10_000;
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

const [baseArg] = process.argv.slice(2);
if (!baseArg) {
  console.error("usage: node tests/browser/websocket.mjs <base-url>");
  process.exit(2);
}
const base = new URL(baseArg).href;

let browser = null;
setTimeout(async () => {
  console.error(`FAIL: hard timeout after ${HARD_TIMEOUT_MS / 1000} s`);
  await browser?.close().catch(() => {});
  process.exit(1);
}, HARD_TIMEOUT_MS).unref();

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function logText(page) {
  return page.textContent("#log");
}

async function waitForLog(page, line) {
  try {
    await page.waitForFunction(
      (l) => document.getElementById("log").textContent.split("\n").includes(l),
      line,
      { timeout: STEP_TIMEOUT_MS },
    );
  } catch (err) {
    throw new Error(`no log line ${JSON.stringify(line)}; the log: ${JSON.stringify(await logText(page))}`);
  }
}

// Opens a socket from the page with `protocols` and reports whether it
// opened, and with which protocol, or how it closed.
function probe(page, protocols) {
  return page.evaluate(
    (protocols) =>
      new Promise((resolve) => {
        const url = `ws://${location.host}/ws`;
        const socket = protocols === null ? new WebSocket(url) : new WebSocket(url, protocols);
        socket.onopen = () => {
          resolve({ opened: true, protocol: socket.protocol });
          socket.close();
        };
        socket.onclose = (event) => resolve({ opened: false, code: event.code });
      }),
    protocols,
  );
}

async function main() {
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
  });
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));

  await page.goto(base);
  await waitForLog(page, "open, protocol bearer");
  console.log("ok 1 - the page logged in and the socket opened with the protocol bearer");

  await page.click("#send");
  await waitForLog(page, "test: hello");
  console.log("ok 2 - a message comes back with the identity");

  for (const [name, protocols] of [
    ["no token", null],
    ["the marker alone", ["bearer"]],
    ["a malformed token", ["bearer", "x.y.z"]],
    ["a forged token", ["bearer", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.AAAA"]],
  ]) {
    const outcome = await probe(page, protocols);
    check(!outcome.opened, `a socket with ${name} opened: ${JSON.stringify(outcome)}`);
    console.log(`ok - a socket with ${name} never opens (close code ${outcome.code})`);
  }

  check(errors.length === 0, `page errors: ${errors.join("; ")}`);
  console.log("PASS");
}

main()
  .then(() => browser.close())
  .then(() => process.exit(0))
  .catch(async (err) => {
    console.error(`FAIL: ${err.message}`);
    await browser?.close().catch(() => {});
    process.exit(1);
  });
