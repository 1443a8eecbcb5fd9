// Cloudflare Turnstile on the sign-in and registration forms.
//
// scripts/e2e.sh starts, for each run, a THIRD heartlock server with
// TURNSTILE_ENABLED=true, Cloudflare's always-pass test keys,
// TURNSTILE_REQUIRE_ON_LOGIN=true and TURNSTILE_VERIFY_URL pointing at
// scripts/peers/turnstile_siteverify.py (a local siteverify speaking
// Cloudflare's protocol); it passes E2E_TS_BASE_URL and the fake's request
// log E2E_TS_LOG. Without them this file is skipped.
//
// Chromium cannot reach Cloudflare here: the widget's script address is
// answered with e2e/lib/fake-turnstile.js, which behaves like the real
// widget with the test site keys (always pass: a dummy token; always block:
// nothing). It still loads from https://challenges.cloudflare.com, so the
// page's CSP must allow that origin for the widget to appear at all.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, newPage } from '../lib/browser.mjs';
import { checkPage, cspViolations } from '../lib/checks.mjs';
import { go, submit, mainText, logout } from '../lib/ui.mjs';

const TS_BASE = (process.env.E2E_TS_BASE_URL || '').replace(/\/$/, '');
const TS_LOG = process.env.E2E_TS_LOG || '';
const skip = !(TS_BASE && TS_LOG) && 'no Turnstile server (run through scripts/e2e.sh)';
const here = dirname(fileURLToPath(import.meta.url));
const WIDGET = readFileSync(join(here, '..', 'lib', 'fake-turnstile.js'), 'utf8');
const SCRIPT_URL = 'https://challenges.cloudflare.com/turnstile/v0/api.js';
const PASS_KEY = '1x00000000000000000000AA';
const BLOCK_KEY = '2x00000000000000000000AB';
const DUMMY = 'XXXX.DUMMY.TOKEN.XXXX';
const USER = { email: 'tess@example.com', password: 'tess-turnstile-password-42', name: 'Tess Turnstile' };

let browser, page;
before(async () => {
  if (skip) return;
  browser = await launch();
  page = await newPage(browser, { baseURL: TS_BASE });
  const ctx = page.context();
  await ctx.route((u) => u.hostname !== '127.0.0.1' && !u.href.startsWith(SCRIPT_URL), (r) => r.abort());
  await ctx.route((u) => u.href.startsWith(SCRIPT_URL), (r) =>
    r.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: WIDGET }));
});
after(async () => { await browser?.close(); });
beforeEach(() => { if (page) page.__errors = []; });

/** The siteverify requests the fake received so far. */
function siteverifyLog() {
  let text = '';
  try { text = readFileSync(TS_LOG, 'utf8'); } catch { /* none yet */ }
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** Waits until the widget on the page has produced its token. */
async function solved() {
  await page.waitForFunction(
    () => document.querySelector('.cf-turnstile input[name="cf-turnstile-response"]')?.value,
    null, { timeout: 10_000 });
  return page.inputValue('.cf-turnstile input[name="cf-turnstile-response"]');
}

test('registration goes through the widget and siteverify', { skip }, async () => {
  await go(page, '/register');
  assert.equal(await page.getAttribute('.cf-turnstile', 'data-sitekey'), PASS_KEY);
  assert.equal(await solved(), DUMMY, 'the widget ran: the CSP let Cloudflare\'s script in');
  await checkPage(page, 'turnstile-register');
  const before = siteverifyLog().length;
  await page.fill('#email', USER.email);
  await page.fill('#display_name', USER.name);
  await page.fill('#password', USER.password);
  await submit(page, 'main form button[type=submit]');
  assert.equal(new URL(page.url()).pathname, '/projects');
  const seen = siteverifyLog().slice(before);
  assert.equal(seen.length, 1, JSON.stringify(seen));
  assert.equal(seen[0].response, DUMMY);
  assert.equal(seen[0].remoteip, '127.0.0.1', 'the client address went to siteverify');
  assert.equal(seen[0].answer.success, true);
  await logout(page);
});

test('sign-in asks for the widget too (TURNSTILE_REQUIRE_ON_LOGIN)', { skip }, async () => {
  await go(page, '/login');
  assert.equal(await solved(), DUMMY);
  await checkPage(page, 'turnstile-login');
  await page.fill('#email', USER.email);
  await page.fill('#password', USER.password);
  await submit(page, 'main form button[type=submit]');
  assert.equal(new URL(page.url()).pathname, '/projects');
  await go(page, '/account');
  assert.ok(await page.locator('form[action="/account/password"] .cf-turnstile').count(),
    'the password change form has the widget');
  assert.deepEqual(await cspViolations(page), []);
  await logout(page);
});

test('a widget that blocks leaves no token: the form says so and keeps the email', { skip }, async () => {
  // The same page, as if the site key were Cloudflare's always-block one.
  await page.route('**/login', async (r) => {
    if (r.request().method() !== 'GET') return r.continue();
    const resp = await r.fetch();
    const body = (await resp.text()).replaceAll(`data-sitekey="${PASS_KEY}"`, `data-sitekey="${BLOCK_KEY}"`);
    await r.fulfill({ response: resp, body });
  });
  try {
    await go(page, '/login');
    await page.waitForSelector('.cf-turnstile .fake-turnstile-status:has-text("Verification failed")');
    assert.equal(await page.inputValue('.cf-turnstile input[name="cf-turnstile-response"]'), '');
    const before = siteverifyLog().length;
    await page.fill('#email', USER.email);
    await page.fill('#password', USER.password);
    await submit(page, 'main form button[type=submit]', 422);
    assert.match(await mainText(page), /Please complete the verification/);
    assert.equal(await page.inputValue('#email'), USER.email);
    assert.equal(siteverifyLog().length, before, 'nothing to ask siteverify about');
    assert.equal(new URL(page.url()).pathname, '/login');
  } finally {
    await page.unroute('**/login');
  }
  // The 422 of the refused form is the only console error.
  page.__errors = [];
});
