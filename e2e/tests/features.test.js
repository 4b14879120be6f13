// Issue 17's web UI with three users, A (owner), B and C: reactions live (the picker by
// mouse and keyboard, chips that toggle), pins (offered as the server's permissions
// say; the pinned list updates live and jumps to the message), search (highlighted
// snippets; a hit on an older message opens the room with the history around it), and
// no serious accessibility violation in what these add.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  suffix, launch, person as newPerson, register, createPublicRoom, joinPublicRoom, messages, send,
} from "../support/browser.js";
import { seriousViolations } from "../support/axe.js";
import { register as registerHook } from "node:module";

// The client state, without a browser (as store.test.js does).
registerHook("../support/importmap.js", import.meta.url);
const UI = "../../examples/chat-server/ui/js/";
const { session, roomState, addMessages, putRoom } = await import(`${UI}state/store.js`);
const { onReaction } = await import(`${UI}state/reactions.js`);
const { snippetParts } = await import(`${UI}state/search.js`);

let browser;
before(async () => { browser = await launch(); });
after(async () => { if (browser) await browser.close(); });

const ANA = { username: `fa_${suffix}`, display: "Ana Owner" };
const BEN = { username: `fb_${suffix}`, display: "Ben Mod" };
const CY = { username: `fc_${suffix}`, display: "Cy Member" };

