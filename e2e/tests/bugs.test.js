// Named to run before chat.test.js, whose last test stops the shared server.
// The bugs of issue 20, each as a browser test that failed before its fix: a profile
// with an uploaded avatar saves; errors are sentences; a room with an image opens at
// its newest message; a lost connection shows; slow mode says how long and keeps the
// text; drafts survive a reload; small layout fixes; email links pasted into an open tab.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BASE, PASSWORD, TIMEOUT, suffix, launch, person as newPerson, register, createPublicRoom, joinPublicRoom, messages, send,
} from "../support/browser.js";
import { png } from "../support/png.js";

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

const person = (viewport) => newPerson(browser, viewport);

async function done(...people) {
  for (const p of people) {
    assert.deepEqual(p.errors, []);
    await p.context.close();
  }
}

/** How far the open room's message list is from its bottom, in px. */
function distanceFromBottom(page) {
  return page.locator(".messages").evaluate((sc) => sc.scrollHeight - sc.scrollTop - sc.clientHeight);
}

test("bug 1: a profile with an uploaded avatar can be saved", async () => {
  const a = await person();
  await register(a.page, `av_${suffix}`);
  await a.page.getByTestId("profile").click();
  const dlg = a.page.getByTestId("profile-dialog");
  await dlg.getByTestId("profile-avatar-file").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: png(32, [30, 120, 200]) });
  await a.page.getByText("Avatar uploaded.").waitFor();
  await dlg.getByTestId("profile-display-name").fill("Ava Upload");
  await dlg.getByTestId("profile-bio").fill("Has an avatar.");
  await dlg.getByTestId("dialog-submit").click();
  await dlg.waitFor({ state: "detached" });
  const me = await a.page.evaluate(async () => (await fetch("/api/me")).json());
  assert.equal(me.display_name, "Ava Upload");
  assert.equal(me.bio, "Has an avatar.");
  assert.match(me.avatar_url, /^\/api\/files\//, "the uploaded avatar is kept");
  await done(a);
});

test("bug 6: errors are sentences, not internal codes", async () => {
  const a = await person();
  const name = `taken_${suffix}`;
  await register(a.page, name);
  await a.context.clearCookies();
  await a.page.goto(BASE);
  await a.page.getByTestId("tab-register").click();
  await a.page.getByTestId("auth-username").fill(name);
  await a.page.getByTestId("auth-password").fill(PASSWORD);
  await a.page.getByTestId("auth-submit").click();
  const err = a.page.getByTestId("auth-error");
  await err.filter({ hasText: /./ }).waitFor();
  assert.equal((await err.innerText()).trim(), "That username is taken. Try another one.");
  await a.page.getByTestId("tab-login").click();
  await a.page.getByTestId("auth-username").fill(name);
  await a.page.getByTestId("auth-password").fill("not the password");
  await a.page.getByTestId("auth-submit").click();
  await err.filter({ hasText: /./ }).waitFor();
  assert.equal((await err.innerText()).trim(), "Wrong username or password.");
  await done(a);
});

test("bug 2: a room with an image opens at its newest message", async () => {
  const a = await person({ width: 1280, height: 640 });
  await register(a.page, `img_${suffix}`);
  await createPublicRoom(a.page, `plain-${suffix}`);
  await createPublicRoom(a.page, `gallery-${suffix}`);
  await a.page.getByTestId("attach-input").setInputFiles({ name: "big.png", mimeType: "image/png", buffer: png(300, [20, 160, 60]) });
  await a.page.getByTestId("message-image").waitFor();
  for (let i = 1; i <= 3; i++) {
    await send(a.page, `after the picture ${i}`);
    await messages(a.page, `after the picture ${i}`).waitFor();
  }
  // A slow network: the image arrives well after the room's messages.
  await a.page.route("**/api/files/**", async (route) => { await new Promise((r) => setTimeout(r, 1500)); await route.continue(); });
  await a.page.getByTestId("room-item").filter({ hasText: `plain-${suffix}` }).click();
  await a.page.getByTestId("room-title").filter({ hasText: `plain-${suffix}` }).waitFor();
  await a.page.getByTestId("room-item").filter({ hasText: `gallery-${suffix}` }).click();
  await messages(a.page, "after the picture 3").waitFor();
  // While the image loads, its box already has its height.
  const box = await a.page.getByTestId("message-image").boundingBox();
  assert.ok(box.height >= 100, `the loading image reserves its height (${box.height} px)`);
  await a.page.waitForFunction(
    () => { const i = document.querySelector('[data-testid="message-image"]'); return i && i.complete && i.naturalWidth > 0; },
    null, { timeout: TIMEOUT });
  assert.ok(await distanceFromBottom(a.page) < 4, "the list is scrolled to its bottom");
  await done(a);
});

