// Heartlock's service worker (served at /sw.js, scope /). It only shows the
// notifications the server pushes: a title, a body naming who changed which
// keys (never values) and a local page to open on click. Nothing is cached.
"use strict";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

// What a push carries: {title, body, url, tag} as JSON.
function notice(data) {
  var n = {};
  try {
    n = data ? data.json() : {};
  } catch (e) {
    n = { body: data ? data.text() : "" };
  }
  return {
    title: typeof n.title === "string" && n.title ? n.title : "Heartlock",
    body: typeof n.body === "string" ? n.body : "",
    tag: typeof n.tag === "string" ? n.tag : "",
    url: localPath(n.url),
  };
}

// Only paths of this server are opened (a push cannot send users elsewhere).
function localPath(url) {
  if (typeof url !== "string" || url.charAt(0) !== "/" || url.charAt(1) === "/" ||
      url.indexOf("\\") !== -1) {
    return "/";
  }
  return url;
}

function show(n) {
  var options = { body: n.body, data: { url: n.url } };
  if (n.tag) options.tag = n.tag;
  return self.registration.showNotification(n.title, options);
}

self.addEventListener("push", function (event) {
  event.waitUntil(show(notice(event.data)));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = localPath(event.notification.data && event.notification.data.url);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
      for (var i = 0; i < list.length; i++) {
        var c = list[i];
        if (new URL(c.url).pathname === url && "focus" in c) return c.focus();
      }
      return self.clients.openWindow(url);
    })
  );
});

// The browser suite's handshake: answers with the worker's scope, and how
// it would render a given push payload (no notification is shown).
self.addEventListener("message", function (event) {
  var msg = event.data || {};
  if (msg.type !== "heartlock-ping" || !event.ports || !event.ports[0]) return;
  var rendered = null;
  if (typeof msg.payload === "string") {
    rendered = notice({
      json: function () { return JSON.parse(msg.payload); },
      text: function () { return msg.payload; },
    });
  }
  event.ports[0].postMessage({ scope: self.registration.scope, rendered: rendered });
});
