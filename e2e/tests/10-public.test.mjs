// Pages anyone can see: sign-in, registration, language, error pages, CSRF.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage } from '../lib/browser.mjs';
import { checkPage } from '../lib/checks.mjs';
import { go, submit, mainText } from '../lib/ui.mjs';
import { ADMIN } from '../lib/env.mjs';

let browser, page;
before(async () => { browser = await launch(); page = await newPage(browser); });
after(async () => { await browser?.close(); });
beforeEach(() => { if (page) page.__errors = []; });

test('login page', async () => {
  await go(page, '/login');
  assert.equal(await page.title(), 'Sign in · Heartlock');
  assert.match(await mainText(page), /ops@example\.com/, 'admin contact shown to locked-out users');
  await checkPage(page, 'login');
});

test('wrong password shows an error, keeps the email', async () => {
  await go(page, '/login');
  await page.fill('#email', ADMIN.email);
  await page.fill('#password', 'definitely-not-it');
  await submit(page, 'main form button[type=submit]', 401);
  await page.locator('.error[role=alert]').waitFor();
  assert.equal(await page.inputValue('#email'), ADMIN.email);
  await checkPage(page, 'login-failed', { mobileShot: false, allowConsole: [/status of 401/] });
});

test('register page', async () => {
  await go(page, '/register');
  assert.ok(await page.locator('#password[minlength="12"]').count());
  await checkPage(page, 'register');
});

test('locale switch to French and back', async () => {
  await go(page, '/login');
  await Promise.all([page.waitForNavigation(), page.selectOption('#locale-select', 'fr')]);
  assert.equal(new URL(page.url()).pathname, '/login', 'stays on the same page');
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  assert.notEqual(await page.title(), 'Sign in · Heartlock');
  await checkPage(page, 'login-fr', { mobileShot: false });
  await Promise.all([page.waitForNavigation(), page.selectOption('#locale-select', 'en')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
});

// A mistyped URL shows the HTML error page to browsers (the API keeps
// answering problem+json).
test('unknown URL is an HTML 404 page with the admin contact', async () => {
  const resp = await go(page, '/no-such-page', 404);
  assert.match(resp.headers()['content-type'] ?? '', /text\/html/);
  const text = await mainText(page);
  assert.match(text, /Not found/);
  assert.match(text, /ops@example\.com/);
  await checkPage(page, 'error-404', { mobileShot: false, allowConsole: [/status of 404/] });
});

test('a form posted without its CSRF token is refused', async () => {
  await go(page, '/login');
  await page.fill('#email', ADMIN.email);
  await page.fill('#password', ADMIN.password);
  await page.evaluate(() => document.querySelector('main form input[name=csrf_token]').remove());
  await submit(page, 'main form button[type=submit]', 403);
  assert.match(await mainText(page), /Form expired/);
  await checkPage(page, 'error-csrf', { mobileShot: false, allowConsole: [/status of 403/] });
  // Not signed in by that attempt.
  await go(page, '/account');
  assert.equal(new URL(page.url()).pathname, '/login');
});

test('a forged token is refused too', async () => {
  await go(page, '/login');
  await page.fill('#email', ADMIN.email);
  await page.fill('#password', ADMIN.password);
  await page.evaluate(() => { document.querySelector('main form input[name=csrf_token]').value = 'x'.repeat(43); });
  await submit(page, 'main form button[type=submit]', 403);
  page.__errors = [];
});
