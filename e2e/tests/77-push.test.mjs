// Web push in Chromium: the service worker registers at scope /, renders a
// push payload, and the account page's JavaScript subscribes a browser.
// Headless Chromium has no push service of its own (pushManager.subscribe
// needs Google's), so the end-to-end delivery uses the local push receiver
// scripts/e2e.sh starts (scripts/peers/push_receiver.py, E2E_PUSH_URL): its
// subscription is saved by the page's own push.js, a test notification is
// sent from the account page, and the receiver decrypts it like a browser
// and checks its VAPID token. A 410 from the receiver removes the
// subscription.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { launch, newPage } from '../lib/browser.mjs';
import { checkPage } from '../lib/checks.mjs';
import { BASE } from '../lib/env.mjs';
import { go, submit, mainText } from '../lib/ui.mjs';

const PUSH_URL = (process.env.E2E_PUSH_URL || '').replace(/\/$/, '');
const PUSH_DIR = process.env.E2E_PUSH_DIR || '';
const USER = { email: 'pia.push@example.com', password: 'pia-push-password-42', name: 'Pia Push' };

let browser, page;
before(async () => {
  browser = await launch();
  page = await newPage(browser);
  await page.context().grantPermissions(['notifications'], { origin: BASE });
});
after(async () => { await browser?.close(); });
beforeEach(() => { if (page) page.__errors = []; });

/** What the receiver logged for subscription `name`, waiting for `n` lines. */
async function received(name, n) {
  const file = join(PUSH_DIR, 'received.jsonl');
  for (let i = 0; i < 200; i++) {
    if (existsSync(file)) {
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
        .filter((r) => r.name === name);
      if (lines.length >= n) return lines;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`fewer than ${n} push(es) reached ${name}`);
}

test('register a user', async () => {
  await go(page, '/register');
  await page.fill('#email', USER.email);
  await page.fill('#display_name', USER.name);
  await page.fill('#password', USER.password);
  await submit(page, 'main form button[type=submit]');
  assert.equal(new URL(page.url()).pathname, '/projects');
});

test('the service worker registers at / and renders a push', async () => {
  await go(page, '/account');
  const got = await page.evaluate(async () => {
    const hp = window.heartlockPush;
    const reg = await hp.register();
    const worker = reg.active || reg.waiting || reg.installing;
    const reply = await new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = (e) => resolve(e.data);
      worker.postMessage({
        type: 'heartlock-ping',
        payload: JSON.stringify({ title: 'T', body: 'B', url: '//evil.example/', tag: 'x' }),
      }, [ch.port2]);
    });
    return { supported: hp.supported(), scope: reg.scope, reply, key: await hp.publicKey() };
  });
  assert.equal(got.supported, true, 'http://127.0.0.1 is a secure context');
  assert.equal(got.scope, `${BASE}/`);
  assert.equal(got.reply.scope, `${BASE}/`);
  assert.deepEqual(got.reply.rendered, { title: 'T', body: 'B', tag: 'x', url: '/' }, 'only local paths open');
  assert.match(got.key, /^[A-Za-z0-9_-]{87}$/, 'unpadded base64url of 65 bytes');
});

test('the enable button subscribes where Chromium has a push service', async (t) => {
  await go(page, '/account');
  await page.waitForSelector('[data-push-action="enable"]:not([hidden])');
  const outcome = await page.evaluate(() => window.heartlockPush.subscribe().then(() => 'ok', (e) => String(e)));
  if (outcome === 'ok') {
    await go(page, '/account');
    assert.equal(await page.locator('#push tbody tr').count(), 1);
    await page.evaluate(() => window.heartlockPush.unsubscribe());
  } else {
    // Headless Chromium without Google's push service: the page says so.
    t.diagnostic(`pushManager.subscribe is unavailable here: ${outcome}`);
    await page.click('[data-push-action="enable"]');
    await page.waitForFunction(() => /did not work/.test(document.querySelector('#push-browser .push-status').textContent));
  }
  page.__errors = [];
});

test('a subscription saved by push.js gets a test notification that decrypts', async (t) => {
  if (!PUSH_URL) { t.skip('no push receiver (run through scripts/e2e.sh)'); return; }
  const sub = await (await fetch(`${PUSH_URL}/new/e2e`)).json();
  await go(page, '/account');
  await page.evaluate((s) => window.heartlockPush.save(s), sub);
  await go(page, '/account');
  assert.match(await mainText(page), new RegExp(PUSH_URL.replace(/[.]/g, '\\.')));
  await checkPage(page, 'account-push');
  await submit(page, 'form[action="/account/push/test"] button');
  assert.match(await page.locator('.flash').innerText(), /test notification is on its way/);
  const [got] = await received('e2e', 1);
  assert.equal(got.status, 201, JSON.stringify(got));
  assert.deepEqual(got.problems, []);
  assert.equal(got.vapid.claims.aud, PUSH_URL, 'aud keeps the port');
  const notice = JSON.parse(got.plaintext);
  assert.equal(notice.title, 'Heartlock');
});

test('a 410 from the push service removes the subscription', async (t) => {
  if (!PUSH_URL) { t.skip('no push receiver'); return; }
  const r = await fetch(`${PUSH_URL}/control/answer/e2e/410`, { method: 'POST' });
  assert.equal(r.status, 204);
  await go(page, '/account');
  await submit(page, 'form[action="/account/push/test"] button');
  const lines = await received('e2e', 2);
  assert.equal(lines[1].status, 410);
  for (let i = 0; i < 100; i++) {
    await go(page, '/account');
    if (await page.locator('#push tbody tr').count() === 0) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.match(await mainText(page), /No browser receives notifications/);
});
