// Settings of one run, from the environment scripts/e2e.sh sets.
import { mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const BASE = (process.env.E2E_BASE_URL || 'http://127.0.0.1:8082').replace(/\/$/, '');
export const DB = process.env.E2E_DB || 'sqlite';
export const PG_URL = process.env.E2E_PG_URL || '';
/** The single sign-on pair scripts/e2e.sh starts (empty when run without it). */
export const SSO_BASE = (process.env.E2E_SSO_BASE_URL || '').replace(/\/$/, '');
export const OP_URL = (process.env.E2E_OP_URL || '').replace(/\/$/, '');
export const ARTIFACTS = resolve(process.env.E2E_ARTIFACTS || join(here, '..', '..', 'test-artifacts', DB));
export const SHOTS = join(ARTIFACTS, 'screenshots');
export const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
/** Set E2E_FAST=1 to skip screenshots (checks still run). */
export const FAST = process.env.E2E_FAST === '1';

mkdirSync(SHOTS, { recursive: true });

/** The people and names the flow uses (stable within a run). */
export const ADMIN = { email: 'admin@example.com', password: 'admin-password-123', name: 'Ada Admin' };
export const VIEWER = { email: 'viewer@example.com', password: 'viewer-password-123', name: 'Vic Viewer' };
export const PROJECT = { name: 'Payments API', slug: 'payments-api' };
