// Progressive enhancement only: every page works without it.
(function () {
  "use strict";
  function on(root) {
    root.querySelectorAll("select.autosubmit").forEach(function (el) {
      if (el.dataset.bound) return;
      el.dataset.bound = "1";
      el.addEventListener("change", function () { el.form.submit(); });
    });
    root.querySelectorAll("form.confirm").forEach(function (form) {
      if (form.dataset.bound) return;
      form.dataset.bound = "1";
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.dataset.confirm || "Are you sure?")) ev.preventDefault();
      });
    });
    root.querySelectorAll("button[data-copy]").forEach(function (btn) {
      if (btn.dataset.bound) return;
      btn.dataset.bound = "1";
      btn.hidden = false;
      btn.addEventListener("click", function () {
        var target = document.getElementById(btn.dataset.copy);
        if (!target || !navigator.clipboard) return;
        navigator.clipboard.writeText(target.dataset.value || target.textContent).then(function () {
          var label = btn.textContent;
          btn.textContent = btn.dataset.copied || "Copied";
          setTimeout(function () { btn.textContent = label; }, 1500);
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { on(document); });
  document.addEventListener("htmx:afterSwap", function (ev) { on(ev.target); });
})();
