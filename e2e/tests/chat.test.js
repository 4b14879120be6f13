// End-to-end scenario in a real browser: two users in separate browser contexts.
// Run through e2e/run.sh, which starts chat-server and sets CHAT_URL.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  BASE, PASSWORD, suffix, launch, person as newPerson, register, messages, send, member,
} from "../support/browser.js";

const ARTIFACTS = fileURLToPath(new URL("../artifacts/", import.meta.url));
const ALICE = { username: `alice_${suffix}`, display: "Alice Martin" };
const BOB = { username: `bob_${suffix}`, display: "Bob Chen" };

let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

/** A user in their own browser context; collects page errors to fail on them. */
const person = (viewport) => newPerson(browser, viewport);

async function shot(page, name) {
  await page.waitForTimeout(250); // let transitions settle
  await page.screenshot({ path: `${ARTIFACTS}${name}.png` });
}

/**
 * Screenshots in both themes, flipping with the UI's own toggle (or, while a modal
 * dialog covers it, the way the toggle does: the `data-theme` attribute).
 */
async function shotBothThemes(page, name, { viaToggle = true } = {}) {
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  const flip = async () => {
    if (viaToggle) await page.getByTestId("theme-toggle").first().click();
    else await page.evaluate(() => { const d = document.documentElement.dataset; d.theme = d.theme === "dark" ? "light" : "dark"; });
  };
  const first = await theme();
  await shot(page, `${first}-${name}`);
  await flip();
  const second = await theme();
  assert.notEqual(second, first, "the theme toggle switches the theme");
  await shot(page, `${second}-${name}`);
  await flip();
  assert.equal(await theme(), first);
}

