/* Làng số – clicks and "Câu trả lời này có giúp được bạn không?" feedback.
 *
 * Listens to the page's events (app.js):
 *   langso:results {query, restored_query, ids, total, no_match}  after each render of the results
 *   langso:open    {id, rank, query}                               when a result is opened
 * and to clicks on source links (a[data-source]). Fills every empty <div class="feedback-slot"> with a
 * 👍/👎 question (+ optional comment, ≤ 500 characters); works, silently, when there is no slot.
 *
 * Privacy: no cookie, no user id; only a random id for this browser tab (sessionStorage), dropped when
 * the tab closes. Nothing here ever breaks the page: every call is guarded.
 */
(function () {
  "use strict";
  if (window.__langsoFeedback) return;  // included twice: listen once
  window.__langsoFeedback = true;

  var TAB_KEY = "langso-tab";
  var MAX_COMMENT = 500;
  var last = { query: "", ids: [] };
  var openItem = null;
  var memoryTab = null;

  function randomId() {
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function tabId() {
    try {
      var id = window.sessionStorage.getItem(TAB_KEY);
      if (!id) { id = randomId(); window.sessionStorage.setItem(TAB_KEY, id); }
      return id;
    } catch (e) {
      memoryTab = memoryTab || randomId();
      return memoryTab;
    }
  }

  function beacon(path, body) {
    var data = JSON.stringify(body);
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(path, new Blob([data], { type: "application/json" }))) return;
    } catch (e) { /* fall back to fetch */ }
    try {
      fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: data, keepalive: true })
        .catch(function () {});
    } catch (e) { /* analytics never breaks the page */ }
  }

  function post(path, body) {
    return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (res) { return res.ok; }, function () { return false; });
  }

  function text(s, max) { return typeof s === "string" ? s.slice(0, max || 2000) : ""; }

  // ------------------------------------------------------------------ clicks

  function sendClick(type, itemId, rank, query) {
    if (!itemId || typeof itemId !== "string") return;
    var body = { type: type, item_id: itemId.slice(0, 200), session: tabId() };
    if (typeof rank === "number" && rank >= 1) body.rank = Math.floor(rank);
    var q = text(query || last.query);
    if (q) body.query = q;
    beacon("/api/events", body);
  }

  function sourceItem(link) {
    var value = link.getAttribute("data-source") || "";
    if (/^[a-z0-9][a-z0-9-]{1,199}$/.test(value)) return value;
    var holder = link.closest("[data-id], [data-item-id]");
    if (holder) return holder.getAttribute("data-id") || holder.getAttribute("data-item-id");
    if (link.closest("dialog") && openItem) return openItem;
    return null;
  }

  // ------------------------------------------------------------------ feedback widget

  function el(tag, cls, label) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (label) node.textContent = label;
    return node;
  }

  var counter = 0;

  function widget(context) {
    var box = el("div", "lsfb");
    box.setAttribute("role", "group");
    var qid = "lsfb-q-" + (++counter);
    var question = el("p", "lsfb__q", "Câu trả lời này có giúp được bạn không?");
    question.id = qid;
    box.setAttribute("aria-labelledby", qid);
    var yes = el("button", "lsfb__btn", "👍 Có");
    var no = el("button", "lsfb__btn", "👎 Không");
    [yes, no].forEach(function (b) { b.type = "button"; b.setAttribute("aria-pressed", "false"); });
    var status = el("p", "lsfb__status");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    var form = el("form", "lsfb__more");
    form.hidden = true;
    var areaId = "lsfb-c-" + counter;
    var label = el("label", "lsfb__label", "Góp ý thêm (không bắt buộc, tối đa " + MAX_COMMENT + " ký tự):");
    label.htmlFor = areaId;
    var area = el("textarea", "lsfb__comment");
    area.id = areaId;
    area.maxLength = MAX_COMMENT;
    area.rows = 3;
    var hint = el("p", "lsfb__hint", "Xin đừng ghi số điện thoại, số CCCD hay số tài khoản.");
    var send = el("button", "lsfb__send", "Gửi góp ý");
    send.type = "submit";
    form.appendChild(label); form.appendChild(area); form.appendChild(hint); form.appendChild(send);

    var helpful = null;

    function body(extra) {
      var b = { query: context.query, helpful: helpful, session: tabId() };
      if (context.itemId) b.item_id = context.itemId;
      if (extra) b.comment = extra;
      return b;
    }

    function vote(value) {
      helpful = value;
      yes.setAttribute("aria-pressed", String(value));
      no.setAttribute("aria-pressed", String(!value));
      post("/api/feedback", body()).then(function (ok) {
        status.textContent = ok ? "Cảm ơn bạn đã góp ý!" : "Chưa gửi được góp ý, bạn thử lại sau nhé.";
      });
      form.hidden = false;
    }

    yes.addEventListener("click", function () { vote(true); });
    no.addEventListener("click", function () { vote(false); });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var comment = area.value.trim().slice(0, MAX_COMMENT);
      if (!comment || helpful === null) return;
      send.disabled = true;
      post("/api/feedback", body(comment)).then(function (ok) {
        send.disabled = false;
        if (ok) { form.hidden = true; area.value = ""; status.textContent = "Đã nhận góp ý của bạn. Cảm ơn!"; }
        else status.textContent = "Chưa gửi được góp ý, bạn thử lại sau nhé.";
      });
    });

    var buttons = el("div", "lsfb__buttons");
    buttons.appendChild(yes); buttons.appendChild(no);
    box.appendChild(question); box.appendChild(buttons); box.appendChild(form); box.appendChild(status);
    return box;
  }

  function fill(inDialog, context) {
    if (!context.query) return;
    var slots = document.querySelectorAll(".feedback-slot");
    Array.prototype.forEach.call(slots, function (slot) {
      if (Boolean(slot.closest("dialog")) !== inDialog) return;
      while (slot.firstChild) slot.removeChild(slot.firstChild);
      slot.appendChild(widget(context));
    });
  }

  // ------------------------------------------------------------------ wiring

  function styles() {
    if (document.querySelector("link[data-lsfb]")) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = "/feedback.css";
    link.setAttribute("data-lsfb", "");
    document.head.appendChild(link);
  }

  document.addEventListener("langso:results", function (ev) {
    try {
      var d = (ev && ev.detail) || {};
      last = { query: text(d.query), ids: Array.isArray(d.ids) ? d.ids.slice(0, 100) : [] };
      fill(false, { query: last.query, itemId: null });
    } catch (e) { /* never break the page */ }
  });

  document.addEventListener("langso:open", function (ev) {
    try {
      var d = (ev && ev.detail) || {};
      openItem = typeof d.id === "string" ? d.id : null;
      var query = text(d.query) || last.query;
      sendClick("open", openItem, d.rank, query);
      fill(true, { query: query, itemId: openItem });
    } catch (e) { /* never break the page */ }
  });

  document.addEventListener("click", function (ev) {
    try {
      var link = ev.target && ev.target.closest ? ev.target.closest("a[data-source]") : null;
      if (link) sendClick("source", sourceItem(link), null, last.query);
    } catch (e) { /* never break the page */ }
  }, true);

  try { styles(); } catch (e) { /* unstyled is fine */ }
})();
