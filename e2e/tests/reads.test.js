// Read state in the browser (issue 16): badges come from the server's counts, a mention
// shows as a mention badge and a highlighted message under a "new messages" divider,
// reading clears the badge on every tab, a reload agrees, and "Seen" follows receipts.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BASE, suffix, launch, person as newPerson, register, createPublicRoom, joinPublicRoom, messages, send, member,
} from "../support/browser.js";
import { seriousViolations } from "../support/axe.js";

let browser;
before(async () => {
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

const person = (options) => newPerson(browser, { width: 1280, height: 800 }, options);
const roomItem = (page, name) => page.getByTestId("room-item").filter({ hasText: name });

/** My read state of a room as the server has it (`GET /me/rooms`). */
async function serverRead(page, roomName) {
  return page.evaluate(async (name) => {
    const res = await fetch("/api/me/rooms", { headers: { accept: "application/json" } });
    const data = await res.json();
    const all = [...(data.public || []), ...(data.private || []), ...(data.direct || [])];
    const room = all.find((r) => r.name === name);
    return room ? room.read : null;
  }, roomName);
}

/** Wait until the server has read the room up to its last message for this user. */
async function readOnServer(page, roomName) {
  for (let i = 0; i < 100; i++) {
    const read = await serverRead(page, roomName);
    if (read && read.unread === 0 && read.mentions === 0) return read;
    await page.waitForTimeout(100);
  }
  assert.fail(`the server never saw ${roomName} read`);
}

/** Whether the divider is the last row above the message (day separators aside). */
async function dividerRightAbove(page, text) {
  return page.evaluate((text) => {
    const target = Array.from(document.querySelectorAll('[data-testid="message"]'))
      .find((el) => el.querySelector('[data-testid="message-body"]')?.textContent.includes(text));
    if (!target) return "no message";
    let el = target.previousElementSibling;
    while (el && el.classList.contains("day-sep")) el = el.previousElementSibling;
    return el && el.dataset.testid === "new-divider" ? "above" : `not above (${el ? el.className : "nothing"})`;
  }, text);
}

test("a mention: badge, divider, highlight, read, reload; Seen in a direct room", async (t) => {
  const a = await person();
  const b = await person();
  const A = { username: `ra_${suffix}`, display: "Rita Author" };
  const B = { username: `rb_${suffix}`, display: "Rob Reader" };
  const room = `reads-${suffix}`;
  const other = `elsewhere-${suffix}`;

  await register(a.page, A);
  await register(b.page, B);
  await createPublicRoom(a.page, room);
  await joinPublicRoom(b.page, room);
  await send(a.page, "before the mention");
  await messages(b.page, "before the mention").waitFor();
  await createPublicRoom(b.page, other);

  await t.test("B's sidebar shows a mention badge for a room B is not in", async () => {
    await send(a.page, `hello @${B.username}, look at this`);
    await roomItem(b.page, room).getByTestId("mention-badge").filter({ hasText: "@1" }).waitFor();
    await roomItem(b.page, room).getByTestId("unread-badge").filter({ hasText: "1" }).waitFor();
    assert.equal(await roomItem(b.page, other).getByTestId("unread-badge").count(), 0);
    await b.page.waitForFunction(() => document.title === "(1) @1 chatcore");
    // The server counts it too (not only this tab).
    const read = await serverRead(b.page, room);
    assert.equal(read.unread, 1);
    assert.equal(read.mentions, 1);
  });

  await t.test("opening the room: the divider sits above the mention, which is highlighted", async () => {
    await roomItem(b.page, room).click();
    await b.page.getByTestId("new-divider").waitFor();
    assert.equal(await b.page.getByTestId("new-divider").count(), 1);
    assert.equal(await dividerRightAbove(b.page, "look at this"), "above");
    assert.match(await messages(b.page, "look at this").getAttribute("class"), /\bmention\b/);
    assert.doesNotMatch(await messages(b.page, "before the mention").getAttribute("class"), /\bmention\b/);
    // Seen at the bottom in a visible window: read, so the badges and the title clear.
    await roomItem(b.page, room).getByTestId("mention-badge").waitFor({ state: "detached" });
    await roomItem(b.page, room).getByTestId("unread-badge").waitFor({ state: "detached" });
    await b.page.waitForFunction(() => document.title === "chatcore");
    await readOnServer(b.page, room);
  });

  await t.test("after a reload: still read, no divider, still highlighted", async () => {
    await b.page.reload();
    await b.page.getByTestId("app").waitFor();
    await b.page.getByTestId("room-title").filter({ hasText: room }).waitFor();
    await messages(b.page, "look at this").waitFor();
    await b.page.getByTestId("connection").waitFor({ state: "hidden" });
    assert.equal(await b.page.getByTestId("new-divider").count(), 0);
    assert.equal(await roomItem(b.page, room).locator(".badge").count(), 0);
    assert.match(await messages(b.page, "look at this").getAttribute("class"), /\bmention\b/);
    // The other room was read when B created it.
    await roomItem(b.page, other).click();
    await b.page.getByTestId("room-title").filter({ hasText: other }).waitFor();
    assert.equal(await b.page.getByTestId("new-divider").count(), 0);
    assert.equal(await b.page.title(), "chatcore");
  });

  await t.test("in their direct room, A sees Seen once B has read", async () => {
    await member(a.page, B.username).click();
    await a.page.getByTestId("user-dialog").getByTestId("user-message").click();
    await a.page.getByTestId("room-title").filter({ hasText: B.display }).waitFor();
    await send(a.page, "just for you");
    await messages(a.page, "just for you").waitFor();
    await roomItem(b.page, A.display).getByTestId("unread-badge").filter({ hasText: "1" }).waitFor();
    assert.equal(await a.page.getByTestId("seen").count(), 0, "not seen yet");
    await roomItem(b.page, A.display).click();
    await messages(b.page, "just for you").waitFor();
    await a.page.getByTestId("seen").waitFor();
    // B answers: the "Seen" goes (the conversation moved on), and comes back under A's next message once read.
    await send(b.page, "got it");
    await messages(a.page, "got it").waitFor();
    await a.page.getByTestId("seen").waitFor({ state: "detached" });
    await send(a.page, "great");
    await a.page.getByTestId("seen").waitFor();
  });

  await t.test("no page errors", () => {
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });
  await a.context.close();
  await b.context.close();
});

test("two tabs of one user agree: reading in one clears the badge in the other", async (t) => {
  const a = await person();
  // bypassCSP: axe's script is added to the page.
  const b = await person({ bypassCSP: true });
  const A = { username: `ta_${suffix}`, display: "Tess Writer" };
  const B = { username: `tb_${suffix}`, display: "Theo Twotabs" };
  const room = `tabs-${suffix}`;
  const other = `quiet-${suffix}`;

  await register(a.page, A);
  await register(b.page, B);
  await createPublicRoom(a.page, room);
  await joinPublicRoom(b.page, room);
  await createPublicRoom(b.page, other);
  const tab2 = await b.context.newPage();
  const tab2Errors = [];
  tab2.on("pageerror", (e) => tab2Errors.push(String(e)));
  await tab2.goto(`${BASE}/#room/`);
  await tab2.getByTestId("app").waitFor();
  await tab2.getByTestId("connection").waitFor({ state: "hidden" });
  await roomItem(tab2, other).click();
  await tab2.getByTestId("room-title").filter({ hasText: other }).waitFor();

  await t.test("both tabs count the new messages", async () => {
    await send(a.page, "one");
    await send(a.page, `two, @${B.username}`);
    for (const page of [b.page, tab2]) {
      await roomItem(page, room).getByTestId("unread-badge").filter({ hasText: "2" }).waitFor();
      await roomItem(page, room).getByTestId("mention-badge").filter({ hasText: "@1" }).waitFor();
    }
  });

  await t.test("no serious accessibility violations with badges", async () => {
    for (const theme of ["light", "dark"]) {
      await b.page.evaluate((th) => { document.documentElement.dataset.theme = th; }, theme);
      await b.page.waitForTimeout(250);
      const found = await seriousViolations(b.page);
      assert.deepEqual(found, [], `badges (${theme}):\n${found.join("\n")}`);
    }
  });

  await t.test("reading in one tab clears the badge in the other", async () => {
    await roomItem(b.page, room).click();
    await b.page.getByTestId("new-divider").waitFor();
    await roomItem(b.page, room).locator(".badge").first().waitFor({ state: "detached" });
    await roomItem(tab2, room).getByTestId("unread-badge").waitFor({ state: "detached" });
    await roomItem(tab2, room).getByTestId("mention-badge").waitFor({ state: "detached" });
    await tab2.waitForFunction(() => document.title === "chatcore");
    // A small room: the writer sees the reader's avatar under the last message read.
    await a.page.locator(`[data-testid="seen-by"][aria-label="Seen by ${B.display}"]`).waitFor();
  });

  await t.test("no serious accessibility violations with the divider and a mention", async () => {
    for (const theme of ["light", "dark"]) {
      await b.page.evaluate((th) => { document.documentElement.dataset.theme = th; }, theme);
      await b.page.waitForTimeout(250);
      const found = await seriousViolations(b.page);
      assert.deepEqual(found, [], `divider and mention (${theme}):\n${found.join("\n")}`);
    }
    await b.page.evaluate(() => { document.documentElement.dataset.theme = "light"; });
  });

  await t.test("the notification level, where the server has it, is shared by the tabs", async (t2) => {
    const read = await serverRead(b.page, room);
    if (!read || typeof read.notifications !== "string") {
      t2.skip("this server has no per-room notification level yet (see the stubbed test below)");
      return;
    }
    await b.page.getByTestId("room-settings").click();
    const dlg = b.page.getByTestId("settings-dialog");
    await dlg.getByTestId("notify-section").waitFor();
    await dlg.getByTestId("notify-none").click();
    await b.page.waitForFunction(async (name) => {
      const res = await fetch("/api/me/rooms");
      const data = await res.json();
      const r = [...(data.public || [])].find((x) => x.name === name);
      return r && r.read && r.read.notifications === "none";
    }, room);
    assert.deepEqual(await seriousViolations(b.page), []);
    await dlg.getByTestId("dialog-close").click();
    // B's first tab leaves the room: one with it open reads "three" at once, and the
    // other tab's badge would then last only until that read arrives.
    await roomItem(b.page, other).click();
    await b.page.getByTestId("room-title").filter({ hasText: other }).waitFor();
    // Muted: a new message still counts, quietly, in both tabs; the title leaves it out.
    await send(a.page, "three");
    await roomItem(b.page, room).locator(".badge-muted", { hasText: "1" }).waitFor();
    await roomItem(tab2, room).locator(".badge-muted", { hasText: "1" }).waitFor();
    await tab2.waitForFunction(() => document.title === "chatcore");
  });

  await t.test("no page errors", () => {
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
    assert.deepEqual(tab2Errors, []);
  });
  await a.context.close();
  await b.context.close();
});

/**
 * The Notification API, recorded (window.__notes) and granted; and a switch for the
 * page's visibility (window.__setHidden), as a tab in the background has it.
 */
const STUBS = () => {
  window.__notes = [];
  class RecordingNotification {
    constructor(title, options = {}) { window.__notes.push({ title, body: options.body || "" }); }
    close() {}
    static permission = "granted";
    static requestPermission() { return Promise.resolve("granted"); }
  }
  window.Notification = RecordingNotification;
  let hidden = false;
  Object.defineProperty(document, "visibilityState", { get: () => (hidden ? "hidden" : "visible") });
  Object.defineProperty(document, "hidden", { get: () => hidden });
  window.__setHidden = (h) => { hidden = h; document.dispatchEvent(new Event("visibilitychange")); };
};

test("desktop notifications: after the opt-in, for DMs and mentions while the tab is hidden", async (t) => {
  const a = await person();
  const b = await person();
  await b.context.addInitScript(STUBS);
  const A = { username: `na_${suffix}`, display: "Nia Sender" };
  const B = { username: `nb_${suffix}`, display: "Ned Notified" };
  const room = `notify-${suffix}`;
  const other = `calm-${suffix}`;
  await register(a.page, A);
  await register(b.page, B);
  await createPublicRoom(a.page, room);
  await joinPublicRoom(b.page, room);
  await createPublicRoom(b.page, other);
  const notes = () => b.page.evaluate(() => window.__notes);

  await t.test("nothing before the opt-in", async () => {
    await b.page.evaluate(() => window.__setHidden(true));
    await send(a.page, `@${B.username} are you there?`);
    await roomItem(b.page, room).getByTestId("mention-badge").waitFor();
    assert.deepEqual(await notes(), []);
    await b.page.evaluate(() => window.__setHidden(false));
  });

  await t.test("opting in, in the account dialog", async () => {
    await b.page.getByTestId("account").click();
    const dlg = b.page.getByTestId("account-dialog");
    await dlg.getByTestId("desktop-notifications").check();
    await b.page.waitForFunction(() => localStorage.getItem("chatcore.notify") === "on");
    await dlg.getByTestId("dialog-close").click();
  });

  await t.test("hidden: a mention and a direct message notify, a plain message does not", async () => {
    await b.page.evaluate(() => window.__setHidden(true));
    await send(a.page, "just chatting");
    await roomItem(b.page, room).getByTestId("unread-badge").filter({ hasText: "2" }).waitFor();
    assert.deepEqual(await notes(), [], "a plain room message does not notify");
    await send(a.page, `@${B.username} ping`);
    await b.page.waitForFunction(() => window.__notes.length === 1);
    assert.deepEqual(await notes(), [{ title: `${A.display} mentioned you in ${room}`, body: `@${B.username} ping` }]);
    await member(a.page, B.username).click();
    await a.page.getByTestId("user-dialog").getByTestId("user-message").click();
    await a.page.getByTestId("room-title").filter({ hasText: B.display }).waitFor();
    await send(a.page, "a private word");
    await b.page.waitForFunction(() => window.__notes.length === 2);
    assert.deepEqual((await notes())[1], { title: A.display, body: "a private word" });
  });

  await t.test("visible: no notification", async () => {
    await b.page.evaluate(() => window.__setHidden(false));
    await send(a.page, "another private word");
    await roomItem(b.page, A.display).getByTestId("unread-badge").filter({ hasText: "2" }).waitFor();
    assert.equal((await notes()).length, 2);
  });

  await t.test("no page errors", () => {
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });
  await a.context.close();
  await b.context.close();
});

test("the notification level control, against the wire shape of NEWS-reads (server answers stubbed when it has no level)", async (t) => {
  const c = await person({ bypassCSP: true }); // axe's script is added to the page
  const C = { username: `lc_${suffix}`, display: "Lou Levels" };
  const room = `levels-${suffix}`;
  await register(c.page, C);
  await createPublicRoom(c.page, room);
  const real = await serverRead(c.page, room);
  if (real && typeof real.notifications === "string") {
    t.skip("the server has the level: the two-tab test uses it");
    await c.context.close();
    return;
  }
  const puts = [];
  // ReadState gains `notifications`; PUT /rooms/{id}/notifications {level} answers the ReadState.
  await c.page.route("**/api/me/rooms", async (route) => {
    const res = await route.fetch();
    const data = await res.json();
    for (const list of [data.public, data.private, data.direct]) for (const r of list || []) if (r.read) r.read.notifications = "all";
    await route.fulfill({ response: res, json: data });
  });
  await c.page.route("**/api/rooms/*/notifications", async (route) => {
    const body = route.request().postDataJSON();
    puts.push({ method: route.request().method(), body });
    const id = decodeURIComponent(new URL(route.request().url()).pathname.split("/")[3]);
    await route.fulfill({ json: { room: id, last_read_seq: 0, unread: 0, mentions: 0, notifications: body.level } });
  });
  await c.page.reload();
  await c.page.getByTestId("room-title").filter({ hasText: room }).waitFor();
  await c.page.getByTestId("room-settings").click();
  const dlg = c.page.getByTestId("settings-dialog");
  await dlg.getByTestId("notify-section").waitFor();
  assert.equal(await dlg.getByTestId("notify-all").isChecked(), true);
  await dlg.getByTestId("notify-mentions").click();
  await dlg.getByText("Only messages that mention you notify.").waitFor();
  await c.page.waitForFunction(() => document.querySelector('[data-testid="notify-mentions"]').checked);
  assert.deepEqual(puts, [{ method: "PUT", body: { level: "mentions" } }]);
  // The answer is the room's read state with the new level: it stays chosen.
  await c.page.waitForTimeout(300);
  assert.equal(await dlg.getByTestId("notify-mentions").isChecked(), true);
  assert.equal(await dlg.getByTestId("notify-all").isChecked(), false);
  const found = await seriousViolations(c.page);
  assert.deepEqual(found, [], `the notification setting:\n${found.join("\n")}`);
  assert.deepEqual(c.errors, []);
  await c.context.close();
});