test("bug 3: a lost connection is shown (offline event, silent network)", async (t) => {
  const a = await person();
  let silent = false;
  await a.context.routeWebSocket(/\/api\/ws$/, (ws) => {
    const server = ws.connectToServer();
    // A dead network: nothing comes back any more, and no close either.
    server.onMessage((m) => { if (!silent) ws.send(m); });
    ws.onMessage((m) => { if (!silent) server.send(m); });
  });
  await register(a.page, `net_${suffix}`);
  await createPublicRoom(a.page, `net-${suffix}`);
  const banner = a.page.getByTestId("connection");

  await t.test("the browser goes offline: the banner shows at once, and hides when back", async () => {
    await a.context.setOffline(true);
    await a.page.locator('[data-testid="connection"][data-state="offline"]').waitFor({ timeout: 3000 });
    assert.match(await banner.innerText(), /Connection lost/);
    await a.context.setOffline(false);
    await banner.waitFor({ state: "hidden" });
  });

  await t.test("a silent network: a send is not left at 'sending…'; the banner shows", async () => {
    silent = true;
    await send(a.page, "into the void");
    await a.page.locator('[data-testid="connection"][data-state="offline"]').waitFor({ timeout: 20_000 });
    const pending = a.page.getByTestId("pending-message");
    assert.match(await pending.innerText(), /Waiting for the connection/);
    silent = false;
    // Up to one more silent attempt (8 s) and a backoff before the next one.
    await messages(a.page, "into the void").waitFor({ timeout: 30_000 });
    await banner.waitFor({ state: "hidden" });
  });
  await done(a);
});

test("bug 8: slow mode says how long to wait and keeps the text", async () => {
  const a = await person();
  const b = await person();
  await register(a.page, `slow_a_${suffix}`);
  await register(b.page, `slow_b_${suffix}`);
  await createPublicRoom(a.page, `slow-${suffix}`);
  await a.page.getByTestId("room-settings").click();
  const dlg = a.page.getByTestId("settings-dialog");
  await dlg.getByTestId("settings-slow").selectOption("30");
  await dlg.getByTestId("dialog-submit").click();
  await a.page.getByText("Room settings saved.").waitFor();
  await joinPublicRoom(b.page, `slow-${suffix}`);
  await send(b.page, "first one");
  await messages(b.page, "first one").waitFor();
  await send(b.page, "too early");
  const notice = b.page.getByTestId("slow-wait");
  await notice.waitFor();
  assert.match(await notice.innerText(), /you can send again in \d+ s/);
  assert.equal(await b.page.getByTestId("composer").inputValue(), "too early");
  assert.equal(await b.page.getByTestId("pending-message").count(), 0);
  await done(a, b);
});

test("bug 10: drafts survive a reload; small layout fixes", async (t) => {
  const a = await person({ width: 1280, height: 640 });
  const long = "Bartholomew Montgomery-Fitzgerald";
  await register(a.page, { username: `draft_${suffix}`, display: long });
  await createPublicRoom(a.page, `drafts-${suffix}`);

  await t.test("a draft is kept in local storage across a reload", async () => {
    await a.page.getByTestId("composer").fill("half a thought");
    await a.page.reload();
    await a.page.getByTestId("room-title").filter({ hasText: `drafts-${suffix}` }).waitFor();
    assert.equal(await a.page.getByTestId("composer").inputValue(), "half a thought");
    await a.page.getByTestId("composer").press("Enter");
    await messages(a.page, "half a thought").waitFor();
    await a.page.reload();
    await a.page.getByTestId("room-title").filter({ hasText: `drafts-${suffix}` }).waitFor();
    assert.equal(await a.page.getByTestId("composer").inputValue(), "", "a sent draft is forgotten");
  });

  await t.test("one's own member entry shows '(you)' whole", async () => {
    const you = a.page.locator('[data-testid="member"] .you');
    await you.waitFor();
    const clipped = await you.evaluate((el) => el.getBoundingClientRect().right > el.closest(".member-text").getBoundingClientRect().right + 0.5);
    assert.equal(clipped, false);
  });

  await t.test("the member limit is not described as 'no limit' beside a number", async () => {
    await a.page.getByTestId("room-settings").click();
    const dlg = a.page.getByTestId("settings-dialog");
    await dlg.waitFor();
    assert.doesNotMatch(await dlg.innerText(), /no limit/);
    await dlg.getByTestId("dialog-close").click();
  });

  await t.test("the scroll-to-bottom button shows when scrolled up", async () => {
    for (let i = 1; i <= 25; i++) await send(a.page, `filler ${i}`);
    await messages(a.page, "filler 25").waitFor();
    await a.page.locator(".messages").evaluate((sc) => { sc.scrollTop = 0; sc.dispatchEvent(new Event("scroll")); });
    const jump = a.page.getByTestId("jump-latest");
    await jump.waitFor();
    await jump.click();
    await jump.waitFor({ state: "hidden" });
  });

  await t.test("'Forgot your password?' keeps its distance from Log in", async () => {
    await a.context.clearCookies();
    await a.page.goto(BASE);
    await a.page.getByTestId("auth-screen").waitFor();
    const submit = await a.page.getByTestId("auth-submit").boundingBox();
    const forgot = await a.page.getByTestId("forgot-password").boundingBox();
    assert.ok(forgot.y - (submit.y + submit.height) >= 8, "at least 8 px between them");
  });
  await done(a);
});

test("bug 7: a verification link pasted into an open tab is handled", async () => {
  const a = await person();
  await register(a.page, `link_${suffix}`);
  await a.page.evaluate(() => { location.hash = "#verify-email=not-a-real-token"; });
  await a.page.getByText("This link is invalid, used or expired.").waitFor();
  assert.equal(await a.page.evaluate(() => location.hash), "");
  await a.page.evaluate(() => { location.hash = "#reset-password=not-a-real-token"; });
  await a.page.getByTestId("reset-dialog").waitFor();
  await done(a);
});