test("two users: private room, live chat, typing, presence, moderation, ban", async (t) => {
  const a = await person();
  const b = await person();
  let code = "";
  const room = "Secret plans";

  await t.test("the login screen renders, with a remembered theme", async () => {
    await a.page.goto(BASE);
    await a.page.getByTestId("auth-screen").waitFor();
    await shotBothThemes(a.page, "login");
    // The choice survives a reload (localStorage).
    await a.page.getByTestId("theme-toggle").click();
    const chosen = await a.page.evaluate(() => document.documentElement.dataset.theme);
    await a.page.reload();
    await a.page.getByTestId("auth-screen").waitFor();
    assert.equal(await a.page.evaluate(() => document.documentElement.dataset.theme), chosen);
    await a.page.getByTestId("theme-toggle").click();
  });

  await t.test("both register and land in the app", async () => {
    await register(a.page, ALICE);
    await register(b.page, BOB);
    await a.page.getByText("Welcome, Alice Martin!").waitFor();
  });

  await t.test("alice creates a private room and sees its code", async () => {
    await a.page.getByTestId("new-room").click();
    const dlg = a.page.getByTestId("create-room-dialog");
    await dlg.getByTestId("kind-private").click();
    await dlg.getByTestId("room-name").fill(room);
    await dlg.getByTestId("room-description").fill("Where the surprise party gets planned");
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });
    await a.page.getByTestId("room-title").filter({ hasText: room }).waitFor();
    await a.page.getByTestId("section-private").getByText(room).waitFor();
    code = (await a.page.getByTestId("room-code").innerText()).trim();
    assert.match(code, /^[A-Z0-9]{8}$/);
  });

  await t.test("bob joins by code and both see each other online", async () => {
    await b.page.getByTestId("join-by-code").click();
    const dlg = b.page.getByTestId("join-code-dialog");
    await dlg.getByTestId("join-code").fill(code.toLowerCase());
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });
    await b.page.getByTestId("room-title").filter({ hasText: room }).waitFor();
    await b.page.getByTestId("section-private").getByText(room).waitFor();
    // Members never see the code.
    assert.equal(await b.page.getByTestId("room-code").count(), 0);
    await member(a.page, BOB.username).and(a.page.locator('[data-online="true"]')).waitFor();
    await member(b.page, ALICE.username).and(b.page.locator('[data-online="true"]')).waitFor();
    await a.page.getByTestId("system-message").filter({ hasText: "Bob Chen joined" }).waitFor();
  });

  await t.test("each sees the other typing", async () => {
    await b.page.getByTestId("composer").pressSequentially("Hel", { delay: 30 });
    await a.page.getByTestId("typing").filter({ hasText: "Bob Chen is typing" }).waitFor();
    await b.page.getByTestId("composer").fill("");
    await a.page.getByTestId("typing").filter({ hasText: "typing" }).waitFor({ state: "detached" }).catch(() => {});
    await a.page.getByTestId("composer").pressSequentially("Hi", { delay: 30 });
    await b.page.getByTestId("typing").filter({ hasText: "Alice Martin is typing" }).waitFor();
    await a.page.getByTestId("composer").fill("");
  });

  await t.test("they chat in real time: send, reply, edit, delete", async () => {
    await send(a.page, "Hello Bob, welcome aboard!");
    await messages(b.page, "Hello Bob, welcome aboard!").waitFor();
    await send(b.page, "Thanks Alice 🎉");
    await messages(a.page, "Thanks Alice 🎉").waitFor();

    // Reply to alice's message.
    const target = messages(b.page, "Hello Bob, welcome aboard!");
    await target.hover();
    await target.getByTestId("msg-reply").click();
    await send(b.page, "When is the party?");
    const reply = messages(a.page, "When is the party?");
    await reply.locator(".msg-reply", { hasText: "Hello Bob" }).waitFor();

    // Edit own message.
    const mine = messages(a.page, "Hello Bob, welcome aboard!");
    await mine.hover();
    await mine.getByTestId("msg-edit").click();
    await a.page.getByTestId("edit-input").fill("Hello Bob, welcome to the team!");
    await a.page.getByTestId("edit-input").press("Enter");
    await messages(b.page, "Hello Bob, welcome to the team!").filter({ hasText: "(edited)" }).waitFor();

    // Delete own message.
    await send(b.page, "oops, wrong room");
    const oops = messages(a.page, "oops, wrong room");
    await oops.waitFor();
    const bOops = messages(b.page, "oops, wrong room");
    await bOops.hover();
    await bOops.getByTestId("msg-delete").click();
    await b.page.getByTestId("confirm-dialog").getByTestId("dialog-submit").click();
    await oops.waitFor({ state: "detached" });
    await a.page.getByText("This message was deleted").waitFor();

    // User text is text, never markup.
    const evil = `<img src=x onerror="window.__pwned=1"><b>bold?</b>`;
    await send(a.page, evil);
    await messages(b.page, "<b>bold?</b>").waitFor();
    assert.equal(await b.page.evaluate(() => window.__pwned), undefined);
    assert.equal(await b.page.locator('[data-testid="message-body"] b').count(), 0);

    // Nothing doubled.
    assert.equal(await messages(a.page, "Thanks Alice 🎉").count(), 1);
    assert.equal(await messages(b.page, "When is the party?").count(), 1);
  });

  await t.test("screenshots: chat view, member moderation, settings, phone", async () => {
    await a.page.getByTestId("composer").click();
    await shotBothThemes(a.page, "chat");
    await member(a.page, BOB.username).click();
    const card = a.page.getByTestId("user-dialog");
    await card.getByTestId("action-ban").waitFor();
    await card.getByTestId("action-kick").waitFor();
    await card.getByTestId("action-promote-moderator").waitFor();
    await shotBothThemes(a.page, "members", { viaToggle: false });
    await card.getByTestId("dialog-close").click();
    await a.page.getByTestId("room-settings").click();
    const settings = a.page.getByTestId("settings-dialog");
    await settings.getByTestId("settings-code").filter({ hasText: code }).waitFor();
    await shotBothThemes(a.page, "settings", { viaToggle: false });
    await settings.getByTestId("dialog-close").click();

    // Bob (a member) has no moderation actions on alice.
    await member(b.page, ALICE.username).click();
    const bCard = b.page.getByTestId("user-dialog");
    await bCard.getByTestId("user-message").waitFor();
    assert.equal(await bCard.getByTestId("member-actions").count(), 0);
    await bCard.getByTestId("dialog-close").click();

    // Phone width: the sidebar collapses behind a menu button.
    const p = await person({ width: 390, height: 844 });
    await p.page.goto(BASE);
    await p.page.getByTestId("auth-screen").waitFor();
    await shot(p.page, "light-phone-login");
    await p.page.getByTestId("auth-username").fill(ALICE.username);
    await p.page.getByTestId("auth-password").fill(PASSWORD);
    await p.page.getByTestId("auth-submit").click();
    await p.page.getByTestId("app").waitFor();
    assert.equal(await p.page.locator(".sidebar").evaluate((el) => el.getBoundingClientRect().right <= 0), true, "sidebar hidden on phones");
    await p.page.getByRole("button", { name: "Open sidebar" }).click();
    await p.page.getByTestId("section-private").getByText(room).click();
    await messages(p.page, "Thanks Alice 🎉").waitFor();
    await shot(p.page, "light-phone-chat");
    await p.page.getByRole("button", { name: "Open sidebar" }).click();
    await shot(p.page, "light-phone-sidebar");
    assert.deepEqual(p.errors, []);
    await p.context.close();
  });

  await t.test("alice promotes and demotes bob", async () => {
    await member(a.page, BOB.username).click();
    await a.page.getByTestId("user-dialog").getByTestId("action-promote-moderator").click();
    await member(a.page, BOB.username).and(a.page.locator('[data-role="moderator"]')).waitFor();
    await member(b.page, BOB.username).and(b.page.locator('[data-role="moderator"]')).waitFor();
    await member(a.page, BOB.username).click();
    await a.page.getByTestId("user-dialog").getByTestId("action-demote-member").click();
    await member(b.page, BOB.username).and(b.page.locator('[data-role="member"]')).waitFor();
  });

  await t.test("alice bans bob: he is removed live and cannot rejoin by code", async () => {
    await member(a.page, BOB.username).click();
    await a.page.getByTestId("user-dialog").getByTestId("action-ban").click();
    const dlg = a.page.getByTestId("ban-dialog");
    await dlg.getByTestId("ban-reason").fill("Spoiling the surprise");
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });

    // Bob: the room vanishes and he is told why.
    await b.page.locator(".toast", { hasText: `You were banned from ${room}` }).waitFor();
    await b.page.getByTestId("section-private").getByText(room).waitFor({ state: "detached" });
    await b.page.getByTestId("composer").waitFor({ state: "hidden" });
    // Alice: bob left the member list; the room records the ban.
    await member(a.page, BOB.username).waitFor({ state: "detached" });
    await a.page.getByTestId("system-message").filter({ hasText: "Bob Chen was banned by Alice Martin" }).waitFor();

    // The code no longer lets him in.
    await b.page.getByTestId("join-by-code").click();
    const join = b.page.getByTestId("join-code-dialog");
    await join.getByTestId("join-code").fill(code);
    await join.getByTestId("dialog-submit").click();
    await join.locator(".form-error", { hasText: /banned/i }).waitFor();
    await join.getByTestId("dialog-close").click();
    assert.equal(await b.page.getByTestId("section-private").getByText(room).count(), 0);

    // The ban is listed with its reason in the room settings.
    await a.page.getByTestId("room-settings").click();
    const settings = a.page.getByTestId("settings-dialog");
    await settings.getByTestId("ban-item").filter({ hasText: "Spoiling the surprise" }).filter({ hasText: "Bob Chen" }).waitFor();
    await settings.getByTestId("dialog-close").click();
  });

  await t.test("unban, rotate the code: only the new code lets him back", async () => {
    await a.page.getByTestId("room-settings").click();
    const settings = a.page.getByTestId("settings-dialog");
    await settings.getByTestId("ban-item").getByTestId("unban").click();
    await settings.getByText("Nobody is banned.").waitFor();
    await settings.getByTestId("rotate-code").click();
    await settings.getByTestId("settings-code").filter({ hasNotText: code }).waitFor();
    const fresh = (await settings.getByTestId("settings-code").innerText()).trim();
    assert.match(fresh, /^[A-Z0-9]{8}$/);
    await settings.getByTestId("dialog-close").click();
    await a.page.getByTestId("room-code").filter({ hasText: fresh }).waitFor();

    await b.page.getByTestId("join-by-code").click();
    const join = b.page.getByTestId("join-code-dialog");
    await join.getByTestId("join-code").fill(code);
    await join.getByTestId("dialog-submit").click();
    await join.locator(".form-error").waitFor();
    await join.getByTestId("join-code").fill(fresh);
    await join.getByTestId("dialog-submit").click();
    await join.waitFor({ state: "detached" });
    await b.page.getByTestId("room-title").filter({ hasText: room }).waitFor();
    await member(a.page, BOB.username).waitFor();
  });

  await t.test("a direct message from the member card", async () => {
    await member(b.page, ALICE.username).click();
    await b.page.getByTestId("user-dialog").getByTestId("user-message").click();
    await b.page.getByTestId("room-title").filter({ hasText: "Alice Martin" }).waitFor();
    await send(b.page, "just between us");
    await a.page.getByTestId("section-direct").getByText("Bob Chen").click();
    await messages(a.page, "just between us").waitFor();
  });

  await t.test("no page errors", () => {
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });

  await a.context.close();
  await b.context.close();
});

