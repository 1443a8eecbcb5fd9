// What every page must satisfy: no console error, no CSP violation, no
// serious/critical axe violation (light and dark), no horizontal overflow at
// 390 and 1440 px; plus screenshots for people to look at.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SHOTS, FAST } from './env.mjs';

const require = createRequire(import.meta.url);
// Evaluated through CDP (page.evaluate), which the page's CSP does not block,
// unlike an injected <script> tag.
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Records console errors, page errors and CSP violations of a page. */
export async function watch(page) {
  page.__errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.__errors.push(`console: ${m.text()} @ ${m.location()?.url ?? ''}`);
  });
  page.on('pageerror', (e) => page.__errors.push(`pageerror: ${e.message}`));
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked=${e.blockedURI} sample=${e.sample} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
}

/** Console errors since the last call (matching `allow` are ignored), then cleared. */
// Chromium asks for /favicon.ico only on non-HTML answers (the JSON 404 of
// unknown URLs); that request's 404 is not a page error.
const ALWAYS_ALLOWED = [/\/favicon\.ico$/];

export function takeErrors(page, allow = []) {
  allow = [...allow, ...ALWAYS_ALLOWED];
  const errs = page.__errors.filter((e) => !allow.some((re) => re.test(e)));
  page.__errors = [];
  return errs;
}

export async function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations || []);
}

/** Serious and critical axe violations of the current document. */
export async function axeViolations(page) {
  const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} :: ${n.failureSummary?.split('\n').slice(0, 3).join(' ')}`),
    }));
  });
  return res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

async function overflow(page) {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    // Absolutely positioned elements first: they escape overflow:auto
    // wrappers that are not positioned, the usual cause.
    culprits: [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .sort((a, b) => (getComputedStyle(b).position === 'absolute') - (getComputedStyle(a).position === 'absolute'))
      .slice(0, 5)
      .map((el) => `${getComputedStyle(el).position === 'absolute' ? '(absolute) ' : ''}${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\s+/g, '.') : ''} right=${Math.round(el.getBoundingClientRect().right)}`),
  }));
}

async function shot(page, name) {
  if (FAST) return;
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * Runs every check on the page currently shown and takes screenshots.
 * `name`: file name stem; `mobileShot`: also a 390 px screenshot;
 * `allowConsole`: regexps of expected console errors (e.g. the 404 of an error page).
 */
export async function checkPage(page, name, { mobileShot = true, allowConsole = [] } = {}) {
  const problems = [];
  const vp = page.viewportSize();
  // Wait for deferred scripts and fonts so the checks see the finished page.
  await page.waitForLoadState('load');
  await page.evaluate(() => document.fonts?.ready);

  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of [390, 1440]) {
      await page.setViewportSize({ width, height: 900 });
      const o = await overflow(page);
      if (o.scrollWidth > o.innerWidth + 1) {
        problems.push(`${scheme} ${width}px: horizontal overflow (scrollWidth ${o.scrollWidth} > ${o.innerWidth}): ${o.culprits.join(', ')}`);
      }
      if (width === 1440 || mobileShot) await shot(page, `${name}-${width}-${scheme}`);
    }
    for (const v of await axeViolations(page)) {
      problems.push(`${scheme} axe ${v.impact} ${v.id}: ${v.help}\n      ${v.nodes.join('\n      ')}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(vp ?? { width: 1440, height: 900 });

  for (const c of await cspViolations(page)) problems.push(`CSP violation: ${c}`);
  for (const e of takeErrors(page, allowConsole)) problems.push(e);
  assert.deepEqual(problems, [], `page ${name} (${page.url()}) has problems:\n  ${problems.join('\n  ')}`);
}
