// Share links end to end (docs/shares.md): made in Chromium by the admin,
// opened in a fresh browser context (no account), once; with a passphrase;
// from the secrets grid; revoked from the list; and across the two
// implementations of the format: a link made with the CLI opens in the
// browser, a link made in the browser opens with the CLI.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, newPage } from '../lib/browser.mjs';
import { checkPage } from '../lib/checks.mjs';
import { ADMIN, PROJECT, BASE, SSO_BASE } from '../lib/env.mjs';
import { go, submit, mainText, login, reveal, acceptNextDialog } from '../lib/ui.mjs';

const P = PROJECT.slug;
const CLI = process.env.E2E_HEARTLOCK_BIN;
const LINK = new RegExp(`^${BASE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/s/[A-Za-z0-9_-]+#[A-Za-z0-9_-]{43}$`);
const GONE = /This link is no longer available/;
// The recipient page's expected refusals, logged by Chromium as failed loads.
const REFUSED = [/status of 40[34]/];

let browser, admin;
/** The first link made (test 1), opened by test 2. */
let link1;
/** Every creation request the admin's page sent (POST /shares): the bodies, to search for plaintext. */
const posted = [];
before(async () => {
  browser = await launch();
  admin = await newPage(browser);
  admin.on('request', (r) => { if (r.method() === 'POST' && /\/shares$/.test(new URL(r.url()).pathname)) posted.push(r.postData() || ''); });
  await login(admin, ADMIN);
});
after(async () => { await browser?.close(); });
beforeEach(() => { if (admin) admin.__errors = []; });

/** A fresh context: no cookies, no session, like a recipient without an account. */
async function recipient() {
  return newPage(browser);
}

/** Fills the New share form (already shown) and creates the link; returns it. */
async function create(page, { value, passphrase, label } = {}) {
  if (value !== undefined) await page.fill('#share-text', value);
  if (passphrase) {
    await page.fill('#share-passphrase', passphrase);
    await page.fill('#share-passphrase-confirm', passphrase);
  }
  if (label) await page.fill('#share-label', label);
  await page.locator('#share-new button[type=submit]').click();
  // Either the link or a refusal (reported with its message).
  await page.waitForFunction(() => !document.getElementById('share-result').hidden
    || document.getElementById('share-status').className === 'error');
  assert.ok(await page.locator('#share-result:not([hidden])').count(),
    `no link: ${await page.locator('#share-status').innerText()}`);
  const link = await page.inputValue('#share-link');
  assert.match(link, LINK);
  assert.equal(await page.inputValue('#share-text'), '', 'the plaintext field is cleared');
  return link;
}

/** The path and fragment of a link (the page is on the same server). */
function rel(link) {
  const u = new URL(link);
  return u.pathname + u.hash;
}

/**
 * Opens a link (path and fragment) as a fresh load: from the same page,
 * a URL that differs only in its fragment would not load the document again.
 */
async function visit(page, path, status = 200) {
  await page.goto('about:blank');
  return go(page, path, status);
}

/** Clicks Reveal and waits for the value (or a message). */
async function clickReveal(page) {
  await page.locator('#share-open-form button[type=submit]').click();
}

async function revealed(page) {
  const pre = page.locator('#share-open-value');
  await pre.waitFor();
  return pre.textContent();
}

test('the New share page encrypts in the browser; the server never gets the value', async () => {
  await go(admin, '/shares/new');
  assert.ok(await admin.locator('#share-new[data-max-bytes]').count(), 'the size limit is on the form');
  await checkPage(admin, 'share-new');
  const value = 'e2e-share-plain-9f1c';
  const link = await create(admin, { value, label: 'first link' });
  assert.match(await admin.locator('#share-facts').innerText(), /1/);
  await checkPage(admin, 'share-created', { mobileShot: false });
  assert.ok(posted.length >= 1, 'the form posted JSON to the API');
  for (const body of posted) {
    assert.ok(!body.includes(value), 'no plaintext in the request');
    assert.ok(!body.includes(new URL(link).hash.slice(1)), 'no link key in the request');
  }
  link1 = { link, value };
});