test("reconnects by itself and resumes without losing or doubling messages", async (t) => {
  const a = await person();
  const b = await person();
  const carol = { username: `carol_${suffix}`, display: "Carol Diaz" };
  const dave = { username: `dave_${suffix}`, display: "Dave Kim" };

  // Bob's WebSocket goes through a switch the test controls.
  let blocked = false;
  const sockets = [];
  await b.context.routeWebSocket(/\/api\/ws$/, (ws) => {
    if (blocked) {
      ws.close({ code: 1011, reason: "test: network down" });
      return;
    }
    ws.connectToServer();
    sockets.push(ws);
  });

  await register(a.page, carol);
  await register(b.page, dave);

  await t.test("carol creates a public room and dave joins it from the browser", async () => {
    await a.page.getByTestId("new-room").click();
    const dlg = a.page.getByTestId("create-room-dialog");
    await dlg.getByTestId("room-name").fill(`resume-${suffix}`);
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });
    await b.page.getByTestId("browse-rooms").click();
    const browse = b.page.getByTestId("browse-dialog");
    await browse.getByTestId("browse-item").filter({ hasText: `resume-${suffix}` }).getByTestId("browse-join").click();
    await browse.waitFor({ state: "detached" });
    await b.page.getByTestId("room-title").filter({ hasText: `resume-${suffix}` }).waitFor();
    await send(a.page, "before the outage");
    await messages(b.page, "before the outage").waitFor();
  });

  await t.test("the connection drops; messages sent meanwhile arrive once, in order", async () => {
    blocked = true;
    for (const ws of sockets.splice(0)) await ws.close({ code: 1006, reason: "test: cut" }).catch(() => {});
    await b.page.getByTestId("connection").filter({ hasText: /Reconnecting|Connecting/ }).waitFor();
    await send(a.page, "missed one");
    await send(a.page, "missed two");
    await send(a.page, "missed three");
    await messages(a.page, "missed three").waitFor();
    // Dave writes while offline: kept and sent after the reconnect.
    await send(b.page, "written while offline");
    await b.page.getByTestId("pending-message").waitFor();
    await b.page.waitForTimeout(1500);
    blocked = false;
    await b.page.getByTestId("connection").waitFor({ state: "hidden", timeout: 30_000 });
    for (const text of ["missed one", "missed two", "missed three"]) await messages(b.page, text).waitFor();
    await messages(a.page, "written while offline").waitFor();
    await b.page.waitForTimeout(500);
    for (const text of ["before the outage", "missed one", "missed two", "missed three", "written while offline"]) {
      assert.equal(await messages(b.page, text).count(), 1, `"${text}" once for dave`);
      assert.equal(await messages(a.page, text).count(), 1, `"${text}" once for carol`);
    }
    const order = await b.page.locator('[data-testid="message-body"]').allInnerTexts();
    const idx = ["missed one", "missed two", "missed three"].map((s) => order.findIndex((o) => o.startsWith(s)));
    assert.deepEqual([...idx].sort((x, y) => x - y), idx, "in order");
    assert.equal(await b.page.getByTestId("pending-message").count(), 0);
  });

  await t.test("unread badges count messages in other rooms", async () => {
    await a.page.getByTestId("new-room").click();
    const dlg = a.page.getByTestId("create-room-dialog");
    await dlg.getByTestId("room-name").fill(`side-${suffix}`);
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });
    await b.page.getByTestId("browse-rooms").click();
    const browse = b.page.getByTestId("browse-dialog");
    await browse.getByTestId("browse-item").filter({ hasText: `side-${suffix}` }).getByTestId("browse-join").click();
    await browse.waitFor({ state: "detached" });
    // Dave goes back to the first room; Carol writes twice in the side room.
    await b.page.getByTestId("room-item").filter({ hasText: `resume-${suffix}` }).click();
    await send(a.page, "psst");
    await send(a.page, "over here");
    const item = b.page.getByTestId("room-item").filter({ hasText: `side-${suffix}` });
    await item.locator(".badge", { hasText: "2" }).waitFor();
    await item.click();
    await messages(b.page, "over here").waitFor();
    await item.locator(".badge").waitFor({ state: "detached" });
  });

  await t.test("history: older messages load when scrolling up", async () => {
    // Both post through the REST API (each user has their own rate limit).
    const post = (page, from, to) => page.evaluate(async ({ room, from, to }) => {
      for (let i = from; i <= to; i++) {
        for (;;) {
          const res = await fetch(`/api/rooms/${room}/messages`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-requested-with": "e2e" },
            body: JSON.stringify({ body: `history ${String(i).padStart(3, "0")}` }),
          });
          if (res.status === 429) { await new Promise((r) => setTimeout(r, 250)); continue; }
          if (!res.ok) throw new Error(`POST failed: ${res.status} ${await res.text()}`);
          break;
        }
      }
    }, { room: roomId, from, to });
    const roomId = await a.page.evaluate(() => decodeURIComponent(location.hash.replace(/^#room\//, "")));
    assert.match(roomId, /^[0-9a-f-]{36}$/);
    await Promise.all([post(a.page, 1, 45), post(b.page, 46, 90)]);
    await b.page.reload();
    await b.page.getByTestId("room-title").filter({ hasText: `side-${suffix}` }).waitFor();
    await messages(b.page, "history 090").waitFor();
    assert.equal(await messages(b.page, "history 001").count(), 0, "only the last page at first");
    const scroller = b.page.locator(".messages");
    for (let i = 0; i < 20 && (await messages(b.page, "history 001").count()) === 0; i++) {
      await scroller.evaluate((el) => { el.scrollTop = 0; el.dispatchEvent(new Event("scroll")); });
      await b.page.waitForTimeout(300);
    }
    await messages(b.page, "history 001").waitFor();
    await b.page.getByTestId("room-intro").waitFor();
    const bodies = (await b.page.locator('[data-testid="message-body"]').allInnerTexts()).filter((t) => t.startsWith("history "));
    assert.equal(bodies.length, 90, "every message once");
    assert.equal(new Set(bodies).size, 90);
    // The two writers interleave; the room's order is its sequence numbers.
    const seqs = (await b.page.locator(".msg-list > [data-seq]").evaluateAll((els) => els.map((e) => Number(e.dataset.seq))));
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), "ascending by seq");
    assert.equal(new Set(seqs).size, seqs.length, "no seq twice");
  });

  await t.test("a message sent while a just-joined room's first page loads is shown once", async () => {
    // Dave's first-page request is held: the server reads the page, then Carol
    // writes (Dave's connection is sent her message live), and only then does the
    // page reach the browser. The message must not fall between the two.
    let pageRead;
    const read = new Promise((resolve) => { pageRead = resolve; });
    let release;
    const released = new Promise((resolve) => { release = resolve; });
    await b.page.route(/\/api\/rooms\/[^/]+\/messages\?/, async (route) => {
      const response = await route.fetch();
      pageRead();
      await released;
      await route.fulfill({ response });
    }, { times: 1 });
    await a.page.getByTestId("new-room").click();
    const dlg = a.page.getByTestId("create-room-dialog");
    await dlg.getByTestId("room-name").fill(`late-${suffix}`);
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });
    await send(a.page, "already there");
    await messages(a.page, "already there").waitFor();
    await b.page.getByTestId("browse-rooms").click();
    const browse = b.page.getByTestId("browse-dialog");
    await browse.getByTestId("browse-item").filter({ hasText: `late-${suffix}` }).getByTestId("browse-join").click();
    await browse.waitFor({ state: "detached" });
    await read;
    await send(a.page, "while dave loads");
    await messages(a.page, "while dave loads").waitFor();
    await b.page.waitForTimeout(500); // the live copy reaches Dave's connection
    release();
    await messages(b.page, "already there").waitFor();
    await messages(b.page, "while dave loads").waitFor();
    await b.page.waitForTimeout(300);
    assert.equal(await messages(b.page, "while dave loads").count(), 1);
    assert.equal(await messages(b.page, "already there").count(), 1);
  });

  await t.test("no page errors", () => {
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });

  await a.context.close();
  await b.context.close();
});

