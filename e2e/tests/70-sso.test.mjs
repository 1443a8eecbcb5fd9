// Single sign-on through a real OpenID Provider's own login page.
//
// scripts/e2e.sh starts, for each run, the provider e2e/oidc/op.mjs (npm
// oidc-provider, users alice and bob) and a SECOND heartlock server with OIDC
// on, its own data dir and, on the postgres run, its own fresh PostgreSQL
// database; it passes their addresses as E2E_SSO_BASE_URL and E2E_OP_URL.
// (The main server keeps OIDC off: SSO closes /register, which the other
// tests use.) Without those variables this file is skipped.
//
// The sign-in sends no login_hint, so the provider shows its own
// (devInteractions) login form, which the browser fills like a person would.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, newPage } from '../lib/browser.mjs';
import { checkPage } from '../lib/checks.mjs';
import { go, mainText } from '../lib/ui.mjs';
import { SSO_BASE, OP_URL, SHOTS, FAST, DB } from '../lib/env.mjs';

const skip = !(SSO_BASE && OP_URL) && 'no SSO server (run through scripts/e2e.sh)';
const ALICE = { login: 'alice', email: 'alice@example.test' };
const BOB = { login: 'bob', email: 'bob@example.test' };
const PROJECT = { name: 'Alice SSO Project', slug: 'alice-sso-project' };

let browser, page;
before(async () => {
  if (skip) return;
  browser = await launch();
  page = await newPage(browser, { baseURL: SSO_BASE });
  // The provider's pages @import a web font; the test machine has no
  // internet, so refuse every request that leaves 127.0.0.1 at once.
  await page.context().route((u) => u.hostname !== '127.0.0.1', (r) => r.abort());
});
after(async () => { await browser?.close(); });
beforeEach(() => { if (page) page.__errors = []; });

async function providerShot(name) {
  if (!FAST) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Clicks `selector` and waits for the page it leads to (after every redirect). */
async function clickAndWait(selector) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }).catch((e) => {
      // Say why (a CSP refusal shows only on the console).
      throw new Error(`${selector} at ${page.url()}: ${e.message}\n  ${page.__errors.join('\n  ')}`);
    }),
    page.locator(selector).first().click(),
  ]);
  return resp;
}

/** From /login: "Sign in with SSO", the provider's login form, back on /projects. */
async function signIn(user) {
  await go(page, '/login');
  const sso = page.locator('a[href="/oauth/login"]');
  assert.equal((await sso.innerText()).trim(), 'Sign in with SSO');
  await clickAndWait('a[href="/oauth/login"]');

  const at = new URL(page.url());
  assert.equal(at.origin, OP_URL, `the provider's own page, not ${page.url()}`);
  assert.match(at.pathname, /^\/interaction\/[^/]+$/);
  assert.equal(await page.title(), 'Sign-in');
  assert.equal(await page.inputValue('input[name=login]'), '', 'no login_hint: the form is empty');
  await page.fill('input[name=login]', user.login);
  await page.fill('input[name=password]', `any-password-of-${user.login}`);
  await providerShot(`sso-provider-login-${user.login}`);
  let resp = await clickAndWait('form button[type=submit]');
  // op.mjs grants the scopes itself; a provider that asks for consent gets it.
  if (new URL(page.url()).origin === OP_URL && (await page.title()) === 'Authorize') {
    resp = await clickAndWait('form button[type=submit]');
  }
  assert.equal(resp?.status(), 200, `back from the provider at ${page.url()}`);
  assert.equal(page.url(), `${SSO_BASE}/projects`);
  // The header names who is signed in (the account link carries the email).
  assert.equal(await page.getAttribute('header a[href="/account"]', 'title'), user.email);
  // Aborted font requests on the provider's pages are not Heartlock's errors.
  page.__errors = [];
}

test('the SSO server runs on this run\'s database', { skip }, async () => {
  assert.equal((await (await fetch(`${SSO_BASE}/readyz`)).json()).database, DB);
});

test('alice signs in through the provider\'s login page', { skip }, async () => {
  await signIn(ALICE);
  await checkPage(page, 'sso-projects-alice');
  await go(page, '/account');
  assert.match(await mainText(page), /alice@example\.test/);

  // Something bob must not see.
  await go(page, '/projects');
  await page.fill('#new-name', PROJECT.name);
  await page.fill('#new-slug', PROJECT.slug);
  await clickAndWait('form[action="/projects"][method=post] button[type=submit]');
  assert.equal(page.url(), `${SSO_BASE}/projects/${PROJECT.slug}`);
});

test('signing out ends the session at the provider too', { skip }, async () => {
  await go(page, '/projects');
  await clickAndWait('form[action="/logout"] button');
  const end = new URL(page.url());
  assert.equal(`${end.origin}${end.pathname}`, `${OP_URL}/session/end`, `at ${page.url()}`);
  assert.match(end.searchParams.get('id_token_hint') ?? '', /^ey/, 'the ID token as hint');
  assert.equal(end.searchParams.get('post_logout_redirect_uri'), `${SSO_BASE}/login`);
  // The provider asks whether to sign out of it as well: yes.
  const yes = page.locator('button[name=logout][value=yes]');
  if (await yes.count()) {
    await providerShot('sso-provider-logout');
    await clickAndWait('button[name=logout][value=yes]');
  }
  assert.equal(new URL(page.url()).origin, SSO_BASE);
  assert.equal(new URL(page.url()).pathname, '/login');
  page.__errors = [];
  await go(page, '/projects');
  assert.equal(new URL(page.url()).pathname, '/login', 'signed out of Heartlock');
});

test('bob signs in (the provider asks again) and sees no projects', { skip }, async () => {
  await signIn(BOB);
  assert.match(await mainText(page), /You are not a member of any project yet/);
  assert.equal(await page.locator('#project-list tbody tr').count(), 0);
  assert.doesNotMatch(await mainText(page), new RegExp(PROJECT.name));
  await checkPage(page, 'sso-projects-bob', { mobileShot: false });
  const resp = await page.goto(`/projects/${PROJECT.slug}`);
  assert.ok([403, 404].includes(resp.status()), `bob opens alice's project: ${resp.status()}`);
  page.__errors = [];
});
