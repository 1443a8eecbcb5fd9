// The first admin's project: create it, add secrets in two environments,
// reveal, edit, history, rollback; the project's other pages.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage } from '../lib/browser.mjs';
import { checkPage } from '../lib/checks.mjs';
import { ADMIN, PROJECT } from '../lib/env.mjs';
import {
  go, submit, mainText, login, cell, reveal, secretUrl, acceptNextDialog, saveState,
} from '../lib/ui.mjs';

const P = PROJECT.slug;
const DEV_DB = 'postgres://dev-db.internal/app';
const PROD_DB = 'postgres://prod-db.internal/app';
const PROD_DB_2 = 'postgres://prod-db-2.internal/app?sslmode=require';

let browser, page;
before(async () => { browser = await launch(); page = await newPage(browser); await login(page, ADMIN); });
after(async () => { await browser?.close(); });
beforeEach(() => { if (page) page.__errors = []; });

async function addSecret(key, value, env, comment = '') {
  await go(page, `/projects/${P}`);
  await page.fill('#add-key', key);
  await page.fill('#add-value', value);
  await page.selectOption('#add-env', env);
  if (comment) await page.fill('#add-comment', comment);
  await submit(page, `form[action="/projects/${P}/secrets"] button[type=submit]`);
  assert.equal(new URL(page.url()).pathname, `/projects/${P}`);
}

test('projects dashboard (empty)', async () => {
  await go(page, '/projects');
  await checkPage(page, 'projects-empty', { mobileShot: false });
});

test('create a project', async () => {
  await go(page, '/projects');
  await page.fill('#new-name', PROJECT.name);
  await page.fill('#new-slug', P);
  await submit(page, 'form[action="/projects"][method=post] button[type=submit]');
  assert.equal(new URL(page.url()).pathname, `/projects/${P}`);
  assert.match(await page.locator('h1').innerText(), /Payments API/);
  await checkPage(page, 'grid-empty', { mobileShot: false });
});

test('a duplicate slug is an inline error', async () => {
  await go(page, '/projects');
  await page.fill('#new-name', 'Another');
  await page.fill('#new-slug', P);
  await submit(page, 'form[action="/projects"][method=post] button[type=submit]', 422);
  await page.locator('.error[role=alert]').waitFor();
  page.__errors = [];
});

test('add secrets in two environments', async () => {
  await addSecret('DATABASE_URL', DEV_DB, 'development', 'first');
  await addSecret('DATABASE_URL', PROD_DB, 'production', 'first');
  await addSecret('API_KEY', 'dev-key-123', 'development');
  const html = await page.content();
  assert.ok(!html.includes(DEV_DB) && !html.includes(PROD_DB), 'values are masked until revealed');
  saveState({ project: P });
});

test('projects dashboard lists it, search filters (htmx)', async () => {
  await go(page, '/projects');
  assert.match(await mainText(page), /Payments API/);
  await page.fill('#project-search', 'zzz-nothing');
  await page.waitForFunction(() => !document.querySelector('#project-list a[href="/projects/payments-api"]'));
  await page.fill('#project-search', 'pay');
  await page.locator('#project-list a[href="/projects/payments-api"]').waitFor();
  await go(page, '/projects');
  await checkPage(page, 'projects');
});

test('grid: reveal values (htmx), missing cell marked', async () => {
  await go(page, `/projects/${P}`);
  assert.equal(await reveal(page, P, 'development', 'DATABASE_URL'), DEV_DB);
  assert.equal(await reveal(page, P, 'production', 'DATABASE_URL'), PROD_DB);
  assert.ok(await page.locator('tr.row-missing').count(), 'API_KEY is missing in production');
  await checkPage(page, 'grid');
});

test('reveal without JavaScript: the secret page', async () => {
  await go(page, secretUrl(P, 'development', 'API_KEY'));
  assert.equal(await page.locator('code.secret-value').getAttribute('data-value'), 'dev-key-123');
  await checkPage(page, 'secret', { mobileShot: false });
});

