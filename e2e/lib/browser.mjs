// Headless Chromium from the system (never a downloaded browser).
import { chromium } from 'playwright-core';
import { CHROMIUM, BASE } from './env.mjs';
import { watch } from './checks.mjs';

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Launches Chromium with a fresh profile (playwright makes a temp user data dir). */
export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 60_000 });
}

/** A fresh context (own cookies) with one watched page; `baseURL` defaults to the main server. */
export async function newPage(browser, { width = 1440, height = 900, baseURL = BASE } = {}) {
  const context = await browser.newContext({
    baseURL,
    viewport: { width, height },
    locale: 'en-US',
    colorScheme: 'light',
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  await watch(page);
  return page;
}
