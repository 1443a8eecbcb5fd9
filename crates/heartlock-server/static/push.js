// Browser push for Heartlock: window.heartlockPush = { supported(),
// subscribed(), subscribe(), unsubscribe(), ... }. Subscriptions go to the
// server with the session cookie and the page's CSRF token; the
// application server key comes from /api/v1/push/public-key. Also drives
// the account page's "Notifications on this browser" section (#push).
(function () {
  "use strict";
  if (window.heartlockPush) return;

  function csrf() {
    var raw = document.body && document.body.getAttribute("hx-headers");
    if (raw) {
      try {
        var h = JSON.parse(raw);
        if (h["X-CSRF-Token"]) return h["X-CSRF-Token"];
      } catch (e) { /* fall through */ }
    }
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function bytes(b64url) {
    var s = b64url.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
    while (s.length % 4) s += "=";
    var raw = atob(s);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function sameBytes(a, b) {
    if (!a || !b) return false;
    a = new Uint8Array(a);
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  function supported() {
    return !!(window.isSecureContext && "serviceWorker" in navigator &&
      "PushManager" in window && "Notification" in window);
  }

  function register() {
    return navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  function publicKey() {
    return fetch("/api/v1/push/public-key", { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("cannot read the server's push key (" + r.status + ")");
      return r.json();
    }).then(function (j) { return j.public_key; });
  }

  function post(path, fields) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "X-CSRF-Token": csrf(),
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(fields).toString(),
    });
  }

  // Sends a PushSubscription (or its toJSON() form) to the server.
  function save(sub) {
    var j = typeof sub.toJSON === "function" ? sub.toJSON() : sub;
    return post("/account/push/subscribe", {
      endpoint: j.endpoint,
      p256dh: j.keys.p256dh,
      auth: j.keys.auth,
    }).then(function (r) {
      if (!r.ok) throw new Error("the server refused the subscription (" + r.status + ")");
    });
  }

  function current() {
    if (!supported()) return Promise.resolve(null);
    return navigator.serviceWorker.getRegistration("/").then(function (reg) {
      return reg ? reg.pushManager.getSubscription() : null;
    });
  }

  function subscribed() {
    return current().then(function (s) { return !!s; }, function () { return false; });
  }

  function subscribe() {
    if (!supported()) return Promise.reject(new Error("push is not supported in this browser"));
    return Notification.requestPermission().then(function (p) {
      if (p !== "granted") throw new Error("notifications are blocked for this site");
      return Promise.all([register(), publicKey()]);
    }).then(function (r) {
      var reg = r[0];
      var key = bytes(r[1]);
      return reg.pushManager.getSubscription().then(function (existing) {
        // A subscription made for another server key cannot be used.
        if (existing && !sameBytes(existing.options.applicationServerKey, key)) {
          return existing.unsubscribe().then(function () { return null; });
        }
        return existing;
      }).then(function (existing) {
        return existing || reg.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: key,
        });
      });
    }).then(save);
  }

  function unsubscribe() {
    return current().then(function (sub) {
      if (!sub) return;
      var endpoint = sub.endpoint;
      return sub.unsubscribe().then(function () {
        return post("/account/push/unsubscribe", { endpoint: endpoint });
      });
    });
  }

  window.heartlockPush = {
    supported: supported,
    subscribed: subscribed,
    subscribe: subscribe,
    unsubscribe: unsubscribe,
    // For the browser suite: register the worker, read the key, save a
    // subscription made elsewhere.
    register: register,
    publicKey: publicKey,
    save: save,
  };

  // The account page section.
  function setup() {
    var box = document.getElementById("push-browser");
    if (!box) return;
    var status = box.querySelector(".push-status");
    var enable = box.querySelector('[data-push-action="enable"]');
    var disable = box.querySelector('[data-push-action="disable"]');
    function say(key) {
      if (status) status.textContent = box.getAttribute("data-" + key) || "";
    }
    function refresh() {
      if (!supported()) {
        say("unsupported");
        return;
      }
      subscribed().then(function (on) {
        if (enable) enable.hidden = on;
        if (disable) disable.hidden = !on;
        say(on ? "enabled" : (Notification.permission === "denied" ? "blocked" : "disabled"));
      });
    }
    function run(action) {
      if (enable) enable.disabled = true;
      if (disable) disable.disabled = true;
      action().then(function () {
        window.location.reload();
      }, function () {
        say("failed");
      }).then(function () {
        if (enable) enable.disabled = false;
        if (disable) disable.disabled = false;
      });
    }
    if (enable) enable.addEventListener("click", function () { run(subscribe); });
    if (disable) disable.addEventListener("click", function () { run(unsubscribe); });
    refresh();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
