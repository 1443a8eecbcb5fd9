// The account page of a fresh user: password change, CSRF on a signed-in
// form, sign out everywhere.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage } from '../lib/browser.mjs';
import { checkPage } from '../lib/checks.mjs';
import { go, submit, mainText, login, logout, postWithoutCsrf } from '../lib/ui.mjs';

const USER = { email: 'carol@example.com', password: 'carol-password-123', name: 'Carol Account' };
const NEW_PASSWORD = 'carol-new-password-456';

let browser, page;
before(async () => { browser = await launch(); page = await newPage(browser); });
after(async () => { await browser?.close(); });
beforeEach(() => { if (page) page.__errors = []; });

test('register a user through the register page', async () => {
  await go(page, '/register');
  await page.fill('#email', USER.email);
  await page.fill('#display_name', USER.name);
  await page.fill('#password', 'short');
  // The browser's own validation (minlength) stops a short password before sending.
  assert.equal(await page.$eval('#password', (el) => el.checkValidity()), false);
  await page.fill('#password', USER.password);
  await submit(page, 'main form button[type=submit]');
  assert.equal(new URL(page.url()).pathname, '/projects');
});

test('account page', async () => {
  await go(page, '/account');
  const text = await mainText(page);
  assert.match(text, new RegExp(USER.email.replace('.', '\\.')));
  assert.match(text, /Carol Account/);
  assert.match(text, /this session/);
  await checkPage(page, 'account');
});

test('signed-in form without CSRF token is refused', async () => {
  await go(page, '/account');
  const status = await postWithoutCsrf(page, '/account/password', {
    current_password: USER.password, new_password: 'whatever-password-789',
  });
  assert.equal(status, 403);
  // Removing the hidden field from the real form: the error page.
  await page.fill('#current_password', USER.password);
  await page.fill('#new_password', 'whatever-password-789');
  await page.evaluate(() => document.querySelector('form[action="/account/password"] input[name=csrf_token]').remove());
  await submit(page, 'form[action="/account/password"] button', 403);
  assert.match(await mainText(page), /Form expired/);
  page.__errors = [];
});

test('wrong current password is an inline error', async () => {
  await go(page, '/account');
  await page.fill('#current_password', 'not-my-password-000');
  await page.fill('#new_password', NEW_PASSWORD);
  await submit(page, 'form[action="/account/password"] button', 403);
  assert.match(await page.locator('.error[role=alert]').innerText(), /current password is wrong/);
  await checkPage(page, 'account-error', { mobileShot: false, allowConsole: [/status of 403/] });
});

test('change the password, sign in with the new one', async () => {
  await go(page, '/account');
  await page.fill('#current_password', USER.password);
  await page.fill('#new_password', NEW_PASSWORD);
  await submit(page, 'form[action="/account/password"] button');
  assert.match(await page.locator('.flash').innerText(), /Password changed/);
  await logout(page);
  assert.match(await page.locator('.flash').innerText(), /signed out/);
  await login(page, { ...USER, password: NEW_PASSWORD });
});

test('sign out everywhere asks first, then ends this session', async () => {
  await go(page, '/account');
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await page.click('form[action="/account/sign-out-everywhere"] button');
  await page.waitForTimeout(200);
  assert.match(asked, /Sign out of every session/);
  assert.equal(new URL(page.url()).pathname, '/account', 'dismissing keeps the session');
  page.once('dialog', (d) => d.accept());
  await submit(page, 'form[action="/account/sign-out-everywhere"] button');
  assert.equal(new URL(page.url()).pathname, '/login');
  await go(page, '/account');
  assert.equal(new URL(page.url()).pathname, '/login', 'signed out');
});
