/* Lang so - embeddable recommendation widget (this file is pure ASCII: Vietnamese text is written
 * as \u escapes so it shows correctly whatever charset the host page or server declares).
 *
 *   <script src="https://HOST/widget.js" data-item="postmart" data-text="ban nong san qua mang" data-k="4"></script>
 *
 * Inserts, right after its own <script> tag, an element with class "langso-widget" whose shadow root
 * shows "Goi y cho ban" (suggestions for you): at most 3 compact hits from POST {origin}/api/recommend,
 * each linking to {origin}/?item=ID, and "Xem them tren Lang so" (more on Lang so) to the full page.
 * Styles live in the shadow root: nothing leaks into the host page or from it (:host resets inheritance).
 * When the API fails, answers with an error, or takes over 3 s, the widget removes itself and logs one
 * console warning: the host page never shows an error box.
 * The API origin is the origin of the script's own src. The only global is window.LangsoWidget.
 * All API text is inserted with textContent.
 */
(function () {
  "use strict";

  var current = document.currentScript; // must be read now: it is null once this run ends
  var MAX_ITEMS = 3;
  var TIMEOUT_MS = 3000;
  // UI text (Vietnamese, escaped). English meaning in the comments.
  var T = {
    story: "C\u00e2u chuy\u1ec7n",                                   // Story
    platform: "N\u1ec1n t\u1ea3ng",                                  // Platform
    title: "G\u1ee3i \u00fd cho b\u1ea1n",                            // Suggestions for you
    label: "G\u1ee3i \u00fd cho b\u1ea1n t\u1eeb L\u00e0ng s\u1ed1", // Suggestions for you from Lang so
    more: "Xem th\u00eam tr\u00ean L\u00e0ng s\u1ed1",                   // More on Lang so
    newTab: " (m\u1edf trong th\u1ebb m\u1edbi)"                       // (opens in a new tab)
  };
  var TYPE_LABEL = { story: T.story, platform: T.platform };

  var CSS = [
    ":host{all:initial;display:block;margin:1rem 0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',Arial,sans-serif;font-size:14px;line-height:1.35;color:#1b1f24;contain:content}",
    ".box{border:1px solid #d5dae0;border-top:3px solid #9d1a1e;border-radius:8px;background:#fff;padding:.5rem .65rem .25rem}",
    "h2{margin:0 0 .3rem;font-size:15px;line-height:1.3;color:#7a1216;font-weight:800}",
    "ul{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:minmax(0,1fr);gap:.35rem}",
    "li{min-width:0}",
    "a{color:#0b4f8a}",
    "a.item{display:block;min-height:44px;box-sizing:border-box;text-decoration:none;color:inherit;border:1px solid #e1e5ea;border-left:4px solid #0d6b4f;border-radius:6px;padding:.25rem .5rem;background:#fafbfc}",
    "a.item.platform{border-left-color:#1d4fa8}",
    "a.item:hover{background:#f1f5fa;border-color:#b9c6d6}",
    "a:focus-visible{outline:3px solid #ffbf00;outline-offset:2px;box-shadow:0 0 0 2px #1b1f24}",
    ".badge{font-size:.7rem;font-weight:700;letter-spacing:.03em;text-transform:uppercase;color:#0b4d39;margin-right:.3rem}",
    ".platform .badge{color:#173f86}",
    ".title{font-weight:700;color:#083a66;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}",
    ".reason{display:block;font-size:12px;color:#4a3c00;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".more{display:inline-flex;align-items:center;min-height:44px;font-size:14px;font-weight:600}",
    "@container (min-width: 36rem){ul{grid-template-columns:repeat(3,minmax(0,1fr))}.title{-webkit-line-clamp:3}}"
  ].join("\n");

  function make(doc, tag, cls, text) {
    var n = doc.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = String(text);
    return n;
  }

  function scriptOrigin(script) {
    try { return new URL(script.getAttribute("src") || script.src, document.baseURI).origin; }
    catch (e) { return location.origin; }
  }

  function clampK(v) {
    var n = parseInt(v, 10);
    if (!isFinite(n) || n < 1) return MAX_ITEMS;
    return Math.min(n, MAX_ITEMS);
  }

  /** Stories first, then platforms, at most `k` in all, each id once. */
  function pick(data, k) {
    var seen = {}, out = [];
    var stories = Array.isArray(data && data.stories) ? data.stories : [];
    var platforms = Array.isArray(data && data.platforms) ? data.platforms : [];
    var nPlatforms = stories.length ? Math.min(1, platforms.length) : platforms.length;
    stories.slice(0, k - nPlatforms).concat(platforms).forEach(function (h) {
      if (out.length < k && h && h.id != null && !seen[h.id]) { seen[h.id] = 1; out.push(h); }
    });
    return out;
  }

  function request(origin, payload) {
    var ctrl = typeof AbortController === "function" ? new AbortController() : null;
    var timer;
    var timeout = new Promise(function (_, reject) {
      timer = setTimeout(function () {
        reject(new Error("timed out after " + TIMEOUT_MS + " ms"));
        if (ctrl) ctrl.abort();
      }, TIMEOUT_MS);
    });
    var call = fetch(origin + "/api/recommend", {
      method: "POST", mode: "cors", credentials: "omit", signal: ctrl ? ctrl.signal : undefined,
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (res) {
      if (!res.ok) throw new Error("HTTP " + res.status);
      return res.json();
    });
    return Promise.race([call, timeout]).then(function (data) { clearTimeout(timer); return data; },
      function (err) { clearTimeout(timer); throw err; });
  }

  /** Render a widget after `script` (or into `options.target`). Returns the host element. */
  function mount(script, options) {
    var opts = options || {};
    var doc = document;
    var origin = opts.origin || scriptOrigin(script);
    var item = opts.item != null ? opts.item : script.getAttribute("data-item");
    var text = opts.text != null ? opts.text : script.getAttribute("data-text");
    var k = clampK(opts.k != null ? opts.k : script.getAttribute("data-k"));

    var host = make(doc, "div", "langso-widget");
    host.setAttribute("data-langso-widget", "");
    host.hidden = true; // shown only with suggestions in it
    if (opts.target) opts.target.appendChild(host);
    else script.parentNode.insertBefore(host, script.nextSibling);
    script.setAttribute && script.setAttribute("data-langso-mounted", "");

    function quit(why) {
      if (host.parentNode) host.parentNode.removeChild(host);
      if (window.console && console.warn) console.warn("[langso widget] no suggestions shown: " + why);
    }

    var payload = { k: k };
    if (item) payload.item_id = String(item);
    if (text) payload.text = String(text);
    if (!payload.item_id && !payload.text) {
      quit("data-item or data-text is missing");
      return host;
    }

    request(origin, payload).then(function (data) {
      var hits = pick(data, k);
      if (!hits.length) { quit("nothing to suggest"); return; }
      render(host, hits, origin, item, text);
      host.hidden = false;
    }).catch(function (err) { quit(err && err.message || "request failed"); });
    return host;
  }

  function render(host, hits, origin, item, text) {
    var doc = document;
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var style = make(doc, "style");
    style.textContent = CSS;
    root.appendChild(style);
    var box = make(doc, "section", "box");
    box.setAttribute("aria-label", T.label);
    box.style.containerType = "inline-size";
    box.appendChild(make(doc, "h2", null, T.title));
    var list = make(doc, "ul");
    hits.forEach(function (h) {
      var type = h.type === "platform" ? "platform" : "story";
      var li = make(doc, "li");
      var a = make(doc, "a", "item " + type);
      a.href = origin + "/?item=" + encodeURIComponent(String(h.id));
      a.target = "_blank";
      a.rel = "noopener";
      var title = make(doc, "span", "title");
      title.appendChild(make(doc, "span", "badge", TYPE_LABEL[type]));
      title.appendChild(doc.createTextNode(h.title || h.name || h.id));
      a.appendChild(title);
      if (h.reason) a.appendChild(make(doc, "span", "reason", h.reason));
      li.appendChild(a);
      list.appendChild(li);
    });
    box.appendChild(list);
    var more = make(doc, "a", "more", T.more + " \u2192");
    more.href = origin + "/" + (text ? "?q=" + encodeURIComponent(String(text)) : item ? "?item=" + encodeURIComponent(String(item)) : "");
    more.target = "_blank";
    more.rel = "noopener";
    more.setAttribute("aria-label", T.more + T.newTab);
    box.appendChild(more);
    root.appendChild(box);
  }

  var ns = window.LangsoWidget = window.LangsoWidget || { version: "1", mount: mount, widgets: [] };
  if (!ns.mount) ns.mount = mount;
  if (!ns.widgets) ns.widgets = [];

  var script = current;
  if (!script) {
    // Fallback (e.g. very old browsers): the first widget.js tag not mounted yet.
    var all = document.getElementsByTagName("script");
    for (var i = 0; i < all.length; i++) {
      var s = all[i];
      if (/widget\.js(\?|#|$)/.test(s.getAttribute("src") || "") && !s.hasAttribute("data-langso-mounted")) { script = s; break; }
    }
  }
  if (script && script.parentNode && !script.hasAttribute("data-langso-mounted")) {
    ns.widgets.push(mount(script));
  }
})();