test("profile, room settings, leave and delete", async (t) => {
  const a = await person();
  const b = await person();
  const gina = { username: `gina_${suffix}`, display: "Gina Park" };
  const hank = { username: `hank_${suffix}`, display: "Hank Ode" };
  const roomName = `settings-${suffix}`;
  await register(a.page, gina);
  await register(b.page, hank);

  await t.test("a profile edit shows at once", async () => {
    await a.page.getByTestId("profile").click();
    const dlg = a.page.getByTestId("profile-dialog");
    await dlg.getByTestId("profile-display-name").fill("Gina P.");
    await dlg.getByTestId("profile-bio").fill("Plans parties. <script>alert(1)</script>");
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });
    await a.page.locator(".me-name", { hasText: "Gina P." }).waitFor();
    await a.page.getByTestId("profile").click();
    assert.equal(await a.page.getByTestId("profile-bio").inputValue(), "Plans parties. <script>alert(1)</script>");
    await a.page.getByTestId("profile-dialog").getByTestId("dialog-close").click();
  });

  await t.test("a password-protected public room: wrong password refused, right one accepted", async () => {
    await a.page.getByTestId("new-room").click();
    const dlg = a.page.getByTestId("create-room-dialog");
    await dlg.getByTestId("room-name").fill(roomName);
    await dlg.getByTestId("room-password").fill("sesame-42");
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });
    await b.page.getByTestId("browse-rooms").click();
    const browse = b.page.getByTestId("browse-dialog");
    const item = browse.getByTestId("browse-item").filter({ hasText: roomName });
    await item.getByTestId("browse-join").click();
    await item.locator('input[type="password"]').fill("wrong");
    await item.getByTestId("browse-join").click();
    await browse.locator(".form-error").waitFor();
    await item.locator('input[type="password"]').fill("sesame-42");
    await item.getByTestId("browse-join").click();
    await browse.waitFor({ state: "detached" });
    await b.page.getByTestId("room-title").filter({ hasText: roomName }).waitFor();
  });

  await t.test("settings: a rename reaches the other member live", async () => {
    await a.page.getByTestId("room-settings").click();
    const dlg = a.page.getByTestId("settings-dialog");
    await dlg.getByTestId("settings-name").fill(`${roomName}-renamed`);
    await dlg.getByTestId("settings-description").fill("Now with a description");
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });
    await b.page.getByTestId("room-title").filter({ hasText: `${roomName}-renamed` }).waitFor();
    await b.page.locator(".head-sub", { hasText: "Now with a description" }).waitFor();
    // A member sees the settings read-only, with a way out.
    await b.page.getByTestId("room-settings").click();
    const bSettings = b.page.getByTestId("settings-dialog");
    await bSettings.getByTestId("leave-room").waitFor();
    assert.equal(await bSettings.getByTestId("settings-name").count(), 0);
    assert.equal(await bSettings.getByTestId("delete-room").count(), 0);
    await bSettings.getByTestId("dialog-close").click();
  });

  await t.test("leave, then the owner deletes the room", async () => {
    await b.page.getByTestId("room-settings").click();
    await b.page.getByTestId("settings-dialog").getByTestId("leave-room").click();
    await b.page.getByTestId("confirm-dialog").getByTestId("dialog-submit").click();
    await b.page.getByTestId("room-item").filter({ hasText: roomName }).waitFor({ state: "detached" });
    await a.page.getByTestId("system-message").filter({ hasText: "Hank Ode left" }).waitFor();
    await a.page.getByTestId("room-settings").click();
    await a.page.getByTestId("settings-dialog").getByTestId("delete-room").click();
    await a.page.getByTestId("confirm-dialog").getByTestId("dialog-submit").click();
    await a.page.getByTestId("room-item").filter({ hasText: roomName }).waitFor({ state: "detached" });
    await a.page.locator(".empty-state h2").waitFor();
  });

  await t.test("no page errors", () => {
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });

  await a.context.close();
  await b.context.close();
});
