// Helpers for browser tests: launch Chromium, one browser context per user (page
// errors and CSP violations collected), and the few UI steps most scenarios share.

import assert from "node:assert/strict";
import { chromium } from "playwright-core";

export const BASE = process.env.CHAT_URL;
export const PASSWORD = "correct horse battery";
export const suffix = Date.now().toString(36).slice(-5);
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const TIMEOUT = 10_000;

export async function launch() {
  assert.ok(BASE, "CHAT_URL is not set: run e2e/run.sh");
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
}

let people = 0;

/**
 * A user in their own browser context; `errors` collects page errors. Each comes from
 * its own client address (X-Forwarded-For, trusted by the server run.sh starts).
 */
export async function person(browser, viewport = { width: 1280, height: 800 }, options = {}) {
  people += 1;
  const address = `10.20.${(process.pid % 250) + 1}.${(people % 250) + 1}`;
  const context = await browser.newContext({ viewport, colorScheme: "light", extraHTTPHeaders: { "x-forwarded-for": address }, ...options });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error" && !/Failed to load resource|WebSocket connection/.test(m.text())) errors.push(m.text()); });
  return { context, page, errors };
}

/** Register `user`: `{username, display}`, or a username (no display name). */
export async function register(page, user) {
  const { username, display } = typeof user === "string" ? { username: user } : user;
  await page.goto(BASE);
  await page.getByTestId("auth-screen").waitFor();
  await page.getByTestId("tab-register").click();
  await page.getByTestId("auth-username").fill(username);
  if (display) await page.getByTestId("auth-display-name").fill(display);
  await page.getByTestId("auth-password").fill(PASSWORD);
  await page.getByTestId("auth-submit").click();
  await page.getByTestId("app").waitFor();
  await page.getByTestId("connection").waitFor({ state: "hidden" });
}

/** Create a public room and wait until it is open. */
export async function createPublicRoom(page, name) {
  await page.getByTestId("new-room").click();
  const dlg = page.getByTestId("create-room-dialog");
  await dlg.getByTestId("room-name").fill(name);
  await dlg.getByTestId("dialog-submit").click();
  await dlg.waitFor({ state: "detached" });
  await page.getByTestId("room-title").filter({ hasText: name }).waitFor();
}

/** Join a public room from Browse and wait until it is open. */
export async function joinPublicRoom(page, name) {
  await page.getByTestId("browse-rooms").click();
  const browse = page.getByTestId("browse-dialog");
  await browse.getByTestId("browse-item").filter({ hasText: name }).getByTestId("browse-join").click();
  await browse.waitFor({ state: "detached" });
  await page.getByTestId("room-title").filter({ hasText: name }).waitFor();
}

export function messages(page, text) {
  return page.locator('[data-testid="message"]', { has: page.locator('[data-testid="message-body"]', { hasText: text }) });
}

export async function send(page, text) {
  await page.getByTestId("composer").fill(text);
  await page.getByTestId("composer").press("Enter");
}

export function member(page, username) {
  return page.locator(`[data-testid="members"] [data-testid="member"][data-username="${username}"]`);
}
