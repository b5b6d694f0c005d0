/* Lang so - embeddable recommendation widget (this file is pure ASCII: Vietnamese text is written
 * as \u escapes so it shows correctly whatever charset the host page or server declares).
 *
 *   <script src="https://HOST/widget.js" data-item="postmart" data-text="ban nong san qua mang" data-k="4"></script>
 *
 * Inserts, right after its own <script> tag, an element with class "langso-widget" whose shadow root
 * shows "Goi y cho ban" (suggestions for you): hits from POST {origin}/api/recommend, each linking to {origin}/?item=ID.
 * The API origin is the origin of the script's own src. The only global is window.LangsoWidget.
 * All API text is inserted with textContent.
 */
(function () {
  "use strict";

  var current = document.currentScript; // must be read now: it is null once this run ends
  var MAX_K = 12;
  // UI text (Vietnamese, escaped). English meaning in the comments.
  var T = {
    story: "C\u00e2u chuy\u1ec7n",                                   // Story
    platform: "N\u1ec1n t\u1ea3ng",                                  // Platform
    title: "G\u1ee3i \u00fd cho b\u1ea1n",                            // Suggestions for you
    label: "G\u1ee3i \u00fd cho b\u1ea1n t\u1eeb L\u00e0ng s\u1ed1", // Suggestions for you from Lang so
    brand: "L\u00e0ng s\u1ed1",                                      // Lang so
    loading: "\u0110ang t\u1ea3i g\u1ee3i \u00fd\u2026",                 // Loading suggestions...
    failed: "Ch\u01b0a t\u1ea3i \u0111\u01b0\u1ee3c g\u1ee3i \u00fd. Vui l\u00f2ng th\u1eed l\u1ea1i sau.", // Could not load, try later
    missing: "Thi\u1ebfu data-item ho\u1eb7c data-text \u0111\u1ec3 g\u1ee3i \u00fd.", // data-item or data-text missing
    none: "Ch\u01b0a c\u00f3 g\u1ee3i \u00fd ph\u00f9 h\u1ee3p.",               // No matching suggestion yet
    more: "T\u00ecm th\u00eam c\u00e1ch l\u00e0m hay tr\u00ean L\u00e0ng s\u1ed1 \u2192", // Find more on Lang so ->
    dot: " \u00b7 "
  };
  var TYPE_LABEL = { story: T.story, platform: T.platform };

  var CSS = [
    ":host{all:initial;display:block;margin:1.25rem 0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',Arial,sans-serif;font-size:16px;line-height:1.5;color:#1b1f24}",
    ".box{border:1px solid #d5dae0;border-top:4px solid #9d1a1e;border-radius:10px;background:#fff;padding:.85rem 1rem 1rem;box-shadow:0 1px 3px rgba(16,24,40,.08)}",
    ".head{display:flex;align-items:center;justify-content:space-between;gap:.5rem;margin:0 0 .6rem}",
    "h2{margin:0;font-size:1.1rem;line-height:1.3;color:#7a1216;font-weight:800}",
    ".brand{font-size:.8rem;color:#5b6570;white-space:nowrap}",
    "ul{list-style:none;margin:0;padding:0;display:grid;gap:.55rem}",
    "a.item{display:block;text-decoration:none;color:inherit;border:1px solid #e1e5ea;border-left:5px solid #0d6b4f;border-radius:8px;padding:.55rem .7rem;background:#fafbfc}",
    "a.item.platform{border-left-color:#1d4fa8}",
    "a.item:hover{background:#f1f5fa;border-color:#b9c6d6}",
    "a:focus-visible{outline:3px solid #ffbf00;outline-offset:2px;box-shadow:0 0 0 2px #1b1f24}",
    ".badge{display:inline-block;font-size:.7rem;font-weight:700;letter-spacing:.03em;text-transform:uppercase;color:#fff;background:#0d6b4f;border-radius:3px;padding:.05rem .35rem;margin-right:.35rem;vertical-align:.12em}",
    ".platform .badge{background:#1d4fa8}",
    ".title{font-weight:700;color:#083a66;text-decoration:underline;text-decoration-color:rgba(8,58,102,.35);text-underline-offset:2px}",
    ".place{color:#5b6570;font-size:.875rem}",
    ".reason{display:block;margin-top:.25rem;font-size:.875rem;color:#4a3c00;background:#fff8e1;border-radius:4px;padding:.2rem .45rem}",
    ".msg{margin:0;font-size:.9375rem;color:#3d4650}",
    ".msg.error{color:#a4161a}",
    ".more{display:inline-block;margin-top:.7rem;font-size:.9375rem;color:#0b4f8a;font-weight:600}",
    "@media (prefers-reduced-motion:no-preference){.loading::after{content:'';display:inline-block;width:.8em;height:.8em;margin-left:.4em;border:2px solid #c9d3de;border-top-color:#0b4f8a;border-radius:50%;animation:s .8s linear infinite;vertical-align:-.1em}@keyframes s{to{transform:rotate(360deg)}}}"
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
    if (!isFinite(n) || n < 1) return null;
    return Math.min(n, MAX_K);
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
    if (opts.target) opts.target.appendChild(host);
    else script.parentNode.insertBefore(host, script.nextSibling);
    script.setAttribute && script.setAttribute("data-langso-mounted", "");

    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var style = make(doc, "style");
    style.textContent = CSS;
    root.appendChild(style);

    var box = make(doc, "section", "box");
    box.setAttribute("aria-label", T.label);
    var head = make(doc, "div", "head");
    head.appendChild(make(doc, "h2", null, T.title));
    head.appendChild(make(doc, "span", "brand", T.brand));
    box.appendChild(head);
    var body = make(doc, "div", "body");
    body.setAttribute("aria-live", "polite");
    body.appendChild(make(doc, "p", "msg loading", T.loading));
    box.appendChild(body);
    root.appendChild(box);

    function fail(msg) {
      body.textContent = "";
      var p = make(doc, "p", "msg error", msg || T.failed);
      p.setAttribute("role", "status");
      body.appendChild(p);
    }

    var payload = {};
    if (item) payload.item_id = String(item);
    if (text) payload.text = String(text);
    if (k) payload.k = k;
    if (!payload.item_id && !payload.text) {
      fail(T.missing);
      return host;
    }

    fetch(origin + "/api/recommend", {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (!res.ok || !data) {
          var e = data && data.error;
          throw { messageVi: (e && e.message_vi) || null };
        }
        return data;
      });
    }).then(function (data) {
      // compact: the k best stories, then at most 2 platforms (the API returns up to k of each)
      var kk = k || 4;
      var hits = [].concat(Array.isArray(data.stories) ? data.stories.slice(0, kk) : [],
        Array.isArray(data.platforms) ? data.platforms.slice(0, Math.min(2, kk)) : []);
      body.textContent = "";
      if (!hits.length) {
        body.appendChild(make(doc, "p", "msg", T.none));
        return;
      }
      var list = make(doc, "ul");
      hits.forEach(function (h) {
        if (!h || h.id == null) return;
        var type = h.type === "platform" ? "platform" : "story";
        var li = make(doc, "li");
        var a = make(doc, "a", "item " + type);
        a.href = origin + "/?item=" + encodeURIComponent(String(h.id));
        a.target = "_blank";
        a.rel = "noopener";
        a.appendChild(make(doc, "span", "badge", TYPE_LABEL[type]));
        a.appendChild(make(doc, "span", "title", h.title || h.name || h.id));
        if (h.province) a.appendChild(make(doc, "span", "place", T.dot + h.province));
        if (h.reason) a.appendChild(make(doc, "span", "reason", h.reason));
        li.appendChild(a);
        list.appendChild(li);
      });
      body.appendChild(list);
      var more = make(doc, "a", "more", T.more);
      more.href = origin + "/" + (text ? "?q=" + encodeURIComponent(String(text)) : "");
      more.target = "_blank";
      more.rel = "noopener";
      body.appendChild(more);
    }).catch(function (err) {
      fail(err && err.messageVi); // network / CORS failures get the generic message
    });
    return host;
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
