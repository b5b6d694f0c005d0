/* Làng số – front-end of the search page. Plain JS, no framework, no external resources.
 *
 * Security rule of this file: text from the API only reaches the page through textContent /
 * createTextNode / attribute setters. The one exception is `snippet`, which the API sends as
 * HTML-escaped text with <mark> tags: it is rebuilt node by node (see snippetNode) and never
 * given to innerHTML.
 *
 * Navigation: every view has an address. A search (?q= and filters, ?n= results shown, ?exact=1), an
 * open story or platform (?item=, pushed on top of the search, so Back closes it), the official form's
 * answer (?official=1&o.region=…). Back/Forward and reload restore the same view.
 */
(function () {
  "use strict";

  var FILTERS = ["type", "sector", "region", "province", "terrain"];
  var PAGE = 10;
  var TYPE_LABEL = { story: "Câu chuyện", platform: "Nền tảng" };
  var OFFICIAL_FIELDS = ["province", "region", "ethnic", "sector", "audience", "text"];

  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  var els = {};
  var vocab = { sector: [], region: [], terrain: [], audience: [], province: [] };
  var searchSeq = 0;               // drops out-of-order responses
  var rendered = null;             // {key, st, hits, total, data}: the search on screen
  var lastFocus = null;            // element focused before the detail view opened
  var detailSeq = 0;
  var detailIsOpen = false;
  var closing = false;             // "Đóng" went back through the item entries; popstate lands under them
  var officialKey = "";            // the official profile on screen
  var debug = /(?:^|[?&])debug=1(?:&|$)/.test(location.search);

  // ------------------------------------------------------------------ helpers

  /** Escape text for the (rare) places where a string of HTML is built. */
  function escapeHtml(s) {
    return String(s == null ? "" : s)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  /** Decode the few entities an HTML-escaped snippet may contain; anything else stays literal. */
  function decodeEntities(s) {
    return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos|nbsp);/g, function (m, e) {
      switch (e) {
        case "amp": return "&";
        case "lt": return "<";
        case "gt": return ">";
        case "quot": return "\"";
        case "apos": return "'";
        case "nbsp": return "\u00a0";
      }
      var code = e.charAt(1) === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (!code || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return m;
      return String.fromCodePoint(code);
    });
  }

  /**
   * Turn an API snippet ("escaped text with <mark>…</mark>") into a DocumentFragment.
   * Only the exact tags <mark> and </mark> become elements; every other character, including any
   * other tag, is inserted as plain text. No HTML parser is involved, so nothing can execute.
   */
  function snippetNode(snippet) {
    var frag = document.createDocumentFragment();
    var parts = String(snippet || "").split(/(<mark>|<\/mark>)/i);
    var mark = null;
    parts.forEach(function (part) {
      if (/^<mark>$/i.test(part)) { if (!mark) { mark = document.createElement("mark"); } return; }
      if (/^<\/mark>$/i.test(part)) { if (mark) { frag.appendChild(mark); mark = null; } return; }
      if (!part) return;
      var text = document.createTextNode(decodeEntities(part));
      (mark || frag).appendChild(text);
    });
    if (mark) frag.appendChild(mark);
    return frag;
  }

  /** Only http(s) links leave this page; anything else (javascript:, data:) is dropped. */
  function safeUrl(u) {
    if (!u || typeof u !== "string") return null;
    try {
      var url = new URL(u, location.href);
      return (url.protocol === "http:" || url.protocol === "https:") ? url.href : null;
    } catch (e) { return null; }
  }

  /** Create an element: el("p", {className: "x"}, "text", childNode, ...). Strings become text nodes. */
  function el(tag, props) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v == null || v === false) return;
        if (k === "className") node.className = v;
        else if (k === "text") node.textContent = v;
        else if (k === "dataset") Object.keys(v).forEach(function (d) { node.dataset[d] = v[d]; });
        else if (k.indexOf("on") === 0 && typeof v === "function") node.addEventListener(k.slice(2), v);
        else if (k === "hidden") node.hidden = !!v;
        else node.setAttribute(k, v === true ? "" : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child == null || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function externalLink(href, label) {
    var safe = safeUrl(href);
    if (!safe) return document.createTextNode(label || String(href || ""));
    return el("a", { href: safe, target: "_blank", rel: "noopener noreferrer", className: "ext-link" },
      label || prettyUrl(safe), el("span", { className: "visually-hidden", text: " (mở trong thẻ mới)" }));
  }

  function prettyUrl(u) {
    try {
      var url = new URL(u);
      var path = url.pathname.length > 1 ? url.pathname : "";
      if (path.length > 40) path = path.slice(0, 37) + "…";
      return url.hostname.replace(/^www\./, "") + path;
    } catch (e) { return u; }
  }

  function fmtNumber(n) {
    try { return Number(n).toLocaleString("vi-VN"); } catch (e) { return String(n); }
  }


  // ------------------------------------------------------------------ API

  function ApiError(message, status, code) {
    this.message = message; this.status = status; this.code = code;
  }
  ApiError.prototype = Object.create(Error.prototype);

  function readResponse(res) {
    return res.text().then(function (raw) {
      var data = null;
      try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
      if (!res.ok) {
        var err = data && data.error;
        var msg = (err && (err.message_vi || err.message_en)) ||
          (res.status === 429 ? "Bạn thao tác hơi nhanh, vui lòng thử lại sau ít giây." :
            res.status >= 500 ? "Máy chủ đang gặp sự cố, vui lòng thử lại sau." :
              "Yêu cầu không hợp lệ (mã " + res.status + ").");
        throw new ApiError(msg, res.status, err && err.code);
      }
      if (data === null) throw new ApiError("Máy chủ trả về dữ liệu không đọc được.", res.status);
      return data;
    });
  }

  function offline() { throw new ApiError("Không kết nối được máy chủ. Hãy kiểm tra mạng rồi thử lại.", 0); }

  function api(path, options) {
    var opts = options || {};
    // the page's inline script may have started this very request already (shared links on slow lines)
    var first = window.__langsoFirst;
    if (first && first.url === path && !opts.method) {
      window.__langsoFirst = null;
      return first.response.then(readResponse, offline);
    }
    var init = { method: opts.method || "GET", headers: { "Accept": "application/json" } };
    if (opts.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    return fetch(path, init).then(readResponse, offline);
  }

  function qs(params) {
    var u = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v !== undefined && v !== null && v !== "" && v !== false) u.set(k, v);
    });
    return u.toString();
  }

  function loadPageData() {
    try {
      var data = JSON.parse($("#langso-data").textContent);
      Object.keys(vocab).forEach(function (k) { if (Array.isArray(data[k])) vocab[k] = data[k].slice(); });
    } catch (e) { /* the selects then offer what searches return */ }
    vocab.province.sort(function (a, b) { return a.localeCompare(b, "vi"); });
  }

  // ------------------------------------------------------------------ facets in the selects

  var ALL_LABEL = { type: "Tất cả", sector: "Tất cả lĩnh vực", region: "Tất cả các vùng",
    province: "Tất cả 34 tỉnh, thành", terrain: "Mọi địa hình" };

  function facetValues(name) { return name === "type" ? ["story", "platform"] : vocab[name]; }

  /** Options of a filter select; with `counts`, each shows what a click on it gives (0 → disabled). */
  function fillFilter(select, name, counts) {
    var keep = select.value || select.dataset.pending || "";
    delete select.dataset.pending;
    clear(select);
    select.appendChild(el("option", { value: "", text: ALL_LABEL[name] }));
    var values = facetValues(name).slice();
    if (keep && values.indexOf(keep) < 0) values.push(keep);
    values.forEach(function (v) {
      var label = name === "type" ? TYPE_LABEL[v] : v;
      var n = counts ? (counts[v] || 0) : null;
      select.appendChild(el("option", { value: v, text: n == null ? label : label + " (" + fmtNumber(n) + ")",
        disabled: n === 0 && v !== keep, dataset: { count: n == null ? "" : String(n) } }));
    });
    select.value = keep;
  }

  function fillFilters(facets) {
    FILTERS.forEach(function (f) { fillFilter(els.filters[f], f, facets ? (facets[f] || {}) : null); });
  }

  function fillOfficialSelects() {
    [["o-province", "province"], ["o-region", "region"], ["o-sector", "sector"], ["o-audience", "audience"]].forEach(function (p) {
      var s = $("#" + p[0]);
      var first = s.options[0];
      clear(s);
      s.appendChild(first);
      vocab[p[1]].forEach(function (v) { s.appendChild(el("option", { value: v, text: v })); });
    });
  }

  // ------------------------------------------------------------------ URL state

  function readState() {
    var p = new URLSearchParams(location.search);
    var st = { q: (p.get("q") || "").trim(), item: p.get("item") || "", exact: p.get("exact") === "1",
      n: Math.min(100, Math.max(PAGE, parseInt(p.get("n"), 10) || PAGE)) };
    FILTERS.forEach(function (f) { st[f] = canonical(f, (p.get(f) || "").trim()); });
    if (st.type !== "story" && st.type !== "platform") st.type = "";
    st.official = p.get("official") === "1" ? readOfficial(p) : null;
    return st;
  }

  /** A filter value as the selects spell it: "Tay Bac" in a typed link means "Tây Bắc". */
  function canonical(name, value) {
    if (!value) return "";
    var key = fold(value);
    var found = facetValues(name).filter(function (v) { return fold(v) === key; })[0];
    return found || value;
  }

  function readOfficial(p) {
    var o = {};
    OFFICIAL_FIELDS.forEach(function (f) { o[f] = (p.get("o." + f) || "").trim(); });
    o.terrain = (p.get("o.terrain") || "").split(",").map(function (x) { return x.trim(); }).filter(Boolean);
    return o;
  }

  function searchKey(st) {
    return JSON.stringify([st.q, st.exact ? 1 : 0].concat(FILTERS.map(function (f) { return st[f] || ""; })));
  }

  function formState() {
    var st = { q: els.q.value.trim(), exact: false, n: PAGE };
    FILTERS.forEach(function (f) { st[f] = els.filters[f].value; });
    return st;
  }

  function searchParams(st) {
    var params = { q: st.q };
    FILTERS.forEach(function (f) { params[f] = st[f]; });
    params.exact = st.exact ? "1" : "";
    params.n = st.n && st.n > PAGE ? st.n : "";
    params.debug = debug ? "1" : "";
    return params;
  }

  function urlOf(params) {
    var s = qs(params);
    return location.pathname + (s ? "?" + s : "");
  }

  function here() { return location.pathname + location.search; }

  function navigate(url, push, state) {
    if (url === here()) { history.replaceState(state, "", url); return; }
    if (push) history.pushState(state, "", url); else history.replaceState(state, "", url);
  }

  function depth() { return (history.state && history.state.depth) || 0; }

  /** The same URL as the page's inline script builds, so a shared ?q= link reuses its early request. */
  function searchUrl(st, k, offset) {
    var u = new URLSearchParams();
    u.set("q", st.q);
    u.set("k", String(k));
    FILTERS.forEach(function (f) { if (st[f]) u.set(f, st[f]); });
    if (st.exact) u.set("exact", "1");
    if (offset) u.set("offset", String(offset));
    return "/api/search?" + u.toString();
  }

  function applyStateToForm(st) {
    els.q.value = st.q || "";
    FILTERS.forEach(function (f) {
      var s = els.filters[f];
      var v = st[f] || "";
      if (v && !$$("option", s).some(function (o) { return o.value === v; })) s.appendChild(el("option", { value: v, text: v }));
      s.value = v;
    });
  }

  // ------------------------------------------------------------------ search

  function submitSearch(push, overrides) {
    var st = formState();
    if (overrides) Object.keys(overrides).forEach(function (k) { st[k] = overrides[k]; });
    navigate(urlOf(searchParams(st)), push, { ls: 1, depth: 0 });
    document.body.classList.remove("view-official");
    return runSearch(st);
  }

  function hint(msg) {
    var h = $("#q-hint");
    if (!h.dataset.text) h.dataset.text = h.textContent;
    h.textContent = msg;
    h.classList.add("is-warning");
    clearTimeout(hint.timer);
    hint.timer = setTimeout(function () { h.textContent = h.dataset.text; h.classList.remove("is-warning"); }, 6000);
  }

  function runSearch(st) {
    var seq = ++searchSeq;
    document.body.classList.toggle("has-query", !!st.q);
    var active = FILTERS.filter(function (f) { return st[f]; }).length;
    $("#filters-active").textContent = active ? "(" + active + " đang chọn)" : "";
    hideError();
    els.moreBox.hidden = true;
    if (!st.q) {
      rendered = null;
      els.restored.hidden = true;
      els.count.textContent = "";
      els.skip.hidden = true;
      showIntro(st);
      fillFilters(null);
      document.title = "Làng số – tìm cách làm hay";
      return Promise.resolve();
    }
    document.title = st.q + " – Làng số";
    setBusy(els.results, true);
    els.count.textContent = "Đang tìm…";
    els.results.classList.add("is-loading");
    if (!els.results.querySelector(".card")) showSkeleton();

    return api(searchUrl(st, st.n || PAGE, 0))
      .then(function (data) {
        if (seq !== searchSeq) return;
        renderResults(data, st);
      })
      .catch(function (err) {
        if (seq !== searchSeq) return;
        rendered = null;
        clear(els.results);
        els.count.textContent = "";
        els.restored.hidden = true;
        showError(err.message || "Có lỗi xảy ra, vui lòng thử lại.");
      })
      .then(function () {
        if (seq !== searchSeq) return;
        setBusy(els.results, false);
        els.results.classList.remove("is-loading");
      });
  }

  function loadMore() {
    if (!rendered) return;
    var r = rendered, seq = searchSeq;
    var btn = els.more;
    btn.disabled = true;
    btn.textContent = "Đang tải thêm…";
    api(searchUrl(r.st, PAGE, r.hits.length))
      .then(function (data) {
        if (seq !== searchSeq || rendered !== r) return;
        var list = $(".card-list", els.results);
        var start = r.hits.length;
        (data.results || []).forEach(function (hit, i) { r.hits.push(hit); list.appendChild(renderCard(hit, { rank: start + i + 1 })); });
        r.total = data.total;
        r.st.n = r.hits.length;
        navigate(urlOf(Object.assign(searchParams(r.st), { item: readState().item })), false, history.state);
        updateMore();
        var first = list.children[start] && $(".card__link", list.children[start]);
        if (first) first.focus();
        announce(r);
      })
      .catch(function (err) { showError(err.message); })
      .then(function () { btn.disabled = false; btn.textContent = "Xem thêm"; });
  }

  function updateMore() {
    var r = rendered;
    var left = r ? r.total - r.hits.length : 0;
    els.moreBox.hidden = !(r && left > 0 && !r.data.no_match);
    if (!els.moreBox.hidden) els.more.setAttribute("aria-label", "Xem thêm (còn " + left + " kết quả)");
  }

  function announce(r) {
    document.dispatchEvent(new CustomEvent("langso:results", { detail: {
      query: r.st.q, restored_query: r.data.restored_query, ids: r.hits.map(function (h) { return h.id; }),
      total: r.total, no_match: !!r.data.no_match } }));
  }

  function setBusy(node, busy) { node.setAttribute("aria-busy", busy ? "true" : "false"); }

  function showSkeleton() {
    clear(els.results);
    for (var i = 0; i < 3; i++) {
      els.results.appendChild(el("div", { className: "skeleton", "aria-hidden": "true" },
        el("span", { className: "skeleton__line skeleton__line--short" }),
        el("span", { className: "skeleton__line" }),
        el("span", { className: "skeleton__line" })));
    }
  }

  function showIntro(st) {
    clear(els.results);
    var hasFilter = FILTERS.some(function (f) { return st && st[f]; });
    els.results.appendChild(el("div", { className: "empty-state empty-state--intro" },
      el("p", { className: "empty-state__title", text: hasFilter ? "Hãy nhập điều bạn cần tìm" : "Bắt đầu bằng một câu hỏi đời thường" }),
      el("p", { text: hasFilter
        ? "Bộ lọc đã được chọn. Gõ vài chữ mô tả việc bạn muốn làm để xem kết quả phù hợp."
        : "Ví dụ “làm sao bán nông sản trên mạng”, “khám bệnh từ xa”, “học sinh không có sóng để học”. Chọn một gợi ý ở trên hoặc gõ câu của bạn." })));
  }

  function showError(msg) { els.error.textContent = msg; els.error.hidden = false; }
  function hideError() { els.error.hidden = true; els.error.textContent = ""; }

  function normalise(s) { return String(s || "").trim().toLowerCase().replace(/\s+/g, " "); }

  /** A link that re-runs the search with other text or the exact switch (a real address too). */
  function searchLink(label, st, overrides, cls) {
    var next = Object.assign({}, st, overrides, { n: PAGE });
    return el("a", { href: urlOf(searchParams(next)), className: "inline-action " + (cls || ""), text: label,
      onclick: function (e) {
        e.preventDefault();
        if (overrides.q != null) els.q.value = overrides.q;
        submitSearch(true, { exact: !!next.exact });
      } });
  }

  /** "Đang tìm: … · Hay ý bạn là: … · Tìm đúng chữ tôi gõ" (each item keeps its dot at its end). */
  function renderReading(data, st) {
    clear(els.restored);
    var items = [];
    var restored = data.restored_query;
    var changed = restored && normalise(restored) !== normalise(data.query != null ? data.query : st.q);
    if (data.exact) {
      items.push(el("span", { className: "reading__item" }, "Đang tìm đúng chữ bạn gõ: ", el("strong", { text: st.q }), "\u00a0·"));
      items.push(el("span", { className: "reading__item" }, searchLink("Tự thêm dấu cho tôi", st, { exact: false })));
    } else if (changed) {
      var alts = (data.alternatives || []).filter(function (a) {
        return a && a.text && normalise(a.text) !== normalise(restored);
      }).slice(0, 2);
      items.push(el("span", { className: "reading__item" }, "Đang tìm: ", el("strong", { text: restored }), "\u00a0·"));
      if (alts.length) {
        items.push(el("span", { className: "reading__item" }, "Hay ý bạn là: ",
          alts.map(function (a, i) { return [i ? " " : null, searchLink(a.text, st, { q: a.text, exact: false }, "alt")]; }), "\u00a0·"));
      }
      items.push(el("span", { className: "reading__item" }, searchLink("Tìm đúng chữ tôi gõ", st, { exact: true }, "exact")));
    }
    append(els.restored, items);
    els.restored.hidden = !items.length;
  }

  function countText(data, shown) {
    if (data.no_match) return "Chưa có kết quả đúng với điều bạn tìm";
    var total = typeof data.total === "number" ? data.total : shown;
    if (!total) return "Không tìm thấy kết quả nào";
    var text = "Tìm thấy " + fmtNumber(total) + " kết quả";
    if (debug && typeof data.took_ms === "number") text += " (" + fmtNumber(Math.round(data.took_ms * 10) / 10) + "\u00a0ms)";
    return text;
  }

  function renderResults(data, st) {
    var results = Array.isArray(data.results) ? data.results : [];
    var wasFocusInside = els.results.contains(document.activeElement);
    clear(els.results);
    rendered = { key: searchKey(st), st: st, hits: results.slice(), total: data.total || 0, data: data };
    renderReading(data, st);
    fillFilters(data.facets);
    els.count.textContent = countText(data, results.length);
    els.skip.hidden = !results.length;

    if (data.no_match) {
      els.results.appendChild(noMatch(data, st, results));
    } else if (!results.length) {
      els.results.appendChild(noResults(st));
    } else {
      var list = el("div", { className: "card-list" });
      results.forEach(function (hit, i) { list.appendChild(renderCard(hit, { rank: i + 1 })); });
      els.results.appendChild(list);
    }
    updateMore();
    if (wasFocusInside) els.results.focus({ preventScroll: true });
    announce(rendered);
  }

  function noResults(st) {
    var hasFilter = FILTERS.some(function (f) { return st[f]; });
    var box = el("div", { className: "empty-state" },
      el("p", { className: "empty-state__title", text: "Chưa tìm thấy cách làm nào khớp với “" + st.q + "”" }),
      el("ul", { className: "empty-state__tips" },
        el("li", { text: "Thử nói theo cách khác, ngắn hơn, ví dụ “bán rau online”, “học trực tuyến”." }),
        hasFilter ? el("li", { text: "Bỏ bớt bộ lọc để xem thêm kết quả." }) : null,
        el("li", { text: "Gõ không dấu cũng được, hệ thống sẽ tự thêm dấu." })));
    if (hasFilter) {
      box.appendChild(el("button", { type: "button", className: "btn btn--ghost", text: "Bỏ tất cả bộ lọc",
        onclick: function () { resetFilters(); submitSearch(true); } }));
    }
    return box;
  }

  /** Nothing fits: say so, help to rephrase, offer the sectors we cover, keep the nearest results folded. */
  function noMatch(data, st, results) {
    var sectors = vocab.sector.length ? vocab.sector : Object.keys((data.facets || {}).sector || {});
    var box = el("div", { className: "empty-state no-match" },
      el("p", { className: "empty-state__title", text: "Chưa có câu chuyện hay nền tảng nào đúng với điều bạn tìm" }),
      el("ul", { className: "empty-state__tips" },
        el("li", { text: "Nói rõ việc bạn muốn làm và cho ai, ví dụ “bán cam qua mạng”, “khám bệnh từ xa cho người già”." }),
        el("li", { text: "Dùng từ thường ngày thay vì tên riêng, hoặc thử ít chữ hơn." })),
      el("p", { className: "no-match__sectors-title", text: "Làng số có câu chuyện về:" }),
      el("ul", { className: "chips chips--links" }, sectors.map(function (s) {
        return el("li", {}, searchLink(s, st, { q: s, exact: false }, "chip chip--link"));
      })));
    if (results.length) {
      var list = el("div", { className: "card-list" });
      results.forEach(function (hit, i) { list.appendChild(renderCard(hit, { rank: i + 1 })); });
      box.appendChild(el("details", { className: "nearest" },
        el("summary", { text: "Xem kết quả gần nhất (" + results.length + ")" }), list));
    }
    return box;
  }

  function resetFilters() { FILTERS.forEach(function (f) { els.filters[f].value = ""; }); }

  // ------------------------------------------------------------------ cards

  var cardCounter = 0;

  /** Buttons that open a story's platforms (names come with the hit: no platform list is fetched). */
  function platformChips(refs, opener) {
    if (!refs || !refs.length) return null;
    return el("ul", { className: "chips chips--links platform-chips" }, refs.map(function (p) {
      return el("li", {}, el("a", { href: urlOf({ item: p.id }), className: "chip chip--link platform-link",
        dataset: { id: p.id }, text: p.name || p.id,
        onclick: function (e) { e.preventDefault(); openDetail(p.id, opener || e.currentTarget, true); } }));
    }));
  }

  function platformRefs(hit) {
    if (Array.isArray(hit.platforms)) return hit.platforms;
    return (Array.isArray(hit.platform_ids) ? hit.platform_ids : []).map(function (id) { return { id: id, name: id }; });
  }

  /** A result card. opts.reason: show hit.reason (recommendations); opts.rank: position in the list. */
  function renderCard(hit, opts) {
    var type = hit.type === "platform" ? "platform" : "story";
    var uid = "c" + (++cardCounter);
    var titleId = uid + "-title";
    var card = el("article", { className: "card card--" + type, "aria-labelledby": titleId, dataset: { id: String(hit.id || "") } });
    var open = function (e) {
      e.preventDefault();
      document.dispatchEvent(new CustomEvent("langso:open", { detail: { id: hit.id, rank: opts.rank || null,
        query: rendered ? rendered.st.q : null } }));
      openDetail(hit.id, e.currentTarget, true);
    };

    card.appendChild(el("div", { className: "card__head" },
      el("span", { className: "badge badge--" + type, text: TYPE_LABEL[type] }),
      hit.province ? el("span", { className: "card__place" },
        el("span", { className: "visually-hidden", text: "Địa phương: " }), hit.province) : null));

    card.appendChild(el("h3", { className: "card__title", id: titleId },
      el("a", { href: urlOf({ item: hit.id }), className: "card__link", onclick: open }, hit.title || hit.name || String(hit.id || ""))));

    if (hit.snippet) {
      var p = el("p", { className: "card__snippet snippet" });
      p.appendChild(snippetNode(hit.snippet));
      card.appendChild(p);
    } else if (hit.summary) {
      card.appendChild(el("p", { className: "card__snippet", text: hit.summary }));
    }
    if (opts.reason && hit.reason) {
      card.appendChild(el("p", { className: "reason" },
        el("span", { className: "reason__label", text: "Vì sao phù hợp: " }), hit.reason));
    }
    var sectors = Array.isArray(hit.sectors) ? hit.sectors : [];
    if (sectors.length) {
      card.appendChild(el("ul", { className: "chips", "aria-label": "Lĩnh vực" },
        sectors.map(function (s) { return el("li", { className: "chip", text: s }); })));
    }
    var refs = platformRefs(hit);
    if (type === "story" && refs.length) {
      card.appendChild(el("div", { className: "card__platforms" },
        el("p", { className: "card__platforms-label", text: "Nền tảng đã dùng:" }), platformChips(refs)));
    }
    if (opts.official) appendOfficialExtras(card, hit, type);

    var actions = el("div", { className: "card__actions" });
    actions.appendChild(el("button", { type: "button", className: "btn btn--primary btn-detail",
      "aria-describedby": titleId, text: "Xem chi tiết", onclick: open }));
    var simBox = el("div", { className: "similar", id: uid + "-similar", hidden: true });
    var simBtn = el("button", { type: "button", className: "btn btn--secondary btn-similar",
      "aria-expanded": "false", "aria-controls": simBox.id, "aria-describedby": titleId, text: "Câu chuyện tương tự" });
    simBtn.addEventListener("click", function () { toggleSimilar(hit, simBtn, simBox); });
    actions.appendChild(simBtn);
    var link = type === "platform" ? safeUrl(hit.url) : null;
    if (link) {
      actions.appendChild(el("a", { className: "btn btn--ghost", href: link, target: "_blank", rel: "noopener noreferrer" },
        "Trang chính thức", el("span", { className: "visually-hidden", text: " của " + (hit.title || "") + " (mở trong thẻ mới)" })));
    }
    card.appendChild(actions);
    card.appendChild(simBox);
    return card;
  }

  function toggleSimilar(hit, btn, box) {
    var open = btn.getAttribute("aria-expanded") === "true";
    if (open) {
      btn.setAttribute("aria-expanded", "false");
      btn.textContent = "Câu chuyện tương tự";
      box.hidden = true;
      return;
    }
    btn.setAttribute("aria-expanded", "true");
    btn.textContent = "Ẩn câu chuyện tương tự";
    box.hidden = false;
    if (box.dataset.loaded === "1") return;
    clear(box);
    box.appendChild(el("p", { className: "loading", role: "status", text: "Đang tìm câu chuyện tương tự…" }));
    box.setAttribute("aria-busy", "true");
    api("/api/items/" + encodeURIComponent(hit.id) + "/similar?" + qs({ k: 4 }))
      .then(function (data) {
        clear(box);
        box.dataset.loaded = "1";
        box.appendChild(el("h4", { className: "similar__title", text: "Tương tự “" + (hit.title || "") + "”" }));
        box.appendChild(renderHitList(data));
      })
      .catch(function (err) {
        clear(box);
        box.appendChild(el("p", { className: "alert alert--error", role: "alert", text: err.message }));
      })
      .then(function () { box.setAttribute("aria-busy", "false"); });
  }

  /** Compact list of recommendation hits (stories then platforms), each with its reason. */
  function renderHitList(data) {
    var hits = [].concat(data && data.stories || [], data && data.platforms || []);
    if (!hits.length) return el("p", { className: "muted", text: "Chưa có gợi ý tương tự." });
    return el("ul", { className: "hit-list" }, hits.map(function (h) {
      var type = h.type === "platform" ? "platform" : "story";
      return el("li", { className: "hit hit--" + type },
        el("p", { className: "hit__head" },
          el("span", { className: "badge badge--small badge--" + type, text: TYPE_LABEL[type] }),
          h.province ? el("span", { className: "hit__place", text: h.province }) : null),
        el("a", { href: urlOf({ item: h.id }), className: "hit__title", dataset: { id: String(h.id || "") },
          text: h.title || h.name || String(h.id || ""), onclick: function (e) { e.preventDefault(); openDetail(h.id, e.currentTarget, true); } }),
        h.reason ? el("p", { className: "reason" }, el("span", { className: "reason__label", text: "Vì sao: " }), h.reason) : null);
    }));
  }

  // ------------------------------------------------------------------ detail view (a history entry)

  /** Open an item. `push`: a new history entry on top (Back closes it / returns to the previous item). */
  function openDetail(id, opener, push) {
    if (!id) return;
    var dlg = els.detail;
    var seq = ++detailSeq;
    if (!detailIsOpen) lastFocus = opener || document.activeElement;
    if (push) {
      var p = new URLSearchParams(location.search);
      p.set("item", id);
      history.pushState({ ls: 1, depth: depth() + 1 }, "", location.pathname + "?" + p.toString());
    }
    $("#detail-badge").textContent = "";
    $("#detail-badge").className = "badge";
    els.detailTitle.textContent = "Đang tải…";
    clear(els.detailBody);
    els.detailBody.appendChild(el("p", { className: "loading", text: "Đang tải thông tin…" }));
    dlg.setAttribute("aria-busy", "true");
    if (!dlg.open) {
      if (typeof dlg.showModal === "function") dlg.showModal(); else dlg.setAttribute("open", "");
      document.body.classList.add("has-dialog");
    }
    detailIsOpen = true;
    els.detailTitle.focus();

    var howto = api("/api/items/" + encodeURIComponent(id) + "/howto").catch(function () { return null; });
    Promise.all([api("/api/items/" + encodeURIComponent(id)), howto])
      .then(function (out) {
        if (seq !== detailSeq) return;
        renderDetail(out[0], out[1]);
        els.detailTitle.focus();
        loadDetailSimilar(out[0], seq);
      })
      .catch(function (err) {
        if (seq !== detailSeq) return;
        els.detailTitle.textContent = "Không mở được nội dung";
        clear(els.detailBody);
        els.detailBody.appendChild(el("p", { className: "alert alert--error", role: "alert", text: err.message }));
        els.detailTitle.focus();
      })
      .then(function () { if (seq === detailSeq) dlg.setAttribute("aria-busy", "false"); });
  }

  /** "Đóng", Esc, the backdrop: leave the item entries we pushed (the search below stays as it was). */
  function closeDetail() {
    var d = depth();
    hideDetail();
    if (d > 0) { closing = true; history.go(-d); return; } // the popstate handler finishes (see onPopState)
    dropItemParam();
  }

  /** The entry under the items we pushed may itself name an item (an opened ?item= link): drop it there. */
  function dropItemParam() {
    var p = new URLSearchParams(location.search);
    p.delete("item");
    var s = p.toString();
    history.replaceState({ ls: 1, depth: 0 }, "", location.pathname + (s ? "?" + s : ""));
  }

  /** Close the dialog and give focus back to what opened it, without moving the page. */
  function hideDetail() {
    if (!detailIsOpen) return;
    detailIsOpen = false;
    detailSeq++;
    var dlg = els.detail;
    if (dlg.open && typeof dlg.close === "function") dlg.close(); else dlg.removeAttribute("open");
    document.body.classList.remove("has-dialog");
    var back = lastFocus;
    lastFocus = null;
    if (back && document.contains(back) && typeof back.focus === "function") back.focus({ preventScroll: true });
    else els.q.focus({ preventScroll: true });
  }

  /** Keep Tab inside the open dialog (the page behind is inert). */
  function trapFocus(e) {
    if (e.key !== "Tab" || !detailIsOpen) return;
    var focusables = $$("a[href], button:not([disabled]), input, select, textarea, summary, [tabindex='0']", els.detail)
      .filter(function (n) { return n.offsetParent !== null; });
    if (!focusables.length) return;
    var first = focusables[0], last = focusables[focusables.length - 1];
    if (e.shiftKey && (document.activeElement === first || document.activeElement === els.detailTitle)) {
      e.preventDefault(); last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault(); first.focus();
    }
  }
  function section(title, content, cls) {
    if (content == null || content === "" || (Array.isArray(content) && !content.length)) return null;
    return el("section", { className: "detail__section" + (cls ? " " + cls : "") },
      el("h3", { text: title }),
      typeof content === "string" ? el("p", { text: content }) : content);
  }

  function listOf(items, ordered) {
    items = (items || []).filter(function (x) { return x != null && x !== ""; });
    if (!items.length) return null;
    return el(ordered ? "ol" : "ul", { className: "detail__list" }, items.map(function (x) {
      return el("li", {}, typeof x === "string" ? x : x);
    }));
  }

  function facts(rows) {
    rows = rows.filter(function (r) { return r[1] != null && r[1] !== "" && !(Array.isArray(r[1]) && !r[1].length); });
    if (!rows.length) return null;
    return el("dl", { className: "facts" }, rows.map(function (r) {
      var v = Array.isArray(r[1]) ? r[1].join(", ") : r[1];
      return el("div", { className: "facts__row" }, el("dt", { text: r[0] }), el("dd", {}, v));
    }));
  }

  function chips(values, label) {
    if (!values || !values.length) return null;
    return el("ul", { className: "chips", "aria-label": label }, values.map(function (s) { return el("li", { className: "chip", text: s }); }));
  }

  function sourcesList(sources) {
    var list = (sources || []).map(function (s) { return typeof s === "string" ? s : (s && s.url); }).filter(Boolean);
    if (!list.length) return null;
    return el("ol", { className: "detail__list sources" }, list.map(function (u) { return el("li", {}, externalLink(u)); }));
  }


  function renderDetail(item, howto) {
    var type = item.type === "platform" ? "platform" : "story";
    var badge = $("#detail-badge");
    badge.textContent = TYPE_LABEL[type];
    badge.className = "badge badge--" + type;
    els.detail.className = "detail detail--" + type;
    els.detailTitle.textContent = item.title || item.name || item.id;
    var body = els.detailBody;
    clear(body);
    if (type === "story") renderStory(item, body, howto); else renderPlatform(item, body);
    body.appendChild(el("div", { className: "detail__similar", id: "detail-similar" }));
  }

  function renderStory(s, body, howto) {
    var loc = s.location || {};
    var place = [loc.commune, loc.district, loc.province].filter(Boolean).join(", ");
    if (loc.former_province && loc.former_province !== loc.province) place += " (trước đây thuộc " + loc.former_province + ")";
    var people = (s.people || []).map(function (p) {
      return p && (p.name || p.role) ? el("span", {}, el("strong", { text: p.name || "" }), p.role ? (p.name ? " – " : "") + p.role : "") : null;
    }).filter(Boolean);
    var names = {};
    ((howto && howto.platforms) || []).forEach(function (p) { names[p.id] = p.name; });

    append(body, [
      facts([
        ["Nhân vật", people.length ? el("ul", { className: "plain-list" }, people.map(function (p) { return el("li", {}, p); })) : null],
        ["Địa phương", place || null],
        ["Vùng", loc.region],
        ["Địa hình", loc.terrain],
        ["Dân tộc", s.ethnic_groups],
        ["Đối tượng", s.audiences],
        ["Năm", s.year != null ? String(s.year) : null]
      ]),
      chips(s.sectors, "Lĩnh vực"),
      section("Khó khăn ban đầu", s.problem),
      section("Cách làm", s.approach),
      section("Nền tảng số đã dùng", platformChips((s.platform_ids || []).map(function (id) { return { id: id, name: names[id] || id }; }), lastFocus)),
      section("Công cụ", listOf(s.tools)),
      section("Kết quả", s.result, "detail__section--result"),
      section("Bài học để làm theo", listOf(s.lessons)),
      howToSection(howto),
      section("Nguồn tin", sourcesList(s.sources), "detail__section--sources")
    ]);
  }

  /** "Làm theo thế nào": the platforms' first steps and where to ask; a suggestion when the story used none. */
  function howToSection(howto) {
    var box = el("section", { className: "detail__section howto", "aria-labelledby": "howto-title" },
      el("h3", { id: "howto-title", text: "Làm theo thế nào" }));
    var platforms = (howto && howto.platforms) || [];
    if (!platforms.length) {
      box.appendChild(el("p", { text: "Hỏi tổ công nghệ số cộng đồng ở thôn, xã hoặc bưu điện xã để được hướng dẫn những bước đầu tiên." }));
      return box;
    }
    if (howto.suggested) {
      box.appendChild(el("p", { className: "howto__note" }, el("span", { className: "badge badge--suggest", text: "Gợi ý" }),
        " Câu chuyện này không dùng một nền tảng riêng. Nền tảng gần nhất với cách làm này:"));
    }
    platforms.forEach(function (p) {
      var site = safeUrl(p.url);
      box.appendChild(el("div", { className: "howto__platform" },
        el("h4", {}, el("a", { href: urlOf({ item: p.id }), className: "platform-link", dataset: { id: p.id }, text: p.name,
          onclick: function (e) { e.preventDefault(); openDetail(p.id, lastFocus, true); } })),
        howto.suggested && howto.reason ? el("p", { className: "reason" }, el("span", { className: "reason__label", text: "Vì sao: " }), howto.reason) : null,
        el("p", { className: "howto__label", text: "Bước đầu tiên:" }),
        listOf(p.how_to_start, true),
        el("p", { className: "howto__label", text: "Hỏi ở đâu:" }),
        el("ul", { className: "detail__list" },
          el("li", {}, "Đơn vị vận hành: " + p.operator),
          site ? el("li", {}, "Trang chính thức: ", externalLink(site)) : null,
          p.cost ? el("li", {}, "Chi phí: " + p.cost) : null,
          el("li", { text: "Tổ công nghệ số cộng đồng ở thôn, xã có thể hướng dẫn tận nơi." }))));
    });
    return box;
  }

  function renderPlatform(p, body) {
    var official = safeUrl(p.url);
    append(body, [
      p.make_in_vietnam ? el("p", { className: "miv", text: "Make in Việt Nam – nền tảng số do doanh nghiệp, cơ quan Việt Nam phát triển" }) : null,
      facts([
        ["Tên gọi khác", aliasList(p)],
        ["Đơn vị vận hành", p.operator],
        ["Dành cho", p.audiences],
        ["Chi phí", p.cost],
        ["Trang chính thức", official ? externalLink(official) : null]
      ]),
      chips(p.sectors, "Lĩnh vực"),
      section("Giới thiệu", p.summary),
      section("Giúp giải quyết", listOf(p.problems)),
      section("Làm theo thế nào", listOf(p.how_to_start, true), "howto"),
      section("Nguồn tin", sourcesList(p.sources), "detail__section--sources")
    ]);
  }
  /** Aliases without pure spelling variants (the data keeps unaccented forms for search); at most 6. */
  function aliasList(p) {
    var all = (Array.isArray(p.aliases) ? p.aliases : []).filter(function (a) { return typeof a === "string" && a.trim(); });
    var accented = {};
    all.concat([p.name || "", p.title || ""]).forEach(function (a) { if (hasMarks(a)) accented[fold(a)] = 1; });
    var seen = {};
    [p.name, p.title].forEach(function (n) { if (n) seen[fold(n)] = 1; });
    return all.filter(function (a) {
      var key = fold(a);
      if (seen[key] || (!hasMarks(a) && accented[key])) return false;
      seen[key] = 1;
      return true;
    }).slice(0, 6);
  }

  function hasMarks(s) { return /[\u0300-\u036f]/.test(String(s).normalize("NFD")) || /[đĐ]/.test(s); }

  function fold(s) {
    return String(s).toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/[^a-z0-9]+/g, "");
  }


  function loadDetailSimilar(item, seq) {
    var box = $("#detail-similar");
    if (!box) return;
    box.appendChild(el("p", { className: "loading", text: item.type === "platform" ? "Đang tìm câu chuyện dùng nền tảng này…" : "Đang tìm câu chuyện tương tự…" }));
    api("/api/items/" + encodeURIComponent(item.id) + "/similar?" + qs({ k: 4 }))
      .then(function (data) {
        if (seq !== detailSeq) return;
        clear(box);
        var hits = [].concat(data.stories || [], data.platforms || []);
        if (!hits.length) return;
        box.appendChild(el("h3", { text: item.type === "platform" ? "Câu chuyện và nền tảng liên quan" : "Câu chuyện tương tự" }));
        box.appendChild(renderHitList(data));
      })
      .catch(function () { if (seq === detailSeq) clear(box); });
  }

  // ------------------------------------------------------------------ official form (its own address)

  function splitList(s) {
    return String(s || "").split(/[,;\n]/).map(function (x) { return x.trim(); }).filter(Boolean);
  }

  function officialForm() {
    var f = els.official.elements;
    return {
      province: f.province.value, region: f.region.value, ethnic: f.ethnic_groups.value.trim(),
      sector: f.sector.value, audience: f.audience.value, text: f.text.value.trim(),
      terrain: $$("input[name=terrain]:checked", els.official).map(function (c) { return c.value; })
    };
  }

  function fillOfficialForm(o) {
    var f = els.official.elements;
    ["province", "region", "sector", "audience"].forEach(function (k) {
      var s = f[k];
      if (o[k] && !$$("option", s).some(function (x) { return x.value === o[k]; })) s.appendChild(el("option", { value: o[k], text: o[k] }));
      s.value = o[k] || "";
    });
    f.ethnic_groups.value = o.ethnic || "";
    f.text.value = o.text || "";
    $$("input[name=terrain]", els.official).forEach(function (c) { c.checked = (o.terrain || []).indexOf(c.value) >= 0; });
  }

  function officialUrl(o) {
    var params = { official: "1" };
    OFFICIAL_FIELDS.forEach(function (k) { params["o." + k] = o[k]; });
    params["o.terrain"] = (o.terrain || []).join(",");
    return urlOf(params) + "#official";
  }

  function officialRequest(o) {
    var profile = {};
    if (o.province) profile.province = o.province;
    if (o.region) profile.region = o.region;
    if (o.terrain && o.terrain.length) profile.terrain = o.terrain;
    var ethnic = splitList(o.ethnic);
    if (ethnic.length) profile.ethnic_groups = ethnic;
    if (o.sector) profile.sectors = [o.sector];
    if (o.audience) profile.audiences = [o.audience];
    var body = { k: 6 };
    if (o.text) body.text = o.text;
    if (Object.keys(profile).length) body.profile = profile;
    return body;
  }

  function submitOfficial(e) {
    e.preventDefault();
    var o = officialForm();
    var body = officialRequest(o);
    var status = $("#official-status");
    if (!body.text && !body.profile) {
      status.textContent = "Hãy điền ít nhất một thông tin về xã hoặc mô tả vấn đề đang gặp.";
      status.classList.add("is-error");
      els.official.elements.text.focus();
      return;
    }
    navigate(officialUrl(o).replace(/#official$/, ""), true, { ls: 1, depth: 0 });
    runOfficial(o, true);
  }

  /** The profile as printed and shown above the answer ("Hồ sơ xã"). */
  function profileBlock(o) {
    return el("section", { className: "official-profile", "aria-labelledby": "profile-title" },
      el("h3", { id: "profile-title", className: "official-group__title", text: "Hồ sơ xã" }),
      facts([
        ["Tỉnh / thành", o.province], ["Vùng", o.region], ["Địa hình", o.terrain], ["Dân tộc", splitList(o.ethnic)],
        ["Lĩnh vực", o.sector], ["Đối tượng", o.audience], ["Vấn đề", o.text]
      ]),
      el("p", { className: "official-profile__link" }, "Địa chỉ của kết quả này: ",
        el("a", { href: officialUrl(o), className: "share-link", text: location.origin + officialUrl(o) })));
  }

  function runOfficial(o, focus) {
    var body = officialRequest(o);
    var status = $("#official-status");
    var out = els.officialResults;
    officialKey = JSON.stringify(o);
    document.body.classList.add("view-official");
    status.classList.remove("is-error");
    status.textContent = "Đang tìm mô hình phù hợp…";
    var btn = $("button[type=submit]", els.official);
    btn.disabled = true;
    setBusy(out, true);
    clear(out);
    out.appendChild(el("p", { className: "loading", text: "Đang tìm mô hình phù hợp…" }));

    return api("/api/recommend", { method: "POST", body: body })
      .then(function (data) {
        var stories = data.stories || [], platforms = data.platforms || [];
        clear(out);
        if (!stories.length && !platforms.length) {
          status.textContent = "Chưa tìm được mô hình phù hợp.";
          out.appendChild(el("div", { className: "empty-state" },
            el("p", { className: "empty-state__title", text: "Chưa có mô hình phù hợp" }),
            el("p", { text: "Thử mô tả vấn đề cụ thể hơn, hoặc bớt một vài điều kiện (địa hình, dân tộc)." })));
          return;
        }
        status.textContent = "Có " + stories.length + " câu chuyện và " + platforms.length + " nền tảng phù hợp.";
        out.appendChild(profileBlock(o));
        out.appendChild(el("div", { className: "official-tools" },
          el("button", { type: "button", className: "btn btn--primary", id: "official-print", text: "In / Lưu PDF",
            onclick: function () { window.print(); } })));
        if (stories.length) out.appendChild(group("Mô hình đã làm được ở nơi giống xã bạn", stories));
        if (platforms.length) out.appendChild(group("Nền tảng số nên dùng", platforms));
        if (focus) {
          var first = out.querySelector("h3");
          if (first) { first.setAttribute("tabindex", "-1"); first.focus({ preventScroll: false }); }
        }
      })
      .catch(function (err) {
        clear(out);
        status.textContent = "";
        out.appendChild(el("p", { className: "alert alert--error", role: "alert", text: err.message }));
      })
      .then(function () { btn.disabled = false; setBusy(out, false); });

    function group(title, hits) {
      return el("section", { className: "official-group" },
        el("h3", { className: "official-group__title", text: title }),
        el("div", { className: "card-list" }, hits.map(function (h, i) { return renderCard(h, { reason: true, official: true, rank: i + 1 }); })));
    }
  }

  /** In the official answer every example carries what a printout needs: source and first steps. */
  function appendOfficialExtras(card, hit, type) {
    var src = safeUrl(hit.url);
    if (src) {
      card.appendChild(el("p", { className: "card__source" }, type === "story" ? "Nguồn: " : "Trang chính thức: ",
        externalLink(src, src)));
    }
    var steps = el("div", { className: "card__steps" });
    card.appendChild(steps);
    api("/api/items/" + encodeURIComponent(hit.id) + "/howto").then(function (h) {
      (h.platforms || []).forEach(function (p) {
        steps.appendChild(el("p", { className: "howto__label", text: "Bắt đầu với " + p.name + (h.suggested ? " (gợi ý)" : "") + ":" }));
        steps.appendChild(listOf(p.how_to_start, true));
      });
    }).catch(function () { /* the card stays useful without them */ });
  }

  // ------------------------------------------------------------------ wiring

  /** Bring the page in line with the address (load, Back, Forward). */
  function syncToUrl(initial) {
    var st = readState();
    if (st.official) {
      var key = JSON.stringify(st.official);
      if (key !== officialKey) {
        fillOfficialForm(st.official);
        runOfficial(st.official, false).then(function () {
          if (initial) $("#official").scrollIntoView({ block: "start" });
        });
      }
      document.body.classList.add("view-official");
    } else {
      document.body.classList.remove("view-official");
    }
    if (!st.official || st.q) {
      if (!rendered || rendered.key !== searchKey(st)) {
        applyStateToForm(st);
        runSearch(st);
      }
    }
    if (st.item) openDetail(st.item, null, false);
    else hideDetail();
  }

  function init() {
    els.q = $("#q");
    els.form = $("#search-form");
    els.results = $("#results");
    els.count = $("#result-count");
    els.restored = $("#restored");
    els.error = $("#search-error");
    els.detail = $("#detail");
    els.detailTitle = $("#detail-title");
    els.detailBody = $("#detail-body");
    els.official = $("#official-form");
    els.officialResults = $("#official-results");
    els.more = $("#more");
    els.moreBox = $("#results-more");
    els.skip = $("#skip-results");
    els.filters = {};
    FILTERS.forEach(function (f) { els.filters[f] = $("#f-" + f); });
    if ("scrollRestoration" in history) history.scrollRestoration = "manual";
    // phones: the filters fold under one line (the results come first); wide screens keep them open
    if (document.documentElement.clientWidth < 960) $("#filters-details").open = false;

    loadPageData();
    fillFilters(null);
    fillOfficialSelects();

    els.form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!els.q.value.trim()) { // an empty submit: stay here, say what to do
        els.q.value = "";
        els.q.focus();
        hint("Hãy gõ điều bạn cần tìm, ví dụ “bán cam qua mạng”.");
        return;
      }
      submitSearch(true);
      if (document.documentElement.clientWidth < 900) {
        els.q.blur(); // hide the phone keyboard and bring the results into view
        $(".results-area").scrollIntoView({ block: "start" });
      }
    });
    els.skip.addEventListener("click", function (e) {
      var first = $(".card__link", els.results);
      if (!first) return;
      e.preventDefault();
      first.focus();
    });
    els.more.addEventListener("click", loadMore);

    $$(".example-query").forEach(function (b) {
      b.addEventListener("click", function () {
        els.q.value = b.dataset.q || b.textContent;
        submitSearch(true);
        if (document.documentElement.clientWidth < 900) $(".results-area").scrollIntoView({ block: "start" });
      });
    });

    FILTERS.forEach(function (f) {
      els.filters[f].addEventListener("change", function () { if (els.q.value.trim()) submitSearch(true); });
    });
    $("#filter-form").addEventListener("submit", function (e) { e.preventDefault(); submitSearch(true); });
    $("#filter-form").addEventListener("reset", function () {
      setTimeout(function () { if (els.q.value.trim()) submitSearch(true); }, 0);
    });

    els.detail.addEventListener("close", function () { if (detailIsOpen) closeDetail(); });
    els.detail.addEventListener("cancel", function (e) { e.preventDefault(); closeDetail(); }); // Esc
    els.detail.addEventListener("keydown", trapFocus);
    $("#detail-close").addEventListener("click", closeDetail);
    els.detail.addEventListener("click", function (e) { if (e.target === els.detail) closeDetail(); }); // backdrop
    document.addEventListener("keydown", function (e) {
      // fallback for browsers without <dialog>
      if ((e.key === "Escape" || e.key === "Esc") && els.detail.hasAttribute("open") && typeof els.detail.showModal !== "function") closeDetail();
    });

    els.official.addEventListener("submit", submitOfficial);
    els.official.addEventListener("reset", function () {
      clear(els.officialResults);
      officialKey = "";
      $("#official-status").textContent = "";
      document.body.classList.remove("view-official");
    });

    window.addEventListener("popstate", function () {
      if (closing) {
        closing = false;
        if (readState().item) dropItemParam();
      }
      syncToUrl(false);
    });
    if (!history.state || !history.state.ls) history.replaceState({ ls: 1, depth: 0 }, "");
    syncToUrl(true);
  }

  // test / debugging hook (one namespace only)
  window.LangsoApp = { escapeHtml: escapeHtml, snippetNode: snippetNode, openDetail: function (id) { openDetail(id, null, true); } };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
