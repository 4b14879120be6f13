// Named to run before chat.test.js, whose last test stops the shared server.
// Images and files in a real browser: one user sends an image, the other's window shows
// it inline (loaded, with real pixels); a file arrives as a download link; an uploaded
// avatar shows. Run through e2e/run.sh, which starts chat-server and sets CHAT_URL.

import { test, before, after } from "node:test";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { TIMEOUT, suffix, launch, person as newPerson, register } from "../support/browser.js";
import { png } from "../support/png.js";

const ARTIFACTS = fileURLToPath(new URL("../artifacts/", import.meta.url));

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

const person = () => newPerson(browser);

/** Whether an <img> finished loading with real pixels. */
function loadedWidth(img) {
  return img.evaluate((el) => (el.complete ? el.naturalWidth : 0));
}

test("an image sent by one user shows inline in the other's window", async (t) => {
  const a = await person();
  const b = await person();
  const alice = `pic_a_${suffix}`;
  const bob = `pic_b_${suffix}`;
  const room = "Photo booth";

  await t.test("both register; bob joins alice's private room by code", async () => {
    await register(a.page, alice);
    await register(b.page, bob);
    await a.page.getByTestId("new-room").click();
    const dlg = a.page.getByTestId("create-room-dialog");
    await dlg.getByTestId("kind-private").click();
    await dlg.getByTestId("room-name").fill(room);
    await dlg.getByTestId("dialog-submit").click();
    await dlg.waitFor({ state: "detached" });
    await a.page.getByTestId("room-title").filter({ hasText: room }).waitFor();
    const code = (await a.page.getByTestId("room-code").innerText()).trim();
    await b.page.getByTestId("join-by-code").click();
    const join = b.page.getByTestId("join-code-dialog");
    await join.getByTestId("join-code").fill(code);
    await join.getByTestId("dialog-submit").click();
    await join.waitFor({ state: "detached" });
    await b.page.getByTestId("room-title").filter({ hasText: room }).waitFor();
  });

  await t.test("alice attaches a PNG (named .txt); bob sees it inline, loaded", async () => {
    await a.page.getByTestId("attach-input").setInputFiles({
      name: "holiday.txt", mimeType: "text/plain", buffer: png(24, [220, 40, 40]),
    });
    const mine = a.page.getByTestId("message-image");
    await mine.waitFor();
    const theirs = b.page.getByTestId("message-image");
    await theirs.waitFor();
    await b.page.waitForFunction(
      () => { const i = document.querySelector('[data-testid="message-image"]'); return i && i.complete && i.naturalWidth > 0; },
      null, { timeout: TIMEOUT });
    assert.equal(await loadedWidth(theirs), 24);
    assert.equal(await theirs.getAttribute("alt"), "holiday.txt");
    // The pixels are the ones sent (read back through a canvas: same origin).
    const pixel = await theirs.evaluate((img) => {
      const c = document.createElement("canvas");
      c.width = img.naturalWidth; c.height = img.naturalHeight;
      const ctx = c.getContext("2d");
      ctx.drawImage(img, 0, 0);
      return Array.from(ctx.getImageData(5, 5, 1, 1).data);
    });
    assert.deepEqual(pixel, [220, 40, 40, 255]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await b.page.screenshot({ path: `${ARTIFACTS}light-image-message.png` });
  });

  await t.test("bob sends an HTML file: a download link, never rendered", async () => {
    await b.page.getByTestId("attach-input").setInputFiles({
      name: "page.html", mimeType: "text/html", buffer: Buffer.from("<script>alert(1)</script><h1>hi</h1>"),
    });
    const link = a.page.getByTestId("message-file");
    await link.waitFor();
    assert.match(await link.innerText(), /page\.html/);
    const href = await link.getAttribute("href");
    const served = await a.page.evaluate(async (url) => {
      const r = await fetch(url, { credentials: "same-origin" });
      return { status: r.status, type: r.headers.get("content-type"), disposition: r.headers.get("content-disposition"), csp: r.headers.get("content-security-policy") };
    }, href);
    assert.equal(served.status, 200);
    assert.equal(served.type, "application/octet-stream");
    assert.match(served.disposition, /^attachment/);
    assert.match(served.csp, /sandbox/);
    assert.equal(await a.page.locator("h1", { hasText: "hi" }).count(), 0);
  });

  await t.test("alice uploads an avatar; bob's window shows it", async () => {
    await a.page.getByTestId("profile").click();
    const dlg = a.page.getByTestId("profile-dialog");
    await dlg.waitFor();
    await dlg.getByTestId("profile-avatar-file").setInputFiles({
      name: "me.png", mimeType: "image/png", buffer: png(32, [30, 120, 200]),
    });
    await a.page.getByText("Avatar uploaded.").waitFor();
    await dlg.getByTestId("dialog-close").click();
    const me = await a.page.evaluate(async () => (await fetch("/api/me")).json());
    assert.match(me.avatar_url, /^\/api\/files\//);
    // Alice's own sidebar card shows the uploaded image.
    await a.page.waitForFunction(
      () => { const i = document.querySelector('[data-testid="profile"] img'); return i && i.complete && i.naturalWidth === 32; },
      null, { timeout: TIMEOUT });
    // Bob loads the same avatar URL as an image.
    const width = await b.page.evaluate((src) => new Promise((resolve) => {
      const img = new Image();
      img.onload = () => resolve(img.naturalWidth);
      img.onerror = () => resolve(0);
      img.src = src;
    }), me.avatar_url);
    assert.equal(width, 32);
  });

  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors, []);
  await a.context.close();
  await b.context.close();
});
