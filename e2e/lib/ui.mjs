// Small page helpers shared by the tests.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, BASE } from './env.mjs';

/** Navigates and asserts the final status (after redirects). */
export async function go(page, path, status = 200) {
  const resp = await page.goto(path, { waitUntil: 'load' });
  assert.ok(resp, `no response for ${path}`);
  assert.equal(resp.status(), status, `GET ${path} → ${resp.status()} (${page.url()})`);
  return resp;
}

/** Clicks something that submits a form; waits for the resulting page; returns its response. */
export async function submit(page, selector, status = 200) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator(selector).first().click(),
  ]);
  assert.ok(resp, `no navigation after clicking ${selector}`);
  if (status !== null) {
    const body = resp.status() === status ? '' : (await page.locator('main').innerText().catch(() => '')).slice(0, 400);
    assert.equal(resp.status(), status, `submit ${selector} → ${resp.status()} at ${page.url()}\n${body}`);
  }
  return resp;
}

export async function login(page, user, { next } = {}) {
  await go(page, next ? `/login?next=${encodeURIComponent(next)}` : '/login');
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await submit(page, 'main form button[type=submit]');
  assert.ok(!new URL(page.url()).pathname.startsWith('/login'), `still on ${page.url()} after signing in as ${user.email}`);
}

export async function logout(page) {
  await submit(page, 'form[action="/logout"] button');
  assert.equal(new URL(page.url()).pathname, '/login');
}

/** Text of <main> as written (textContent: no CSS text-transform), whitespace collapsed. */
export async function mainText(page) {
  return (await page.locator('main').textContent()).replace(/\s+/g, ' ');
}

/** POSTs a form from inside the page (cookies and Origin included) without a CSRF token. */
export async function postWithoutCsrf(page, action, fields) {
  return page.evaluate(async ([action, fields]) => {
    const r = await fetch(action, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
    return r.status;
  }, [action, fields]);
}

export function url(path) {
  return BASE + path;
}

// State handed from one test file to the next (they run in order, one process each).
const STATE = join(ARTIFACTS, 'state.json');
export function loadState() {
  return existsSync(STATE) ? JSON.parse(readFileSync(STATE, 'utf8')) : {};
}
export function saveState(patch) {
  const s = { ...loadState(), ...patch };
  writeFileSync(STATE, JSON.stringify(s, null, 2));
  return s;
}

/** URL of one secret cell (the reveal link; /edit and /history hang below it). */
export function secretUrl(project, env, key) {
  return `/projects/${project}/environments/${env}/secrets/${key}`;
}

/** The grid cell of KEY in ENV (found through its links, whatever state it is in). */
export function cell(page, project, env, key) {
  const u = secretUrl(project, env, key);
  return page.locator(`td:has(a[href="${u}"]), td:has(a[href="${u}/edit"]), td:has(a[href="${u}/history"]), td:has(form[action="${u}"])`).first();
}

/** Clicks "reveal" in a cell (htmx swaps the cell) and returns the shown value. */
export async function reveal(page, project, env, key) {
  const u = secretUrl(project, env, key);
  const td = cell(page, project, env, key);
  await td.locator(`a[href="${u}"]`).click();
  const value = td.locator('code.secret-value');
  await value.waitFor();
  return value.getAttribute('data-value');
}

/** Accepts the confirm() dialog that the next action opens. */
export function acceptNextDialog(page) {
  const seen = { message: null };
  page.once('dialog', (d) => { seen.message = d.message(); d.accept(); });
  return seen;
}