test('edit a value inline (htmx form, plain POST)', async () => {
  await go(page, `/projects/${P}`);
  const u = secretUrl(P, 'production', 'DATABASE_URL');
  await cell(page, P, 'production', 'DATABASE_URL').locator(`a[href="${u}/edit"]`).click();
  const form = page.locator(`form[action="${u}"]`);
  await form.waitFor();
  assert.equal((await form.locator('textarea').inputValue()).trim(), PROD_DB);
  await checkPage(page, 'grid-editing', { mobileShot: false });
  await form.locator('textarea').fill(PROD_DB_2);
  await form.locator('input[name=comment]').fill('moved to the new cluster');
  await submit(page, `form[action="${u}"] button[type=submit]`);
  assert.equal(new URL(page.url()).pathname, `/projects/${P}`);
  assert.equal(await reveal(page, P, 'production', 'DATABASE_URL'), PROD_DB_2);
});

test('history shows both versions; rollback to v1', async () => {
  const u = secretUrl(P, 'production', 'DATABASE_URL');
  await go(page, `/projects/${P}`);
  await submit(page, `a[href="${u}/history"]`);
  assert.equal(new URL(page.url()).pathname, `${u}/history`);
  const text = await mainText(page);
  assert.match(text, /v1/);
  assert.match(text, /v2/);
  assert.match(text, /moved to the new cluster/);
  // Reveal v1 in place (htmx).
  const v1 = page.locator('tbody tr', { has: page.locator('th', { hasText: /^v1\b/ }) });
  await v1.locator('a.button').first().click();
  await v1.locator('code.secret-value').waitFor();
  assert.equal(await v1.locator('code.secret-value').getAttribute('data-value'), PROD_DB);
  await checkPage(page, 'history');

  const dialog = acceptNextDialog(page);
  await submit(page, `form[action="${u}/rollback"]:has(input[name=version][value="1"]) button`);
  assert.ok(dialog.message, 'rollback asks for confirmation');
  await go(page, `/projects/${P}`);
  assert.equal(await reveal(page, P, 'production', 'DATABASE_URL'), PROD_DB);
  await go(page, `${u}/history`);
  assert.match(await mainText(page), /v3/);
});

test('environments page', async () => {
  await go(page, `/projects/${P}/environments`);
  const text = await mainText(page);
  for (const env of ['development', 'staging', 'production']) assert.match(text, new RegExp(env));
  await checkPage(page, 'environments');
});

test('members page', async () => {
  await go(page, `/projects/${P}/members`);
  assert.match(await mainText(page), new RegExp(ADMIN.email.replace('.', '\\.')));
  await checkPage(page, 'members');
});

test('project audit page', async () => {
  await go(page, `/projects/${P}/audit`);
  assert.match(await mainText(page), /DATABASE_URL/);
  await checkPage(page, 'audit');
});

test('a project that does not exist is an HTML 404 page', async () => {
  await go(page, '/projects/no-such-project', 404);
  const text = await mainText(page);
  assert.match(text, /Not found/);
  assert.match(text, /ops@example\.com/);
  await checkPage(page, 'error-404', { mobileShot: false, allowConsole: [/status of 404/] });
});

// Error pages keep the signed-in navigation and a language switch that
// carries the session's CSRF token.
test('error pages keep the signed-in navigation and a working language switch',
  async () => {
    await go(page, '/projects/no-such-project', 404);
    assert.ok(await page.locator('form[action="/logout"]').count(), 'sign-out is offered');
    const [resp] = await Promise.all([page.waitForNavigation(), page.selectOption('#locale-select', 'fr')]);
    assert.equal(resp.status(), 404, 'back on the same (404) page, in French');
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  });

// The flash cookie is cleared by the page that shows it, so "Secret added."
// does not reappear on the next page.
test('a flash message is shown once', async () => {
  await go(page, `/projects/${P}/environments`);
  await page.locator(`form[action="/projects/${P}/environments"] #env-slug`).fill('qa');
  await submit(page, `form[action="/projects/${P}/environments"] button[type=submit]`);
  assert.equal(await page.locator('.flash').count(), 1, 'shown after the action');
  await go(page, '/account');
  assert.equal(await page.locator('.flash').count(), 0, 'gone on the next page');
});
