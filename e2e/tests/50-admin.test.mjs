// The admin area: users (disable / enable, with confirmation), audit log,
// status; closed to everyone else.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage } from '../lib/browser.mjs';
import { checkPage } from '../lib/checks.mjs';
import { ADMIN, VIEWER, DB } from '../lib/env.mjs';
import { go, submit, mainText, login, acceptNextDialog, postWithoutCsrf } from '../lib/ui.mjs';

let browser, admin, other;
before(async () => {
  browser = await launch();
  admin = await newPage(browser);
  other = await newPage(browser);
  await login(admin, ADMIN);
});
after(async () => { await browser?.close(); });
beforeEach(() => { for (const p of [admin, other]) if (p) p.__errors = []; });

const viewerRow = () => admin.locator('tbody tr', { hasText: VIEWER.email });

test('admin users page', async () => {
  await go(admin, '/admin');
  assert.equal(new URL(admin.url()).pathname, '/admin/users');
  const text = await mainText(admin);
  assert.match(text, new RegExp(ADMIN.email.replace('.', '\\.')));
  assert.match(text, new RegExp(VIEWER.email.replace('.', '\\.')));
  await checkPage(admin, 'admin-users');
});

test('disabling a user (confirmed) locks them out; enabling lets them back', async () => {
  await go(admin, '/admin/users');
  const dialog = acceptNextDialog(admin);
  await submit(admin, `tbody tr:has-text("${VIEWER.email}") form[action$="/disable"] button`);
  assert.ok(dialog.message, 'disabling asks first');
  assert.match(await viewerRow().getAttribute('class') ?? '', /is-disabled/);
  await checkPage(admin, 'admin-users-disabled', { mobileShot: false });

  await go(other, '/login');
  await other.fill('#email', VIEWER.email);
  await other.fill('#password', VIEWER.password);
  await submit(other, 'main form button[type=submit]', 401);
  other.__errors = [];

  await submit(admin, `tbody tr:has-text("${VIEWER.email}") form[action$="/enable"] button`);
  assert.doesNotMatch(await viewerRow().getAttribute('class') ?? '', /is-disabled/);
  await login(other, VIEWER);
});

test('non-admins are refused', async () => {
  const r = await other.goto('/admin/users');
  assert.ok([403, 404].includes(r.status()), `viewer on /admin/users → ${r.status()}`);
  assert.equal(await other.locator('a[href="/admin"]').count(), 0, 'no admin link for them');
  other.__errors = [];
});

test('admin forms need their CSRF token', async () => {
  await go(admin, '/admin/users');
  const action = await viewerRow().locator('form[action$="/disable"]').getAttribute('action');
  assert.equal(await postWithoutCsrf(admin, action, {}), 403);
  await go(admin, '/admin/users');
  assert.doesNotMatch(await viewerRow().getAttribute('class') ?? '', /is-disabled/);
});

test('admin audit log, filtered', async () => {
  await go(admin, '/admin/audit');
  assert.match(await mainText(admin), /auth\./);
  await checkPage(admin, 'admin-audit');
  await admin.fill('#action', 'auth.');
  await admin.selectOption('#outcome', { index: 1 }).catch(() => {});
  await submit(admin, 'form.filters button, form[action="/admin/audit"] button');
  assert.match(admin.url(), /action=auth/);
});

test('admin status page', async () => {
  await go(admin, '/admin/status');
  const text = await mainText(admin);
  assert.match(text, DB === 'postgres' ? /postgres/i : /sqlite/i);
  await checkPage(admin, 'admin-status');
});