test('the recipient opens it once in a fresh context; a GET uses no view', async () => {
  const { link, value } = link1;
  const guest = await recipient();
  const resp = await visit(guest, rel(link));
  assert.equal(resp.headers()['referrer-policy'], 'no-referrer');
  assert.match(resp.headers()['cache-control'] || '', /no-store/);
  assert.ok(await guest.locator('meta[name=robots][content*=noindex]').count());
  await guest.locator('#share-open-form button[type=submit]:not([disabled])').waitFor();
  await checkPage(guest, 'share-open');
  // Loading the page again consumed nothing.
  await visit(guest, rel(link));
  await guest.locator('#share-open-form button[type=submit]:not([disabled])').waitFor();
  await clickReveal(guest);
  assert.equal(await revealed(guest), value);
  assert.match(await guest.locator('#share-open-status').innerText(), /used up/);
  assert.ok(await guest.locator('#share-open-copy:not([hidden])').count(), 'a Copy button');
  await checkPage(guest, 'share-revealed', { mobileShot: false });
  // Once only.
  await visit(guest, rel(link), 404);
  assert.match(await mainText(guest), GONE);
  assert.equal(await guest.locator('#share-open-form').count(), 0);
  await checkPage(guest, 'share-gone', { mobileShot: false, allowConsole: REFUSED });
  await guest.context().close();
});

test('the recipient page needs no sign-in even with single sign-on on', { skip: !SSO_BASE && 'no SSO server' }, async () => {
  const r = await fetch(`${SSO_BASE}/s/no-such-share-0000000000`, { redirect: 'manual' });
  assert.equal(r.status, 404, 'the neutral page, not a redirect to sign in');
  assert.match(await r.text(), GONE);
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
});

test('with a passphrase: a wrong one is refused without using the view', async () => {
  await go(admin, '/shares/new');
  const value = 'passphrase-protected-7d2e';
  const link = await create(admin, { value, passphrase: 'correct horse battery' });
  const guest = await recipient();
  await visit(guest, rel(link));
  const pass = guest.locator('#share-open-passphrase');
  await pass.waitFor();
  await pass.fill('not the passphrase');
  await clickReveal(guest);
  await guest.locator('#share-open-status.error', { hasText: /Wrong passphrase/ }).waitFor();
  assert.ok(await guest.locator('#share-open-form:not([hidden])').count(), 'the form stays');
  await checkPage(guest, 'share-wrong-passphrase', { mobileShot: false, allowConsole: REFUSED });
  await pass.fill('correct horse battery');
  await clickReveal(guest);
  assert.equal(await revealed(guest), value);
  await guest.context().close();
});

test('a link without its key says so and asks the server nothing', async () => {
  await go(admin, '/shares/new');
  const value = 'keyless-check-31';
  const link = await create(admin, { value });
  const guest = await recipient();
  const reveals = [];
  guest.on('request', (r) => { if (r.url().includes('/reveal')) reveals.push(r.url()); });
  await visit(guest, new URL(link).pathname);
  await guest.locator('#share-open-status.error', { hasText: /incomplete/ }).waitFor();
  assert.ok(await guest.locator('#share-open-form[hidden]').count(), 'no Reveal button');
  await visit(guest, new URL(link).pathname + '#not-a-key');
  await guest.locator('#share-open-status.error', { hasText: /damaged/ }).waitFor();
  await checkPage(guest, 'share-no-key', { mobileShot: false });
  assert.deepEqual(reveals, []);
  // The link is still whole.
  await visit(guest, rel(link));
  await clickReveal(guest);
  assert.equal(await revealed(guest), value);
  await guest.context().close();
});

