// A second person registers, the admin adds them as viewer; the viewer can
// reveal but not edit, then signs out.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage } from '../lib/browser.mjs';
import { checkPage } from '../lib/checks.mjs';
import { ADMIN, VIEWER, PROJECT } from '../lib/env.mjs';
import { go, submit, mainText, login, logout, reveal, secretUrl } from '../lib/ui.mjs';

const P = PROJECT.slug;
let browser, admin, viewer;
before(async () => {
  browser = await launch();
  admin = await newPage(browser);
  viewer = await newPage(browser); // its own context: separate cookies
});
after(async () => { await browser?.close(); });
beforeEach(() => { for (const p of [admin, viewer]) if (p) p.__errors = []; });

test('the second user registers', async () => {
  await go(viewer, '/register');
  await viewer.fill('#email', VIEWER.email);
  await viewer.fill('#display_name', VIEWER.name);
  await viewer.fill('#password', VIEWER.password);
  await submit(viewer, 'main form button[type=submit]');
  assert.equal(new URL(viewer.url()).pathname, '/projects');
  assert.ok(!(await mainText(viewer)).includes(PROJECT.name), 'not a member yet');
  await go(viewer, `/projects/${P}`, 404);
  viewer.__errors = [];
});

test('the admin adds them as viewer on the members page', async () => {
  await login(admin, ADMIN);
  await go(admin, `/projects/${P}/members`);
  await admin.fill('#member-email', VIEWER.email);
  await admin.selectOption('#member-role', 'viewer');
  await submit(admin, `form[action="/projects/${P}/members"] button[type=submit]`);
  const row = admin.locator('tbody tr', { hasText: VIEWER.email });
  await row.waitFor();
  assert.equal(await row.locator('select').inputValue(), 'viewer');
  await checkPage(admin, 'members-with-viewer', { mobileShot: false });
});

test('the viewer sees the project and can reveal', async () => {
  await go(viewer, '/projects');
  assert.match(await mainText(viewer), /Payments API/);
  await go(viewer, `/projects/${P}`);
  assert.equal(await reveal(viewer, P, 'development', 'DATABASE_URL'), 'postgres://dev-db.internal/app');
  await checkPage(viewer, 'grid-viewer');
});

test('the viewer cannot edit: no edit controls, edit URL and POST refused', async () => {
  await go(viewer, `/projects/${P}`);
  assert.equal(await viewer.locator('a[href$="/edit"]').count(), 0, 'no edit links');
  assert.equal(await viewer.locator(`form[action="/projects/${P}/secrets"]`).count(), 0, 'no add form');
  assert.equal(await viewer.locator('form[action$="/delete"]').count(), 0, 'no delete buttons');
  const u = secretUrl(P, 'development', 'DATABASE_URL');
  const r = await viewer.goto(`${u}/edit`);
  assert.ok([403, 404].includes(r.status()), `GET edit → ${r.status()}`);
  // A well-formed POST with a valid CSRF token is still refused by role.
  const status = await viewer.evaluate(async (u) => {
    const csrf = document.querySelector('input[name=csrf_token]').value;
    const r = await fetch(u, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ csrf_token: csrf, value: 'hacked', comment: '' }) });
    return r.status;
  }, u);
  assert.ok([403, 404].includes(status), `POST save → ${status}`);
  viewer.__errors = [];
  // The value is unchanged.
  await go(viewer, `/projects/${P}`);
  assert.equal(await reveal(viewer, P, 'development', 'DATABASE_URL'), 'postgres://dev-db.internal/app');
  // Tokens and audit are not for viewers.
  assert.equal(await viewer.locator(`a[href="/projects/${P}/tokens"]`).count(), 0);
});

test('the viewer signs out', async () => {
  await logout(viewer);
  await go(viewer, `/projects/${P}`);
  assert.equal(new URL(viewer.url()).pathname, '/login', 'signed out: back to the login page');
});
