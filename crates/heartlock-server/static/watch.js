// "Notify me" forms (templates/_p_watch.html). With "push" ticked, the
// browser is subscribed first through window.heartlockPush (static/push.js);
// where push cannot work (unsupported, blocked, or the subscription fails)
// the watch is saved with email only and the server says so.
(function () {
  "use strict";

  // push.js may not be on the page yet: load it once, on demand.
  function loadPush() {
    if (window.heartlockPush) return Promise.resolve(window.heartlockPush);
    return new Promise(function (resolve) {
      var s = document.createElement("script");
      s.src = "/static/push.js";
      s.onload = function () { resolve(window.heartlockPush || null); };
      s.onerror = function () { resolve(null); };
      document.head.appendChild(s);
    });
  }

  function emailOnly(form) {
    var push = form.querySelector('input[name="push"]');
    var email = form.querySelector('input[name="email"]');
    if (push) push.checked = false;
    if (email) email.checked = true;
    var flag = document.createElement("input");
    flag.type = "hidden";
    flag.name = "push_unavailable";
    flag.value = "1";
    form.appendChild(flag);
    var msg = form.querySelector(".watch-msg");
    if (msg) msg.textContent = form.getAttribute("data-push-unavailable") || "";
  }

  function onSubmit(ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("watch-form")) return;
    if (form.dataset.pushDone === "1") return;
    var push = form.querySelector('input[name="push"]');
    if (!push || !push.checked) return;
    ev.preventDefault();
    var button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    loadPush()
      .then(function (hp) {
        if (!hp || !hp.supported()) return false;
        return Promise.resolve(hp.subscribe()).then(
          function (r) { return r !== false; },
          function () { return false; }
        );
      })
      .catch(function () { return false; })
      .then(function (ok) {
        if (!ok) emailOnly(form);
        form.dataset.pushDone = "1";
        if (button) button.disabled = false;
        form.submit();
      });
  }

  document.addEventListener("submit", onSubmit);
})();