/** The REST API from inside a page (its session cookie). */
function rest(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const res = await fetch(`/api${path}`, {
      method,
      headers: { "content-type": "application/json", "x-requested-with": "chatcore", accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }, { method, path, body });
}

const roomIdOf = (page) => page.evaluate(() => decodeURIComponent(location.hash.replace(/^#\/?room\//, "")));

/** Send `n` messages over REST (slowly enough for the send rate limit). */
async function bulk(page, roomId, prefix, n) {
  for (let i = 0; i < n; i++) {
    for (;;) {
      const r = await rest(page, "POST", `/rooms/${roomId}/messages`, { body: `${prefix} ${i}` });
      if (r.status === 201) break;
      assert.equal(r.status, 429, JSON.stringify(r.body));
      await page.waitForTimeout(300);
    }
  }
}

const chip = (row, emoji) => row.locator(`[data-testid="reaction-chip"][data-emoji="${emoji}"]`);

/** Whether an element lies within the visible part of the message list. */
const inView = (locator) => locator.evaluate((el) => {
  const box = el.getBoundingClientRect();
  const sc = el.closest(".messages").getBoundingClientRect();
  return box.top >= sc.top - 1 && box.bottom <= sc.bottom + 1;
});

async function checkBothThemes(page, what) {
  for (const theme of ["light", "dark"]) {
    await page.evaluate((t) => { document.documentElement.dataset.theme = t; }, theme);
    await page.waitForTimeout(250);
    const found = await seriousViolations(page);
    assert.deepEqual(found, [], `${what} (${theme}):\n${found.join("\n")}`);
  }
  await page.evaluate(() => { document.documentElement.dataset.theme = "light"; });
}

test("search snippets: highlights are code-point ranges, clipped, never markup", () => {
  assert.deepEqual(snippetParts("a quokka <b>", [[2, 8]]), [["a ", false], ["quokka", true], [" <b>", false]]);
  // Offsets count characters as the server does (an emoji is one), not UTF-16 units.
  assert.deepEqual(snippetParts("🦘 quokka", [[2, 8]]), [["🦘 ", false], ["quokka", true]]);
  assert.deepEqual(snippetParts("abc", [[1, 99], [0, 2], [5, 6], ["x", 1]]), [["ab", true], ["c", true]], "clipped; an overlap is not marked twice");
  assert.deepEqual(snippetParts("abc", null), [["abc", false]]);
});

test("reaction events set absolute counts; an edit keeps the reactions held", () => {
  session.me.value = { id: "me" };
  const rs = roomState({ id: "r", kind: "public", my_role: "member" });
  putRoom(rs);
  const m = { id: "m1", room_id: "r", seq: 1, author_id: "u1", kind: "text", body: "hi", created_at: "2026-01-01T00:00:00Z", edited_at: null, deleted_at: null };
  addMessages(rs, [m]);
  const ev = (type, emoji, user, count) => ({ type, room: "r", message_id: "m1", seq: 1, emoji, user, count });
  onReaction(ev("reaction_added", "👍", "u2", 1));
  onReaction(ev("reaction_added", "👍", "me", 2));
  onReaction(ev("reaction_added", "👍", "me", 2)); // again: the same state
  onReaction(ev("reaction_added", "🎉", "u2", 1));
  assert.deepEqual(rs.msgs.get("m1").reactions, [{ emoji: "👍", count: 2, me: true }, { emoji: "🎉", count: 1, me: false }]);
  addMessages(rs, [{ ...m, body: "hi!", edited_at: "2026-01-01T00:01:00Z" }]); // message_edited carries none
  assert.equal(rs.msgs.get("m1").body, "hi!");
  assert.equal(rs.msgs.get("m1").reactions.length, 2, "kept across the edit");
  onReaction(ev("reaction_removed", "👍", "u2", 1));
  assert.deepEqual(rs.msgs.get("m1").reactions[0], { emoji: "👍", count: 1, me: true }, "another's removal keeps mine");
  onReaction(ev("reaction_removed", "👍", "me", 0));
  assert.deepEqual(rs.msgs.get("m1").reactions, [{ emoji: "🎉", count: 1, me: false }], "count 0: the chip goes");
  // A history copy with newer summaries replaces the held ones.
  addMessages(rs, [{ ...rs.msgs.get("m1"), reactions: [{ emoji: "🎉", count: 3, me: true }] }]);
  assert.deepEqual(rs.msgs.get("m1").reactions, [{ emoji: "🎉", count: 3, me: true }]);
  session.me.value = null;
});

test("reactions, pins and search with three users", async (t) => {
  const a = await newPerson(browser);
  const b = await newPerson(browser);
  // C's context runs axe (its script needs the CSP bypassed).
  const c = await newPerson(browser, { width: 1280, height: 800 }, { bypassCSP: true });
  const room = `features-${suffix}`;
  let roomId;

  await t.test("three users in a public room; an early message to find later", async () => {
    await register(a.page, ANA);
    await register(b.page, BEN);
    await register(c.page, CY);
    await createPublicRoom(a.page, room);
    roomId = await roomIdOf(a.page);
    await joinPublicRoom(b.page, room);
    await joinPublicRoom(c.page, room);
    await send(a.page, "before the quokka");
    await send(a.page, "the quokka smiles on Rottnest island");
    await send(a.page, "after the quokka");
    await send(a.page, "hello from ana");
    await messages(b.page, "hello from ana").waitFor();
    await messages(c.page, "hello from ana").waitFor();
  });

  await t.test("B reacts with the picker; A sees the chip live; toggling it off removes it", async () => {
    const theirs = messages(b.page, "hello from ana");
    await theirs.hover();
    await theirs.getByTestId("msg-react").click();
    await theirs.getByTestId("reaction-picker").waitFor();
    await theirs.locator('[data-testid="reaction-pick"][data-emoji="👍"]').click();
    await theirs.getByTestId("reaction-picker").waitFor({ state: "detached" });

    const onA = chip(messages(a.page, "hello from ana"), "👍");
    await onA.waitFor();
    assert.equal(await onA.getAttribute("data-count"), "1");
    assert.equal(await onA.getAttribute("aria-pressed"), "false", "not A's reaction");
    const onB = chip(theirs, "👍");
    await onB.waitFor();
    assert.equal(await onB.getAttribute("aria-pressed"), "true", "B's own reaction is highlighted");

    // A adds the same emoji by its chip: the count is shared.
    await onA.click();
    await a.page.waitForFunction(() => document.querySelector('[data-testid="reaction-chip"][data-emoji="👍"][aria-pressed="true"]'));
    assert.equal(await onA.getAttribute("data-count"), "2");
    await b.page.waitForFunction(() => document.querySelector('[data-testid="reaction-chip"][data-emoji="👍"][data-count="2"]'));

    // B takes theirs back, then A: the chip goes for everyone.
    await onB.click();
    await a.page.waitForFunction(() => document.querySelector('[data-testid="reaction-chip"][data-emoji="👍"][data-count="1"]'));
    await onA.click();
    await onA.waitFor({ state: "detached" });
    await onB.waitFor({ state: "detached" });
    await chip(messages(c.page, "hello from ana"), "👍").waitFor({ state: "detached" });
  });

  await t.test("the picker by keyboard: Tab to it, arrows, Enter; Escape closes", async () => {
    const row = messages(b.page, "hello from ana");
    await row.focus();
    await b.page.keyboard.press("Tab"); // Reply
    await b.page.keyboard.press("Tab"); // Add reaction
    assert.equal(await row.getByTestId("msg-react").evaluate((el) => el === document.activeElement), true);
    await b.page.keyboard.press("Enter");
    const first = row.locator('[data-testid="reaction-pick"]').first();
    await first.waitFor();
    assert.equal(await first.evaluate((el) => el === document.activeElement), true, "the palette takes the focus");
    await b.page.keyboard.press("Escape");
    await row.getByTestId("reaction-picker").waitFor({ state: "detached" });
    assert.equal(await row.getByTestId("msg-react").evaluate((el) => el === document.activeElement), true, "focus goes back");
    await b.page.keyboard.press("Enter");
    await first.waitFor();
    assert.equal(await first.evaluate((el) => el === document.activeElement), true, "the palette has the focus again");
    await b.page.keyboard.press("ArrowRight");
    await b.page.keyboard.press("Enter");
    await chip(messages(a.page, "hello from ana"), "❤️").waitFor();
    await chip(messages(c.page, "hello from ana"), "❤️").waitFor();
  });

  await t.test("pins are offered as the server says: to B once a moderator, never to C", async () => {
    const mine = messages(c.page, "hello from ana");
    await mine.hover();
    await mine.getByTestId("msg-reply").waitFor();
    assert.equal(await mine.getByTestId("msg-pin").count(), 0, "a member may not pin");
    const theirs = messages(b.page, "hello from ana");
    await theirs.hover();
    await theirs.getByTestId("msg-reply").waitFor();
    assert.equal(await theirs.getByTestId("msg-pin").count(), 0, "not yet a moderator");

    const ben = await rest(a.page, "GET", `/users/by-name/${BEN.username}`);
    const promoted = await rest(a.page, "PUT", `/rooms/${roomId}/members/${ben.body.id}/role`, { role: "moderator" });
    assert.ok(promoted.status >= 200 && promoted.status < 300, JSON.stringify(promoted.body));
    await theirs.hover();
    await theirs.getByTestId("msg-pin").waitFor(); // live, from the room's new permissions
  });

  await t.test("a moderator pins; the member's open list shows it live and jumps to it", async () => {
    await c.page.getByTestId("toggle-pins").click();
    await c.page.getByTestId("pins-panel").waitFor();
    await c.page.getByTestId("pins-empty").waitFor();

    const theirs = messages(b.page, "the quokka smiles");
    await theirs.hover();
    await theirs.getByTestId("msg-pin").click();
    await theirs.hover();
    await b.page.waitForFunction(() => [...document.querySelectorAll('[data-testid="msg-pin"]')].some((el) => el.getAttribute("aria-pressed") === "true"));

    const item = c.page.getByTestId("pin-item").filter({ hasText: "the quokka smiles" });
    await item.waitFor();
    assert.match(await item.textContent(), /Pinned by Ben Mod/);
    await c.page.getByTestId("system-message").filter({ hasText: "Ben Mod pinned a message" }).waitFor();
    await item.locator(".panel-hit").click();
    const target = messages(c.page, "the quokka smiles");
    await c.page.waitForFunction(() => document.querySelector('.msg.jump-target [data-testid="message-body"]')?.textContent.includes("quokka smiles"));
    assert.equal(await inView(target), true);

    // A reload reads the list from the server.
    await c.page.reload();
    await c.page.getByTestId("toggle-pins").click();
    await c.page.getByTestId("pin-item").filter({ hasText: "the quokka smiles" }).waitFor();
    await c.page.getByTestId("panel-close").click();
    await c.page.getByTestId("pins-panel").waitFor({ state: "detached" });
  });

  await t.test("C searches a word and lands on an older message in context", async () => {
    // 120 newer messages: the quokka is out of the first page (50) a fresh load reads,
    // and the window around it (25 on each side) does not reach that page.
    await Promise.all([bulk(a.page, roomId, "filler from ana", 60), bulk(b.page, roomId, "filler from ben", 60)]);
    await c.page.reload();
    await messages(c.page, "filler from ben 59").waitFor();
    assert.equal(await messages(c.page, "the quokka smiles").count(), 0, "not in the page loaded");

    await c.page.getByTestId("toggle-search").click();
    await c.page.getByTestId("search-panel").waitFor();
    await c.page.getByTestId("search-input").fill("quokka smiles");
    await c.page.getByTestId("search-input").press("Enter");
    const hit = c.page.getByTestId("search-hit").filter({ hasText: "Rottnest" });
    await hit.waitFor();
    assert.deepEqual(await hit.locator("mark").allTextContents(), ["quokka", "smiles"], "the matched words are highlighted");
    assert.match(await hit.textContent(), new RegExp(`in ${room}`));

    await hit.locator(".panel-hit").click();
    const target = messages(c.page, "the quokka smiles");
    await target.waitFor();
    await c.page.waitForFunction(() => document.querySelector('.msg.jump-target [data-testid="message-body"]')?.textContent.includes("quokka smiles"));
    assert.equal(await inView(target), true, "scrolled to it");
    // In context: its neighbours are loaded too, and the newer messages still held
    // beyond a gap that loads what lies between.
    await messages(c.page, "before the quokka").waitFor();
    await messages(c.page, "after the quokka").waitFor();
    await messages(c.page, "filler from ben 59").waitFor({ state: "attached" });
    const gap = c.page.getByTestId("history-gap");
    await gap.waitFor({ state: "attached" });
    await c.page.getByTestId("room-intro").waitFor({ state: "attached" }); // the window reaches the start
    await gap.scrollIntoViewIfNeeded();
    await gap.waitFor({ state: "detached" });
    const seqs = await c.page.locator(".msg-list [data-seq]").evaluateAll((els) => els.map((el) => Number(el.dataset.seq)));
    const sorted = [...seqs].sort((x, y) => x - y);
    assert.deepEqual(seqs, sorted, "in order");
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `no gap left at seq ${seqs[i - 1]}`);
  });

  await t.test("no serious accessibility violations: chips, picker, pinned list, search", async () => {
    if (!(await c.page.getByTestId("search-panel").count())) await c.page.getByTestId("toggle-search").click();
    await c.page.getByTestId("search-input").fill("quokka");
    await c.page.getByTestId("search-input").press("Enter");
    await c.page.getByTestId("search-hit").first().waitFor();
    const row = messages(c.page, "hello from ana");
    await row.scrollIntoViewIfNeeded();
    await chip(row, "❤️").waitFor();
    await checkBothThemes(c.page, "search results and reaction chips");
    await row.hover();
    await row.getByTestId("msg-react").click();
    await row.getByTestId("reaction-picker").waitFor();
    await checkBothThemes(c.page, "reaction picker");
    await c.page.keyboard.press("Escape");
    await c.page.getByTestId("toggle-pins").click();
    await c.page.getByTestId("pin-item").first().waitFor();
    await checkBothThemes(c.page, "pinned list");
  });

  await t.test("A replies in a thread; B opens it from the count; a reply also sent to the room", async (st) => {
    // Threads come with branch `threads`: a server without them ignores `thread`.
    const probe = await rest(a.page, "GET", `/rooms/${roomId}/messages?thread=00000000-0000-0000-0000-000000000000&limit=1`);
    if (probe.status !== 422) { st.skip("this server has no threads yet (history ignores `thread`)"); return; }
    await send(a.page, "a root for a thread");
    const root = messages(a.page, "a root for a thread");
    await root.waitFor();
    await root.hover();
    await root.getByTestId("msg-thread").click();
    const panelA = a.page.getByTestId("thread-panel");
    await panelA.getByTestId("thread-root").filter({ hasText: "a root for a thread" }).waitFor();
    await panelA.getByTestId("thread-input").fill("first reply, only in the thread");
    await panelA.getByTestId("thread-input").press("Enter");
    await panelA.getByTestId("thread-reply").filter({ hasText: "first reply, only in the thread" }).waitFor();

    const rootOnB = messages(b.page, "a root for a thread");
    const count = rootOnB.getByTestId("thread-count");
    await count.waitFor(); // live, from thread_updated
    assert.match(await count.textContent(), /1 reply/);
    assert.equal(await messages(b.page, "first reply, only in the thread").count(), 0, "not in the room's timeline");
    await count.click();
    const panelB = b.page.getByTestId("thread-panel");
    await panelB.getByTestId("thread-reply").filter({ hasText: "first reply, only in the thread" }).waitFor();

    await panelB.getByTestId("thread-input").fill("second reply, also in the room");
    await panelB.getByTestId("thread-also").check();
    await panelB.getByTestId("thread-send").click();
    await panelA.getByTestId("thread-reply").filter({ hasText: "second reply, also in the room" }).waitFor();
    await messages(a.page, "second reply, also in the room").waitFor();
    await messages(c.page, "second reply, also in the room").waitFor();
    await a.page.waitForFunction(() => /2 replies/.test(document.querySelector('[data-testid="thread-count"]')?.textContent || ""));
    assert.equal(await messages(c.page, "first reply, only in the thread").count(), 0);

    // A fresh load reads the thread from the server, and the room without its replies.
    await c.page.reload();
    const rootOnC = messages(c.page, "a root for a thread");
    await rootOnC.getByTestId("thread-count").click();
    const panelC = c.page.getByTestId("thread-panel");
    await panelC.getByTestId("thread-reply").filter({ hasText: "first reply, only in the thread" }).waitFor();
    assert.equal(await panelC.getByTestId("thread-reply").count(), 2);
    assert.equal(await messages(c.page, "first reply, only in the thread").count(), 0);
    await checkBothThemes(c.page, "thread panel");
  });

  await t.test("no page errors", () => {
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
    assert.deepEqual(c.errors, []);
  });

  await a.context.close();
  await b.context.close();
  await c.context.close();
});