test('Share from the secrets grid: prefilled, its source listed, then revoked', async () => {
  await go(admin, `/projects/${P}`);
  const expected = await reveal(admin, P, 'development', 'DATABASE_URL');
  await submit(admin, `a[href="/shares/new?project=${P}&env=development&key=DATABASE_URL"]`);
  assert.equal(new URL(admin.url()).pathname, '/shares/new');
  assert.equal(await admin.inputValue('#share-text'), expected);
  assert.match(await mainText(admin), /DATABASE_URL/);
  const link = await create(admin, { label: 'grid share' });
  await go(admin, '/shares');
  const row = admin.locator('#shares-list tbody tr', { hasText: 'grid share' });
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(`${P} / development / DATABASE_URL`));
  await checkPage(admin, 'shares-list');
  const dialog = acceptNextDialog(admin);
  await submit(admin, `#shares-list tbody tr:has-text("grid share") form[action$="/revoke"] button`);
  assert.ok(dialog.message, 'revoking asks first');
  assert.equal(new URL(admin.url()).pathname, '/shares');
  assert.equal(await admin.locator('#shares-list tbody tr', { hasText: 'grid share' }).count(), 0);
  const guest = await recipient();
  await visit(guest, rel(link), 404);
  assert.match(await mainText(guest), GONE);
  guest.__errors = [];
  await guest.context().close();
});

test('a project admin turns sharing off: no Share on its secrets', async () => {
  await go(admin, `/projects/${P}/environments`);
  const allow = admin.locator('#sharing-allow');
  assert.ok(await allow.isChecked(), 'allowed by default');
  await allow.uncheck();
  await submit(admin, `form[action="/projects/${P}/sharing"] button[type=submit]`);
  assert.equal(await admin.locator('#sharing-allow').isChecked(), false);
  await go(admin, `/projects/${P}`);
  assert.equal(await admin.locator('a[href^="/shares/new?"]').count(), 0);
  await go(admin, `/shares/new?project=${P}&env=development&key=DATABASE_URL`, 403);
  admin.__errors = [];
  await go(admin, `/projects/${P}/environments`);
  await admin.locator('#sharing-allow').check();
  await submit(admin, `form[action="/projects/${P}/sharing"] button[type=submit]`);
  await go(admin, `/projects/${P}`);
  assert.ok(await admin.locator('a[href^="/shares/new?"]').count() > 0);
});

// The CLI signs in like a person (password on stdin), in a home of its own.
let cliHome;
function cli(args, input) {
  cliHome ??= mkdtempSync(join(tmpdir(), 'hl-share-cli-'));
  return spawnSync(CLI, args, {
    cwd: cliHome,
    input,
    env: { PATH: process.env.PATH, HOME: cliHome, XDG_CONFIG_HOME: cliHome, XDG_CACHE_HOME: cliHome },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('a link made with the CLI opens in the browser', { skip: !CLI && 'E2E_HEARTLOCK_BIN not set' }, async () => {
  const l = cli(['login', '--server', BASE, '--email', ADMIN.email, '--password-stdin'], `${ADMIN.password}\n`);
  assert.equal(l.status, 0, `heartlock login failed: ${l.stderr}`);
  const value = 'made-by-the-cli-5a0b';
  const r = cli(['share', '--server', BASE], value);
  assert.equal(r.status, 0, `heartlock share failed: ${r.stderr}`);
  const link = r.stdout.split(/\s+/).find((w) => LINK.test(w));
  assert.ok(link, `a link on stdout: ${r.stdout}`);
  const guest = await recipient();
  await visit(guest, rel(link));
  await clickReveal(guest);
  assert.equal(await revealed(guest), value);
  await guest.context().close();
});

test('a link made in the browser opens with the CLI', { skip: !CLI && 'E2E_HEARTLOCK_BIN not set' }, async () => {
  await go(admin, '/shares/new');
  const value = 'made-in-chromium-c4e8';
  const link = await create(admin, { value });
  const r = cli(['share', 'open', link]);
  assert.equal(r.status, 0, `heartlock share open failed: ${r.stderr}`);
  assert.equal(r.stdout.replace(/\n$/, ''), value);
  // The CLI used the one view.
  const guest = await recipient();
  await visit(guest, rel(link), 404);
  guest.__errors = [];
  await guest.context().close();
});
