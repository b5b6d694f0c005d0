/* Làng số – front-end of the search page. Plain JS, no framework, no external resources.
 *
 * Security rule of this file: text from the API only reaches the page through textContent /
 * createTextNode / attribute setters. The one exception is `snippet`, which the API sends as
 * HTML-escaped text with <mark> tags: it is rebuilt node by node (see snippetNode) and never
 * given to innerHTML.
 */
(function () {
  "use strict";

  var REGIONS = ["Tây Bắc", "Đông Bắc", "Đồng bằng sông Hồng", "Bắc Trung Bộ", "Duyên hải Nam Trung Bộ",
    "Tây Nguyên", "Đông Nam Bộ", "Đồng bằng sông Cửu Long"];
  var TERRAINS = ["miền núi", "trung du", "đồng bằng", "ven biển", "hải đảo", "đô thị"];
  var FILTERS = ["type", "sector", "region", "terrain"];
  var SEARCH_K = 20;
  var TYPE_LABEL = { story: "Câu chuyện", platform: "Nền tảng" };

  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  var els = {};
  var platformNames = {};          // id -> display name
  var platformsLoaded = null;      // Promise
  var searchSeq = 0;               // drops out-of-order responses
  var lastFocus = null;            // element focused before the detail view opened
  var detailSeq = 0;
  var detailIsOpen = false;

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

  function api(path, options) {
    var opts = options || {};
    var init = { method: opts.method || "GET", headers: { "Accept": "application/json" } };
    if (opts.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    return fetch(path, init).then(function (res) {
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
    }, function () {
      throw new ApiError("Không kết nối được máy chủ. Hãy kiểm tra mạng rồi thử lại.", 0);
    });
  }

  function qs(params) {
    var u = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v !== undefined && v !== null && v !== "") u.set(k, v);
    });
    return u.toString();
  }

  function loadPlatforms() {
    if (platformsLoaded) return platformsLoaded;
    function remember(items) {
      (items || []).forEach(function (it) {
        if (it && it.id) platformNames[it.id] = it.name || it.title || it.id;
      });
    }
    platformsLoaded = api("/api/items?" + qs({ type: "platform", limit: 200 }))
      .then(function (data) { remember(data.items); })
      .catch(function () {
        // the service may cap `limit`; fall back to pages of 50
        function page(offset) {
          return api("/api/items?" + qs({ type: "platform", limit: 50, offset: offset })).then(function (data) {
            remember(data.items);
            var got = (data.items || []).length;
            if (got && offset + got < (data.total || 0) && offset < 1000) return page(offset + got);
          });
        }
        return page(0).catch(function () { /* names fall back to ids */ });
      });
    return platformsLoaded;
  }

  function platformName(id) { return platformNames[id] || id; }

  // ------------------------------------------------------------------ facets

  function sortFacet(name, counts) {
    var keys = Object.keys(counts || {});
    var order = name === "region" ? REGIONS : name === "terrain" ? TERRAINS : null;
    if (order) {
      keys.sort(function (a, b) {
        var ia = order.indexOf(a), ib = order.indexOf(b);
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b, "vi");
      });
    } else if (name === "province") {
      keys.sort(function (a, b) { return a.localeCompare(b, "vi"); });
    } else {
      keys.sort(function (a, b) { return (counts[b] - counts[a]) || a.localeCompare(b, "vi"); });
    }
    return keys;
  }

  function fillSelect(select, name, counts, withCounts) {
    var keep = select.value;
    var wanted = select.dataset.pending || keep;
    // drop everything but the first ("all") option
    while (select.options.length > 1) select.remove(1);
    sortFacet(name, counts).forEach(function (key) {
      var label = withCounts && counts[key] != null ? key + " (" + fmtNumber(counts[key]) + ")" : key;
      select.appendChild(el("option", { value: key, text: label }));
    });
    if (wanted) ensureOption(select, wanted);
    delete select.dataset.pending;
  }

  /** Select `value`, adding it as an option when the facet list does not have it (shared URLs). */
  function ensureOption(select, value) {
    if (!value) { select.value = ""; return; }
    var found = $$("option", select).some(function (o) { return o.value === value; });
    if (!found) select.appendChild(el("option", { value: value, text: value }));
    select.value = value;
  }

  function loadFacets() {
    return api("/api/facets").then(function (f) {
      $$("#filter-form select[data-facet]").forEach(function (s) { fillSelect(s, s.dataset.facet, f[s.dataset.facet] || {}, true); });
      $$("#official-form select[data-facet]").forEach(function (s) { fillSelect(s, s.dataset.facet, f[s.dataset.facet] || {}, false); });
      var list = $("#o-province-list");
      clear(list);
      sortFacet("province", f.province || {}).forEach(function (p) { list.appendChild(el("option", { value: p })); });
      if (f.type) {
        var t = $("#f-type");
        $$("option", t).forEach(function (o) {
          if (o.value && f.type[o.value] != null) o.textContent = TYPE_LABEL[o.value] + " (" + fmtNumber(f.type[o.value]) + ")";
        });
      }
    }).catch(function () {
      // filters still work with the controlled lists
      fillSelect($("#f-region"), "region", toCounts(REGIONS), false);
      fillSelect($("#f-terrain"), "terrain", toCounts(TERRAINS), false);
      fillSelect($("#o-region"), "region", toCounts(REGIONS), false);
    });
  }

  function toCounts(list) { var o = {}; list.forEach(function (k) { o[k] = null; }); return o; }

  // ------------------------------------------------------------------ URL state

  function readState() {
    var p = new URLSearchParams(location.search);
    var st = { q: (p.get("q") || "").trim(), item: p.get("item") || "" };
    FILTERS.forEach(function (f) { st[f] = p.get(f) || ""; });
    if (st.type !== "story" && st.type !== "platform") st.type = "";
    return st;
  }

  function formState() {
    var st = { q: els.q.value.trim() };
    FILTERS.forEach(function (f) { st[f] = els.filters[f].value; });
    return st;
  }

  function applyStateToForm(st) {
    els.q.value = st.q || "";
    FILTERS.forEach(function (f) {
      var s = els.filters[f];
      if (f === "type") { s.value = st.type || ""; return; }
      if (st[f] && s.options.length <= 1) s.dataset.pending = st[f]; // facets not loaded yet
      ensureOption(s, st[f] || "");
    });
  }

  function stateUrl(st, extra) {
    var params = { q: st.q };
    FILTERS.forEach(function (f) { params[f] = st[f]; });
    if (extra) Object.keys(extra).forEach(function (k) { params[k] = extra[k]; });
    var s = qs(params);
    return location.pathname + (s ? "?" + s : "") + location.hash;
  }

  function setItemParam(id) {
    var p = new URLSearchParams(location.search);
    if (id) p.set("item", id); else p.delete("item");
    var s = p.toString();
    history.replaceState(history.state, "", location.pathname + (s ? "?" + s : "") + location.hash);
  }

  // ------------------------------------------------------------------ search

  function submitSearch(push) {
    var st = formState();
    var url = stateUrl(st);
    if (url !== location.pathname + location.search + location.hash) {
      if (push) history.pushState({ search: true }, "", url); else history.replaceState({ search: true }, "", url);
    }
    runSearch(st);
  }

  function runSearch(st) {
    var seq = ++searchSeq;
    hideError();
    if (!st.q) {
      els.restored.hidden = true;
      els.count.textContent = "";
      showIntro(st);
      document.title = "Làng số – tìm cách làm hay";
      return Promise.resolve();
    }
    document.title = st.q + " – Làng số";
    setBusy(els.results, true);
    els.count.textContent = "Đang tìm…";
    els.results.classList.add("is-loading");
    if (!els.results.querySelector(".card")) showSkeleton();

    var params = { q: st.q, k: SEARCH_K };
    FILTERS.forEach(function (f) { params[f] = st[f]; });
    return Promise.all([api("/api/search?" + qs(params)), loadPlatforms().catch(function () {})])
      .then(function (out) {
        if (seq !== searchSeq) return;
        renderResults(out[0], st);
      })
      .catch(function (err) {
        if (seq !== searchSeq) return;
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

  function showError(msg) {
    els.error.textContent = msg;
    els.error.hidden = false;
  }
  function hideError() { els.error.hidden = true; els.error.textContent = ""; }

  function renderResults(data, st) {
    var results = Array.isArray(data.results) ? data.results : [];
    clear(els.results);

    var restored = data.restored_query;
    if (restored && normalise(restored) !== normalise(data.query != null ? data.query : st.q)) {
      clear(els.restored);
      append(els.restored, ["Đang tìm: ", el("strong", { text: restored })]);
      els.restored.hidden = false;
    } else {
      els.restored.hidden = true;
    }

    var n = results.length;
    var countText = n ? "Tìm thấy " + fmtNumber(n) + " kết quả" : "Không tìm thấy kết quả nào";
    if (n && !st.type) {
      var nStory = results.filter(function (h) { return h.type !== "platform"; }).length;
      var bits = [];
      if (nStory) bits.push(fmtNumber(nStory) + " câu chuyện");
      if (n - nStory) bits.push(fmtNumber(n - nStory) + " nền tảng");
      countText += ": " + bits.join(", ");
    }
    if (typeof data.took_ms === "number") countText += " · " + fmtNumber(Math.max(0.1, Math.round(data.took_ms * 10) / 10)) + " ms";
    els.count.textContent = countText;

    if (!n) {
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
      els.results.appendChild(box);
      return;
    }
    var list = el("div", { className: "card-list" });
    results.forEach(function (hit) { list.appendChild(renderCard(hit, {})); });
    els.results.appendChild(list);
  }

  function normalise(s) { return String(s || "").trim().toLowerCase().replace(/\s+/g, " "); }

  function resetFilters() { FILTERS.forEach(function (f) { els.filters[f].value = ""; }); }

  // ------------------------------------------------------------------ cards

  var cardCounter = 0;

  /** A result card. opts.reason: show hit.reason (recommendations). */
  function renderCard(hit, opts) {
    var type = hit.type === "platform" ? "platform" : "story";
    var uid = "c" + (++cardCounter);
    var titleId = uid + "-title";
    var card = el("article", { className: "card card--" + type, "aria-labelledby": titleId, dataset: { id: String(hit.id || "") } });

    var head = el("div", { className: "card__head" },
      el("span", { className: "badge badge--" + type, text: TYPE_LABEL[type] }),
      hit.province ? el("span", { className: "card__place" },
        el("span", { className: "visually-hidden", text: "Địa phương: " }), hit.province) : null);
    card.appendChild(head);

    card.appendChild(el("h3", { className: "card__title", id: titleId }, hit.title || hit.name || String(hit.id || "")));

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

    var pids = Array.isArray(hit.platform_ids) ? hit.platform_ids : [];
    if (type === "story" && pids.length) {
      card.appendChild(el("p", { className: "card__platforms" },
        el("span", { className: "card__platforms-label", text: "Nền tảng đã dùng: " }),
        pids.map(function (pid, i) {
          return [i ? ", " : null, el("button", { type: "button", className: "link-btn platform-link", dataset: { id: pid },
            text: platformName(pid), onclick: function (e) { openDetail(pid, e.currentTarget); } })];
        })));
    }

    var actions = el("div", { className: "card__actions" });
    actions.appendChild(el("button", { type: "button", className: "btn btn--primary btn-detail",
      "aria-describedby": titleId, text: "Xem chi tiết",
      onclick: function (e) { openDetail(hit.id, e.currentTarget); } }));
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
    Promise.all([api("/api/items/" + encodeURIComponent(hit.id) + "/similar?" + qs({ k: 4 })), loadPlatforms().catch(function () {})])
      .then(function (out) {
        clear(box);
        box.dataset.loaded = "1";
        box.appendChild(el("h4", { className: "similar__title", text: "Tương tự “" + (hit.title || "") + "”" }));
        box.appendChild(renderHitList(out[0]));
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
        el("span", { className: "badge badge--small badge--" + type, text: TYPE_LABEL[type] }),
        el("button", { type: "button", className: "link-btn hit__title", dataset: { id: String(h.id || "") },
          text: h.title || h.name || String(h.id || ""), onclick: function (e) { openDetail(h.id, e.currentTarget); } }),
        h.province ? el("span", { className: "hit__place", text: " · " + h.province }) : null,
        h.reason ? el("p", { className: "reason" }, el("span", { className: "reason__label", text: "Vì sao: " }), h.reason) : null);
    }));
  }

  // ------------------------------------------------------------------ detail view

  function openDetail(id, opener) {
    if (!id) return;
    var dlg = els.detail;
    var seq = ++detailSeq;
    if (!dlg.open) lastFocus = opener || document.activeElement;
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
    setItemParam(id);

    Promise.all([api("/api/items/" + encodeURIComponent(id)), loadPlatforms().catch(function () {})])
      .then(function (out) {
        if (seq !== detailSeq) return;
        renderDetail(out[0]);
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

  /** Close synchronously (URL and focus are settled when this returns). */
  function closeDetail() {
    var dlg = els.detail;
    if (dlg.open && typeof dlg.close === "function") dlg.close();
    else dlg.removeAttribute("open");
    onDetailClosed();
  }

  function onDetailClosed() {
    if (!detailIsOpen) return; // already handled (close() then the async "close" event)
    detailIsOpen = false;
    detailSeq++;
    document.body.classList.remove("has-dialog");
    setItemParam(null);
    var back = lastFocus;
    lastFocus = null;
    if (back && document.contains(back) && typeof back.focus === "function") back.focus();
    else els.q.focus();
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

  function platformButtons(ids) {
    if (!ids || !ids.length) return null;
    return el("ul", { className: "chips chips--links" }, ids.map(function (pid) {
      return el("li", {}, el("button", { type: "button", className: "chip chip--link platform-link", dataset: { id: pid },
        text: platformName(pid), onclick: function () { openDetail(pid, lastFocus); } }));
    }));
  }

  function renderDetail(item) {
    var type = item.type === "platform" ? "platform" : "story";
    var badge = $("#detail-badge");
    badge.textContent = TYPE_LABEL[type];
    badge.className = "badge badge--" + type;
    els.detail.className = "detail detail--" + type;
    els.detailTitle.textContent = item.title || item.name || item.id;
    var body = els.detailBody;
    clear(body);
    if (type === "story") renderStory(item, body); else renderPlatform(item, body);
    body.appendChild(el("div", { className: "detail__similar", id: "detail-similar" }));
  }

  function renderStory(s, body) {
    var loc = s.location || {};
    var place = [loc.commune, loc.district, loc.province].filter(Boolean).join(", ");
    if (loc.former_province && loc.former_province !== loc.province) place += " (trước đây thuộc " + loc.former_province + ")";
    var people = (s.people || []).map(function (p) {
      return p && (p.name || p.role) ? el("span", {}, el("strong", { text: p.name || "" }), p.role ? (p.name ? " – " : "") + p.role : "") : null;
    }).filter(Boolean);

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
      section("Nền tảng số đã dùng", platformButtons(s.platform_ids)),
      section("Công cụ", listOf(s.tools)),
      section("Kết quả", s.result, "detail__section--result"),
      section("Bài học để làm theo", listOf(s.lessons)),
      section("Nguồn tin", sourcesList(s.sources), "detail__section--sources")
    ]);
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
      section("Bắt đầu thế nào", listOf(p.how_to_start, true)),
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

  // ------------------------------------------------------------------ official form

  function splitList(s) {
    return String(s || "").split(/[,;\n]/).map(function (x) { return x.trim(); }).filter(Boolean);
  }

  function officialBody() {
    var f = els.official;
    var profile = {};
    var province = f.elements.province.value.trim();
    if (province) profile.province = province;
    if (f.elements.region.value) profile.region = f.elements.region.value;
    var terrain = $$("input[name=terrain]:checked", f).map(function (c) { return c.value; });
    if (terrain.length) profile.terrain = terrain;
    var ethnic = splitList(f.elements.ethnic_groups.value);
    if (ethnic.length) profile.ethnic_groups = ethnic;
    if (f.elements.sector.value) profile.sectors = [f.elements.sector.value];
    if (f.elements.audience.value) profile.audiences = [f.elements.audience.value];
    var body = { k: 6 };
    var text = f.elements.text.value.trim();
    if (text) body.text = text;
    if (Object.keys(profile).length) body.profile = profile;
    return body;
  }

  function submitOfficial(e) {
    e.preventDefault();
    var body = officialBody();
    var status = $("#official-status");
    var out = els.officialResults;
    if (!body.text && !body.profile) {
      status.textContent = "Hãy điền ít nhất một thông tin về xã hoặc mô tả vấn đề đang gặp.";
      status.classList.add("is-error");
      els.official.elements.text.focus();
      return;
    }
    status.classList.remove("is-error");
    status.textContent = "Đang tìm mô hình phù hợp…";
    var btn = $("button[type=submit]", els.official);
    btn.disabled = true;
    setBusy(out, true);
    clear(out);
    out.appendChild(el("p", { className: "loading", text: "Đang tìm mô hình phù hợp…" }));

    Promise.all([api("/api/recommend", { method: "POST", body: body }), loadPlatforms().catch(function () {})])
      .then(function (res) {
        var data = res[0] || {};
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
        if (stories.length) out.appendChild(group("Mô hình đã làm được ở nơi giống xã bạn", stories));
        if (platforms.length) out.appendChild(group("Nền tảng số nên dùng", platforms));
        var first = out.querySelector("h3");
        if (first) { first.setAttribute("tabindex", "-1"); first.focus({ preventScroll: false }); }
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
        el("div", { className: "card-list" }, hits.map(function (h) { return renderCard(h, { reason: true }); })));
    }
  }

  // ------------------------------------------------------------------ wiring

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
    els.filters = {};
    FILTERS.forEach(function (f) { els.filters[f] = $("#f-" + f); });

    els.form.addEventListener("submit", function (e) {
      e.preventDefault();
      submitSearch(true);
      if (document.documentElement.clientWidth < 900) {
        els.q.blur(); // hide the phone keyboard and bring the results into view
        $(".results-area").scrollIntoView({ block: "start" });
      }
    });

    $$(".example-query").forEach(function (b) {
      b.addEventListener("click", function () {
        els.q.value = b.dataset.q || b.textContent;
        submitSearch(true);
        if (document.documentElement.clientWidth < 900) $(".results-area").scrollIntoView({ block: "start" });
      });
    });

    FILTERS.forEach(function (f) {
      els.filters[f].addEventListener("change", function () { submitSearch(true); });
    });
    $("#filter-form").addEventListener("submit", function (e) { e.preventDefault(); submitSearch(true); });
    $("#filter-form").addEventListener("reset", function () {
      setTimeout(function () { submitSearch(true); }, 0);
    });

    els.detail.addEventListener("close", onDetailClosed);
    els.detail.addEventListener("cancel", function (e) { e.preventDefault(); closeDetail(); }); // Esc
    $("#detail-close").addEventListener("click", closeDetail);
    els.detail.addEventListener("click", function (e) { if (e.target === els.detail) closeDetail(); }); // backdrop
    document.addEventListener("keydown", function (e) {
      // fallback for browsers without <dialog>
      if ((e.key === "Escape" || e.key === "Esc") && els.detail.hasAttribute("open") && typeof els.detail.showModal !== "function") closeDetail();
    });

    els.official.addEventListener("submit", submitOfficial);
    els.official.addEventListener("reset", function () {
      clear(els.officialResults);
      $("#official-status").textContent = "";
    });

    window.addEventListener("popstate", function () {
      var st = readState();
      applyStateToForm(st);
      runSearch(st);
    });

    var st = readState();
    applyStateToForm(st);
    loadFacets();
    loadPlatforms();
    if (st.q) runSearch(st);
    if (st.item) openDetail(st.item, null);
  }

  // test / debugging hook (one namespace only)
  window.LangsoApp = { escapeHtml: escapeHtml, snippetNode: snippetNode, openDetail: function (id) { openDetail(id, null); } };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
