// A service token made in the UI, used against the API, then revoked.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, newPage } from '../lib/browser.mjs';
import { checkPage } from '../lib/checks.mjs';
import { ADMIN, PROJECT, BASE } from '../lib/env.mjs';
import { go, submit, mainText, login, acceptNextDialog, saveState } from '../lib/ui.mjs';

const P = PROJECT.slug;
let browser, page, token;
before(async () => { browser = await launch(); page = await newPage(browser); await login(page, ADMIN); });
after(async () => { await browser?.close(); });
beforeEach(() => { if (page) page.__errors = []; });

function exportEnv(env, tok = token) {
  return fetch(`${BASE}/api/v1/projects/${P}/environments/${env}/secrets:export`, {
    headers: { Authorization: `Bearer ${tok}`, Accept: 'application/json' },
  });
}

test('tokens page', async () => {
  await go(page, `/projects/${P}/tokens`);
  await checkPage(page, 'tokens', { mobileShot: false });
});

test('create a read token for two environments; shown once', async () => {
  await go(page, `/projects/${P}/tokens`);
  await page.fill('#token-name', 'ci-deploy');
  await page.check('input[name=env][value=development]');
  await page.check('input[name=env][value=production]');
  await page.check('input[name=access][value=read]');
  await page.fill('#token-expiry', '30');
  await submit(page, `form[action="/projects/${P}/tokens"] button[type=submit]`, 201);
  token = await page.locator('#new-token').getAttribute('data-value');
  assert.match(token ?? '', /^hl_st_/);
  assert.match(await mainText(page), /ci-deploy/);
  // Ready-to-paste usage for its first environment: the CLI and curl with
  // the token, the CI step with a repository secret instead.
  const cli = await page.locator('#token-usage-1').textContent();
  assert.ok(cli.includes(`HEARTLOCK_TOKEN=${token}`) && cli.includes(`heartlock run -p ${P} -e development --`), cli);
  const curl = await page.locator('#token-usage-2').textContent();
  const url = curl.match(/(http\S+secrets:export)/)?.[1];
  assert.ok(curl.includes(`Bearer ${token}`) && url, curl);
  const pasted = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(pasted.status, 200, 'the curl snippet works as printed');
  const ci = await page.locator('#token-usage-3').textContent();
  assert.ok(ci.includes('${{ secrets.HEARTLOCK_TOKEN }}') && !ci.includes(token), ci);
  await checkPage(page, 'token-created');
  saveState({ token });
  // Shown once: a reload does not show it again.
  await go(page, `/projects/${P}/tokens`);
  assert.ok(!(await page.content()).includes(token));
});

test('the token reads its environments through the API', async () => {
  const r = await exportEnv('production');
  assert.equal(r.status, 200, await r.clone().text());
  const body = await r.json();
  assert.equal(body.DATABASE_URL, 'postgres://prod-db.internal/app');
  const dev = await (await exportEnv('development')).json();
  assert.equal(dev.API_KEY, 'dev-key-123');
});

test('the token is refused outside its scope and for writes', async () => {
  const r = await exportEnv('staging');
  assert.ok([403, 404].includes(r.status), `staging → ${r.status}`);
  const w = await fetch(`${BASE}/api/v1/projects/${P}/environments/development/secrets/NEW_ONE`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ value: 'x' }),
  });
  assert.equal(w.status, 403, 'a read token cannot write');
});

const CLI = process.env.E2E_HEARTLOCK_BIN;
test('the CLI runs a command with the secrets (HEARTLOCK_TOKEN)', { skip: !CLI && 'E2E_HEARTLOCK_BIN not set' }, () => {
  const home = mkdtempSync(join(tmpdir(), 'hl-cli-'));
  const r = spawnSync(CLI, ['run', '-p', P, '-e', 'production', '--', 'printenv', 'DATABASE_URL'], {
    cwd: home,
    env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home, HEARTLOCK_SERVER: BASE, HEARTLOCK_TOKEN: token },
    encoding: 'utf8', timeout: 30_000,
  });
  assert.equal(r.status, 0, `heartlock run failed: ${r.stderr}`);
  assert.equal(r.stdout.trim(), 'postgres://prod-db.internal/app');
});

test('revoking the token (after confirmation) locks it out', async () => {
  await go(page, `/projects/${P}/tokens`);
  const dialog = acceptNextDialog(page);
  await submit(page, `form[action^="/projects/${P}/tokens/"][action$="/revoke"] button`);
  assert.ok(dialog.message, 'revoke asks for confirmation');
  const r = await exportEnv('production');
  assert.equal(r.status, 401);
  await checkPage(page, 'tokens-revoked', { mobileShot: false });
});
