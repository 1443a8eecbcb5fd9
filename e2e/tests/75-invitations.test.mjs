// Invitations end to end: the admin invites an address from the members
// page, the message is captured by the SMTP relay scripts/e2e.sh starts
// (scripts/peers/smtp_capture.py, folder in E2E_MAIL_DIR), the link opens in
// a fresh browser, the account is created there, and the new member sees
// the project.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { launch, newPage } from '../lib/browser.mjs';
import { checkPage } from '../lib/checks.mjs';
import { ADMIN, PROJECT, BASE } from '../lib/env.mjs';
import { go, submit, mainText, login } from '../lib/ui.mjs';

const MAIL_DIR = process.env.E2E_MAIL_DIR || '';
const P = PROJECT.slug;
const INVITEE = { email: 'ines.invited@example.com', password: 'ines-invited-password-7', name: 'Ines Invited' };

let browser, admin, guest;
before(async () => {
  browser = await launch();
  admin = await newPage(browser);
  guest = await newPage(browser);
  await login(admin, ADMIN);
});
after(async () => { await browser?.close(); });
beforeEach(() => { for (const p of [admin, guest]) if (p) p.__errors = []; });

/** The captured messages to `to`, waiting up to 20 s for at least one. */
async function messagesTo(to) {
  const index = join(MAIL_DIR, 'index.jsonl');
  for (let i = 0; i < 100; i++) {
    if (existsSync(index)) {
      const got = readFileSync(index, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
        .filter((m) => (m.rcpt_tos || []).includes(to));
      if (got.length) return got;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`no message to ${to} in ${index}`);
}

test('the admin invites an address from the members page', { skip: !MAIL_DIR && 'E2E_MAIL_DIR unset' }, async () => {
  await go(admin, `/projects/${P}/members`);
  await admin.fill('#invite-email', INVITEE.email);
  await admin.selectOption('#invite-role', 'member');
  await submit(admin, `form[action="/projects/${P}/invitations"] button[type=submit]`);
  assert.equal(new URL(admin.url()).pathname, `/projects/${P}/members`);
  assert.match(await admin.locator('#pending-invitations').innerText(), new RegExp(INVITEE.email.replace(/\./g, '\\.')));
  await checkPage(admin, 'members-invitations', { mobileShot: false });
});

test('the link from the message creates the account and joins the project', { skip: !MAIL_DIR && 'E2E_MAIL_DIR unset' }, async () => {
  const [m] = await messagesTo(INVITEE.email);
  assert.match(m.subject, /Payments API/);
  const link = m.plain.match(/https?:\/\/\S+\/invite\/[A-Za-z0-9_-]+/)?.[0];
  assert.ok(link, `a link in: ${m.plain}`);
  assert.ok(link.startsWith(BASE), `${link} points at this server`);
  assert.ok(m.html.includes(`href="${link}"`), 'the HTML part links it too');

  await go(guest, new URL(link).pathname);
  assert.match(await mainText(guest), /Ada Admin/);
  await checkPage(guest, 'invite');
  await guest.fill('#display_name', INVITEE.name);
  await guest.fill('#password', INVITEE.password);
  await guest.fill('#password_confirm', INVITEE.password);
  await submit(guest, 'main form button[type=submit]');
  assert.equal(new URL(guest.url()).pathname, `/projects/${P}`);
  assert.match(await guest.locator('h1').innerText(), /Payments API/);

  // A member now: the project is in their list; the link works once.
  await go(guest, '/projects');
  assert.match(await mainText(guest), /Payments API/);
  await go(guest, new URL(link).pathname, 410);
  assert.match(await mainText(guest), /already used/);
});
