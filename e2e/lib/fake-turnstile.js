// A stand-in for Cloudflare Turnstile's widget script
// (https://challenges.cloudflare.com/turnstile/v0/api.js), which Chromium in
// the test machines cannot download. 80-turnstile.test.mjs serves it with
// page.route at the real address, so the page's CSP must allow Cloudflare's
// origin for it to run, as for the real one.
//
// It behaves like the real widget with Cloudflare's test site keys:
// implicit rendering into every `.cf-turnstile` element; with the
// always-pass key 1x00000000000000000000AA it puts the dummy token
// XXXX.DUMMY.TOKEN.XXXX in a hidden `cf-turnstile-response` input (or the
// name in data-response-field-name); with the always-block key
// 2x00000000000000000000AB it shows a failure and fills nothing.
(() => {
  const PASS = new Set(['1x00000000000000000000AA', '1x00000000000000000000BB']);
  const DUMMY = 'XXXX.DUMMY.TOKEN.XXXX';
  const widgets = [];

  function render(container, params = {}) {
    const el = typeof container === 'string' ? document.querySelector(container) : container;
    if (!el || el.dataset.fakeRendered) return undefined;
    el.dataset.fakeRendered = '1';
    const sitekey = params.sitekey || el.dataset.sitekey || '';
    const name = el.dataset.responseFieldName || 'cf-turnstile-response';
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    const label = document.createElement('span');
    label.className = 'fake-turnstile-status';
    label.setAttribute('role', 'status');
    el.append(input, label);
    const id = `fake-turnstile-${widgets.length}`;
    widgets.push({ id, input });
    // The real widget answers a moment after loading.
    setTimeout(() => {
      if (PASS.has(sitekey)) {
        input.value = DUMMY;
        label.textContent = 'Success!';
      } else {
        label.textContent = 'Verification failed';
      }
    }, 50);
    return id;
  }

  window.turnstile = {
    render,
    getResponse: (id) => (widgets.find((w) => w.id === id) || widgets[0])?.input.value,
    reset: (id) => { const w = widgets.find((x) => x.id === id) || widgets[0]; if (w) w.input.value = ''; },
    remove: () => {},
  };
  const start = () => document.querySelectorAll('.cf-turnstile').forEach((el) => render(el));
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
