/* The Eye's page tracker: page views and clicks, sent to the collector that served this file.
 *
 *   <script src="https://eye.example.com/tracker.js" data-app-key="eye_..." async></script>
 *
 * Options, as attributes of the script tag: data-app-key (required), data-endpoint (default:
 * /v1/events on the script's own origin), data-clicks="off" to send page views only.
 * A click is sent for links, buttons and any element with data-eye-element; its "element" is
 * that attribute, else the element's id, else its tag name. window.eye.track(category, name,
 * data) sends an event of your own. The session id lives in sessionStorage: one per tab.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.eye) return;
  var appKey = script.getAttribute("data-app-key");
  if (!appKey) { console.warn("eye tracker: no data-app-key on the script tag"); return; }
  var endpoint = script.getAttribute("data-endpoint") || new URL("/v1/events", script.src).href;
  var STORE = "eye.session_id";
  var queue = [];
  var timer = null;

  function uuid4() {
    // crypto.randomUUID needs a secure context; getRandomValues works on plain http too.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function sessionId() {
    var sid = null;
    try { sid = sessionStorage.getItem(STORE); } catch (e) { /* storage blocked */ }
    if (!sid) {
      sid = uuid4();
      try { sessionStorage.setItem(STORE, sid); } catch (e) { /* one id per page then */ }
    }
    return sid;
  }

  function flush() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (!queue.length) return;
    // The key travels in the body, not the URL, which servers and proxies write to their logs:
    // a beacon cannot set headers, and a text/plain one needs no CORS preflight.
    var body = JSON.stringify({ app_key: appKey, events: queue.splice(0, 100) });
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, body))) {
      fetch(endpoint, { method: "POST", body: body, keepalive: true, mode: "cors",
                   headers: { "Content-Type": "text/plain" } }).catch(function () {});
    }
    if (queue.length) flush();
  }

  function track(category, name, data) {
    queue.push({ session_id: sessionId(), event_id: uuid4(), category: category, name: name,
                 data: data || {}, timestamp: new Date().toISOString() });
    if (!timer) timer = setTimeout(flush, 250);
  }

  function page() { return { host: location.host, path: location.pathname }; }

  window.eye = { track: track, flush: flush, sessionId: sessionId };
  track("page interaction", "pageview", page());

  if (script.getAttribute("data-clicks") !== "off") {
    document.addEventListener("click", function (ev) {
      var el = ev.target && ev.target.closest && ev.target.closest("a, button, [data-eye-element]");
      if (!el) return;
      var data = page();
      data.element = el.getAttribute("data-eye-element") || el.id || el.tagName.toLowerCase();
      track("page interaction", "cta click", data);
    }, true);
  }
  // Leaving the page (or hiding the tab) sends what is queued at once.
  addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush();
  });
})();
