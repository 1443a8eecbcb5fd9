// The PostgreSQL run really stored everything in the database the wizard chose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ADMIN, VIEWER, PROJECT, DB, PG_URL, BASE } from '../lib/env.mjs';

function sql(q) {
  const r = spawnSync('psql', ['-qtA', PG_URL, '-c', q], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('the server still runs on the chosen database', async () => {
  assert.equal((await (await fetch(`${BASE}/readyz`)).json()).database, DB);
});

test('users and the project are rows of the PostgreSQL database', { skip: DB !== 'postgres' && 'SQLite run' }, () => {
  const emails = sql('SELECT email FROM users ORDER BY email').split('\n');
  assert.ok(emails.includes(ADMIN.email) && emails.includes(VIEWER.email), `users: ${emails}`);
  assert.equal(sql(`SELECT count(*) FROM projects WHERE slug = '${PROJECT.slug}'`), '1');
});
