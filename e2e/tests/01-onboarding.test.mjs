// First run: the wizard (on the PostgreSQL run it switches the database),
// the first administrator, then the wizard is gone for good.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, newPage } from '../lib/browser.mjs';
import { checkPage } from '../lib/checks.mjs';
import { ADMIN, BASE, DB, PG_URL } from '../lib/env.mjs';
import { go, submit, mainText, logout, postWithoutCsrf } from '../lib/ui.mjs';

let browser, page;
before(async () => { browser = await launch(); page = await newPage(browser); });
after(async () => { await browser?.close(); });
beforeEach(() => { if (page) page.__errors = []; });

async function readyz() {
  return (await fetch(`${BASE}/readyz`)).json();
}

test('a fresh server sends people to the wizard', async () => {
  assert.equal((await readyz()).database, 'sqlite', 'every run starts on SQLite');
  await go(page, '/');
  assert.equal(new URL(page.url()).pathname, '/onboarding');
  assert.equal(await page.inputValue('#base_url'), BASE, 'base URL prefilled from the request');
  assert.match(await page.inputValue('#generated_key'), /^[A-Za-z0-9_-]{43}=$/, 'a key is generated');
  await checkPage(page, 'onboarding');
});

test('every problem is reported at once, secrets are not echoed', async () => {
  await go(page, '/onboarding');
  await page.fill('#email', ADMIN.email);
  await page.fill('#password', ADMIN.password);
  await page.fill('#password_confirm', ADMIN.password + 'x');
  // key_stored left unchecked.
  await submit(page, 'form[action="/onboarding"] button.primary', 422);
  const text = await mainText(page);
  assert.match(text, /do not match/);
  assert.match(text, /stored the generated key/);
  assert.equal(await page.inputValue('#password'), '', 'passwords are not sent back');
  assert.equal(await page.inputValue('#email'), ADMIN.email, 'other fields are kept');
  await checkPage(page, 'onboarding-errors', { mobileShot: false, allowConsole: [/status of 422/] });
});

test('the wizard form needs its CSRF token', async () => {
  await go(page, '/onboarding');
  const status = await postWithoutCsrf(page, '/onboarding', { email: 'x@example.com' });
  assert.equal(status, 403);
});

if (DB === 'postgres') {
  test('PostgreSQL: test the connection', async () => {
    assert.ok(PG_URL, 'E2E_PG_URL is set for the postgres run');
    await go(page, '/onboarding');
    await page.check('#db_postgres');
    await page.fill('#database_url', 'postgres://nobody@127.0.0.1:1/nothing');
    await submit(page, 'button[formaction="/onboarding/test-database"]', null);
    assert.match(await page.locator('[role=status]').last().textContent(), /cannot be used/);
    page.__errors = [];
    await page.fill('#database_url', PG_URL);
    await submit(page, 'button[formaction="/onboarding/test-database"]');
    assert.match(await page.locator('[role=status]').last().textContent(), /Connected/);
    assert.ok(await page.isChecked('#db_postgres'), 'the PostgreSQL choice stays selected');
    await checkPage(page, 'onboarding-db-tested', { mobileShot: false });
  });
}

test('complete the wizard: first admin signed in', async () => {
  await go(page, '/onboarding');
  if (DB === 'postgres') {
    await page.check('#db_postgres');
    await page.fill('#database_url', PG_URL);
  }
  await page.check('#key_generate');
  const key = await page.inputValue('#generated_key');
  await page.check('#key_stored');
  await page.fill('#email', ADMIN.email);
  await page.fill('#display_name', ADMIN.name);
  await page.fill('#password', ADMIN.password);
  await page.fill('#password_confirm', ADMIN.password);
  await submit(page, 'form[action="/onboarding"] button.primary');
  assert.equal(new URL(page.url()).pathname, '/projects');
  assert.ok(await page.locator('a[href="/admin"]').count(), 'the admin sees the admin area link');
  assert.equal((await readyz()).database, DB, `the server now runs on ${DB}`);
  const dataDir = process.env.E2E_DATA_DIR;
  if (dataDir && existsSync(join(dataDir, 'appconfig.json'))) {
    const cfg = JSON.parse(readFileSync(join(dataDir, 'appconfig.json'), 'utf8'));
    assert.equal(cfg.HEARTLOCK_ENCRYPTION_KEY, key, 'the generated key is persisted');
    if (DB === 'postgres') assert.equal(cfg.DATABASE_URL, PG_URL);
  } else if (dataDir) {
    assert.fail(`no appconfig.json in ${dataDir}`);
  }
  await checkPage(page, 'after-onboarding', { mobileShot: false });
});

test('the wizard is a 404 afterwards, signed in or not', async () => {
  await go(page, '/onboarding', 404);
  await go(page, '/projects');
  await logout(page);
  await go(page, '/onboarding', 404);
  assert.match(await mainText(page), /Not found/);
  await go(page, '/login'); // a page with a valid (anonymous) CSRF token
  const status = await page.evaluate(async () => {
    const csrf = document.querySelector('input[name=csrf_token]').value;
    const r = await fetch('/onboarding', { method: 'POST', body: new URLSearchParams({ csrf_token: csrf, email: 'evil@example.com' }) });
    return r.status;
  });
  assert.equal(status, 404, 'POST /onboarding is closed too');
  await go(page, '/');
  assert.equal(new URL(page.url()).pathname, '/login', '/ now leads to sign-in');
  page.__errors = [];
});
