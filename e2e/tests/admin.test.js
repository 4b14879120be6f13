// The admin page (issue 21): a site administrator, granted from the command line
// (`chat-server admin grant`, as an operator would, against the running server's
// data directory), opens the page, suspends a user — whose open tab is signed out
// with the suspension's close code (4004) and whose login is then refused — and
// finds the suspension in the audit log. A user who is not an administrator is
// offered no admin page.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { PASSWORD, suffix, launch, person, register } from "../support/browser.js";

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
});

function grantSiteAdmin(username) {
  const exe = process.env.CHAT_SERVER_EXE;
  const dataDir = process.env.CHAT_DATA_DIR;
  assert.ok(exe && dataDir, "e2e/run.sh passes CHAT_SERVER_EXE and CHAT_DATA_DIR");
  const out = execFileSync(exe, ["--data-dir", dataDir, "admin", "grant", username], { encoding: "utf8" });
  assert.match(out, new RegExp(`${username} is now a site administrator`));
}

test("a site admin suspends a user from the admin page and sees the audit entry", async (t) => {
  const boss = await person(browser);
  const victim = await person(browser);
  const bossName = `boss_${suffix}`;
  const victimName = `vic_${suffix}`;
  await register(boss.page, { username: bossName, display: "Bea Boss" });
  await register(victim.page, { username: victimName, display: "Vic Victim" });

  await t.test("no admin page for a user who is not a site admin", async () => {
    // The probe has answered (403) once the sidebar has settled.
    await victim.page.waitForFunction(async () => (await fetch("/api/admin/users?limit=1")).status === 403);
    assert.equal(await victim.page.getByTestId("admin-open").count(), 0);
    assert.equal(await boss.page.getByTestId("admin-open").count(), 0);
  });

  await t.test("granted from the command line, the admin sees the page", async () => {
    grantSiteAdmin(bossName);
    await boss.page.reload();
    await boss.page.getByTestId("app").waitFor();
    await boss.page.getByTestId("admin-open").click();
    await boss.page.getByTestId("admin-dialog").waitFor();
    await boss.page.getByTestId("admin-users").waitFor();
  });

  await t.test("suspend: the victim's tab is signed out, login is refused", async () => {
    const dlg = boss.page.getByTestId("admin-dialog");
    const row = dlg.locator(`[data-testid="admin-user"][data-username="${victimName}"]`);
    await row.getByTestId("admin-suspend").click();
    const confirm = boss.page.getByTestId("confirm-dialog");
    await confirm.getByTestId("dialog-submit").click();
    await row.getByTestId("admin-user-suspended").waitFor();

    // The open tab: its socket closes with 4004 and the UI says why.
    await victim.page.getByTestId("auth-screen").waitFor();
    await victim.page.getByTestId("auth-error").filter({ hasText: "suspended" }).waitFor();
    // Signing in again is refused with a clear sentence.
    await victim.page.getByTestId("auth-username").fill(victimName);
    await victim.page.getByTestId("auth-password").fill(PASSWORD);
    await victim.page.getByTestId("auth-submit").click();
    const error = victim.page.getByTestId("auth-error");
    await error.waitFor();
    await victim.page.waitForTimeout(300);
    assert.match(await error.innerText(), /suspend/i);
    assert.equal(await victim.page.getByTestId("app").count(), 0, "no way in while suspended");
  });

  await t.test("the audit log names who suspended whom", async () => {
    const dlg = boss.page.getByTestId("admin-dialog");
    await dlg.getByTestId("admin-tab-audit").click();
    const entry = dlg.locator('[data-testid="admin-audit-entry"][data-action="suspend"]');
    await entry.first().waitFor();
    const text = await entry.first().innerText();
    assert.match(text, /Bea Boss/);
    assert.match(text, /Vic Victim/);
    const grant = dlg.locator('[data-testid="admin-audit-entry"][data-action="grant_admin"]');
    assert.ok((await grant.count()) >= 1, "the command-line grant is in the log too");
  });

  await t.test("unsuspend lets the user in again", async () => {
    const dlg = boss.page.getByTestId("admin-dialog");
    await dlg.getByTestId("admin-tab-users").click();
    const row = dlg.locator(`[data-testid="admin-user"][data-username="${victimName}"]`);
    await row.getByTestId("admin-unsuspend").click();
    await row.getByTestId("admin-suspend").waitFor();
    await victim.page.getByTestId("auth-submit").click();
    await victim.page.getByTestId("app").waitFor();
  });

  assert.deepEqual(boss.errors, []);
  assert.deepEqual(victim.errors.filter((e) => !/40[13]/.test(e)), []);
});
