// Share links (docs/shares.md, format version 1), with WebCrypto only.
// Two roles: the "New share" form (#share-new) encrypts in the browser and
// posts only the sealed blob; the recipient page (#share-open) asks for the
// access value, then decrypts. The link key lives in the URL fragment,
// which browsers never send: nothing here puts it (or the plaintext, or the
// passphrase) in a request other than as the derived access value.
(function () {
  "use strict";

  var enc = new TextEncoder();
  var LABEL = enc.encode("heartlock-share-v1");
  var PBKDF2_ITERATIONS = 600000;

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

  function b64url(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // Strict: only the base64url alphabet, no padding; null when malformed.
  function unb64url(text) {
    if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
    var s = text.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var raw;
    try { raw = atob(s); } catch (e) { return null; }
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function concat(a, b) {
    var out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  }

  function random(n) {
    return crypto.getRandomValues(new Uint8Array(n));
  }

  function supported() {
    return !!(window.crypto && crypto.subtle && crypto.getRandomValues && window.TextEncoder);
  }

  // P = PBKDF2-HMAC-SHA256(UTF-8(NFC(passphrase)), salt, iterations, 32 bytes).
  function stretch(passphrase, salt, iterations) {
    var pw = enc.encode(passphrase.normalize("NFC"));
    return crypto.subtle.importKey("raw", pw, "PBKDF2", false, ["deriveBits"]).then(function (k) {
      return crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: iterations }, k, 256);
    }).then(function (bits) { return new Uint8Array(bits); });
  }

  // {enc: AES-GCM key E, access: bytes A} from IKM = K or K ‖ P.
  function keys(linkKey, stretched) {
    var ikm = stretched ? concat(linkKey, stretched) : linkKey;
    return crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]).then(function (base) {
      function part(info) {
        return crypto.subtle.deriveBits(
          { name: "HKDF", hash: "SHA-256", salt: LABEL, info: enc.encode(info) }, base, 256);
      }
      return Promise.all([part("encryption"), part("access")]);
    }).then(function (r) {
      return crypto.subtle.importKey("raw", r[0], { name: "AES-GCM" }, false, ["encrypt", "decrypt"])
        .then(function (e) { return { enc: e, access: new Uint8Array(r[1]) }; });
    });
  }

  function seal(key, envelope) {
    var nonce = random(12);
    return crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: LABEL, tagLength: 128 }, key, envelope)
      .then(function (ct) { return concat(nonce, new Uint8Array(ct)); });
  }

  function open(key, blob) {
    if (blob.length < 12 + 16) return Promise.reject(new Error("short"));
    return crypto.subtle.decrypt(
      { name: "AES-GCM", iv: blob.subarray(0, 12), additionalData: LABEL, tagLength: 128 }, key, blob.subarray(12))
      .then(function (pt) { return new Uint8Array(pt); });
  }

  function validName(name) {
    return typeof name === "string" && name.length > 0 && name.length <= 255 &&
      name.indexOf("/") < 0 && name.indexOf("\\") < 0;
  }

  // header line, 0x0A, content.
  function envelope(header, content) {
    return concat(concat(enc.encode(JSON.stringify(header)), new Uint8Array([10])), content);
  }

  // {header, content}, or null for anything but a version 1 text or file.
  function parseEnvelope(bytes) {
    var nl = bytes.indexOf(10);
    if (nl < 0) return null;
    var header;
    try { header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, nl))); } catch (e) { return null; }
    if (!header || typeof header !== "object" || header.v !== 1) return null;
    if (header.type !== "text" && header.type !== "file") return null;
    if (header.type === "file" && !validName(header.name)) return null;
    return { header: header, content: bytes.subarray(nl + 1) };
  }

  function fmtTime(ms) {
    try { return new Date(ms).toLocaleString(document.documentElement.lang || undefined); } catch (e) { return new Date(ms).toISOString(); }
  }

  function fill(template, args) {
    return (template || "").replace(/\{(\w+)\}/g, function (m, k) { return k in args ? String(args[k]) : m; });
  }

  function copyButton(btn, getText) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      if (!navigator.clipboard) return;
      navigator.clipboard.writeText(getText()).then(function () {
        var label = btn.getAttribute("data-label") || btn.textContent;
        btn.setAttribute("data-label", label);
        btn.textContent = btn.getAttribute("data-copied") || label;
      }, function () { /* the text stays selectable */ });
    });
  }

  // ---- the New share form ----------------------------------------------------
  function setupNew(form) {
    var msg = function (k) { return form.getAttribute("data-msg-" + k) || ""; };
    var status = document.getElementById("share-status");
    var submitBtn = form.querySelector('button[type="submit"]');
    var result = document.getElementById("share-result");
    var text = document.getElementById("share-text");
    var file = document.getElementById("share-file");
    var pass = document.getElementById("share-passphrase");
    var pass2 = document.getElementById("share-passphrase-confirm");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
    function say(t, isError) {
      status.textContent = t;
      status.className = isError ? "error" : "muted";
    }
    if (!supported()) {
      say(msg("unsupported"), true);
      return;
    }
    submitBtn.disabled = false;
    submitBtn.hidden = false;
    var busy = false;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (busy) return;
      var chosen = file && file.files && file.files[0];
      var typed = text ? text.value : "";
      if (!chosen && typed === "") { say(msg("empty"), true); return; }
      if (chosen && typed !== "") { say(msg("both"), true); return; }
      var size = chosen ? chosen.size : enc.encode(typed).length;
      if (maxBytes && size > maxBytes) { say(msg("too-large"), true); return; }
      if (chosen && !validName(chosen.name)) { say(msg("bad-name"), true); return; }
      var passphrase = pass ? pass.value : "";
      if (passphrase !== (pass2 ? pass2.value : "")) { say(msg("mismatch"), true); return; }
      busy = true;
      submitBtn.disabled = true;
      say(msg("working"), false);
      var read = chosen
        ? chosen.arrayBuffer().then(function (b) {
          var h = { v: 1, type: "file", name: chosen.name };
          if (chosen.type) h.mime = chosen.type;
          return envelope(h, new Uint8Array(b));
        })
        : Promise.resolve(envelope({ v: 1, type: "text" }, enc.encode(typed)));
      var linkKey = random(32);
      var kdf = null;
      read.then(function (env) {
        var stretched = Promise.resolve(null);
        if (passphrase !== "") {
          var salt = random(16);
          kdf = { name: "pbkdf2-sha256", salt: b64url(salt), iterations: PBKDF2_ITERATIONS };
          stretched = stretch(passphrase, salt, PBKDF2_ITERATIONS);
        }
        return stretched.then(function (p) { return keys(linkKey, p); }).then(function (k) {
          return seal(k.enc, env).then(function (blob) { return { blob: blob, access: k.access }; });
        });
      }).then(function (sealed) {
        var body = {
          ciphertext: b64url(sealed.blob),
          auth: b64url(sealed.access),
          expires_in: parseInt(form.querySelector("#share-expires").value, 10),
          views: parseInt(form.querySelector("#share-views").value, 10),
          kdf: kdf,
        };
        var label = form.querySelector("#share-label").value.trim();
        if (label) body.label = label;
        var project = form.getAttribute("data-source-project");
        if (project) {
          body.source = {
            project: project,
            environment: form.getAttribute("data-source-environment"),
            key: form.getAttribute("data-source-key") || null,
          };
        }
        // The web route: it takes the session cookie and the CSRF header
        // (the API itself takes bearer tokens only); the same JSON.
        return fetch("/shares", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
          body: JSON.stringify(body),
        });
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) {
            var detail = j && (j.detail || j.title);
            throw new Error(r.status === 429 ? msg("slow-down") : fill(msg("failed"), { detail: detail || r.status }));
          }
          return j;
        });
      }).then(function (share) {
        // The plaintext leaves the page: only the link remains.
        if (text) text.value = "";
        if (file) file.value = "";
        if (pass) pass.value = "";
        if (pass2) pass2.value = "";
        var link = window.location.origin + "/s/" + share.id + "#" + b64url(linkKey);
        linkKey.fill(0);
        var out = document.getElementById("share-link");
        out.value = link;
        out.setAttribute("data-value", link);
        var views = share.views_allowed || share.views_left || body_views(form);
        document.getElementById("share-facts").textContent =
          fill(msg("facts"), { expires: fmtTime(share.expires_at), views: views });
        result.hidden = false;
        form.hidden = true;
        say("", false);
        out.focus();
        out.select();
      }).catch(function (e) {
        linkKey.fill(0);
        say(e && e.message && e.message !== "short" ? e.message : msg("failed-plain"), true);
      }).then(function () {
        busy = false;
        submitBtn.disabled = false;
      });
    });
    var copy = document.getElementById("share-copy");
    if (copy) copyButton(copy, function () { return document.getElementById("share-link").value; });
    var again = document.getElementById("share-again");
    if (again) {
      again.hidden = false;
      again.addEventListener("click", function () {
        result.hidden = true;
        form.hidden = false;
        document.getElementById("share-link").value = "";
        if (text) text.focus();
      });
    }
  }

  function body_views(form) {
    var v = form.querySelector("#share-views");
    return v ? v.value : "1";
  }

  // ---- the recipient page ----------------------------------------------------
  function setupOpen(box) {
    var msg = function (k) { return box.getAttribute("data-msg-" + k) || ""; };
    var status = document.getElementById("share-open-status");
    var form = document.getElementById("share-open-form");
    var button = form.querySelector('button[type="submit"]');
    var pass = document.getElementById("share-open-passphrase");
    var id = box.getAttribute("data-id");
    var salt = unb64url(box.getAttribute("data-kdf-salt") || "");
    var iterations = parseInt(box.getAttribute("data-kdf-iterations") || "", 10);
    var hasKdf = !!box.getAttribute("data-kdf-salt");
    function say(t, isError) {
      status.textContent = t;
      status.className = isError ? "error" : "muted";
    }
    if (!supported()) { say(msg("unsupported"), true); return; }
    var fragment = window.location.hash.replace(/^#/, "");
    var linkKey = fragment.length === 43 ? unb64url(fragment) : null;
    if (!linkKey || linkKey.length !== 32) {
      say(fragment === "" ? msg("no-key") : msg("bad-key"), true);
      return;
    }
    if (hasKdf && (!salt || !(iterations > 0))) { say(msg("failed"), true); return; }
    form.hidden = false;
    button.disabled = false;
    var busy = false;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (busy) return;
      var passphrase = pass ? pass.value : "";
      if (hasKdf && passphrase === "") { say(msg("need-passphrase"), true); if (pass) pass.focus(); return; }
      busy = true;
      button.disabled = true;
      say(msg(hasKdf ? "deriving" : "working"), false);
      var stretched = hasKdf ? stretch(passphrase, salt, iterations) : Promise.resolve(null);
      var k;
      stretched.then(function (p) { return keys(linkKey, p); }).then(function (derived) {
        k = derived;
        return fetch("/api/v1/shares/" + encodeURIComponent(id) + "/reveal", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
          body: JSON.stringify({ auth: b64url(k.access) }),
        });
      }).then(function (r) {
        if (r.status === 403) { say(msg("wrong-passphrase"), true); if (pass) { pass.select(); pass.focus(); } return null; }
        if (r.status === 404) { gone(); return null; }
        if (r.status === 429) {
          var wait = r.headers.get("Retry-After") || "60";
          say(fill(msg("wait"), { seconds: wait }), true);
          return null;
        }
        if (!r.ok) { say(msg("failed"), true); return null; }
        return r.json().then(function (j) {
          var blob = unb64url(j.ciphertext || "");
          if (!blob) throw new Error("blob");
          return open(k.enc, blob).then(function (plain) { show(plain, j.views_left); });
        });
      }).catch(function () {
        say(msg("damaged"), true);
      }).then(function () {
        busy = false;
        button.disabled = false;
      });
    });

    function gone() {
      form.hidden = true;
      linkKey.fill(0);
      document.getElementById("share-open-gone").hidden = false;
      say("", false);
    }

    function show(plain, viewsLeft) {
      var parsed = parseEnvelope(plain);
      if (!parsed) { say(msg("damaged"), true); return; }
      form.hidden = true;
      if (pass) pass.value = "";
      linkKey.fill(0);
      var out = document.getElementById("share-open-result");
      if (parsed.header.type === "text") {
        var value = new TextDecoder().decode(parsed.content);
        var pre = document.getElementById("share-open-value");
        pre.textContent = value;
        pre.hidden = false;
        var copy = document.getElementById("share-open-copy");
        if (copy) copyButton(copy, function () { return value; });
      } else {
        var blob = new Blob([parsed.content], { type: parsed.header.mime || "application/octet-stream" });
        var a = document.getElementById("share-open-download");
        a.href = URL.createObjectURL(blob);
        a.download = parsed.header.name;
        a.textContent = fill(msg("download"), { name: parsed.header.name, size: parsed.content.length });
        a.hidden = false;
      }
      var left = typeof viewsLeft === "number" ? viewsLeft : 0;
      say(left > 0 ? fill(msg("views-left"), { count: left }) : msg("used-up"), false);
      out.hidden = false;
    }
  }

  function setup() {
    var form = document.getElementById("share-new");
    if (form) setupNew(form);
    var box = document.getElementById("share-open");
    if (box) setupOpen(box);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
