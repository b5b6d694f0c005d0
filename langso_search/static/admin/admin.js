/* Làng số – the editors' report page. It carries no secret and no data: it asks for the admin token,
 * keeps it in this tab's sessionStorage, and fetches /api/admin/report with it. Every value from the
 * report is put in the page as text (never as HTML): queries and comments are typed by the public. */
(function () {
  "use strict";

  var KEY = "langso-admin-token";
  var $ = function (id) { return document.getElementById(id); };
  var token = null;
  try { token = sessionStorage.getItem(KEY); } catch (e) { token = null; }

  function node(tag, text, cls) {
    var n = document.createElement(tag);
    if (text !== undefined && text !== null) n.textContent = String(text);
    if (cls) n.className = cls;
    return n;
  }

  function say(message, isError) {
    var s = $("status");
    s.textContent = message || "";
    s.className = isError ? "error" : "";
  }

  function table(target, headers, rows) {
    var box = $(target);
    while (box.firstChild) box.removeChild(box.firstChild);
    if (!rows.length) { box.appendChild(node("p", "Không có / none", "empty")); return; }
    var t = node("table");
    var head = node("tr");
    headers.forEach(function (h) { head.appendChild(node("th", h)); });
    t.appendChild(head);
    rows.forEach(function (row) {
      var tr = node("tr");
      row.forEach(function (cell) { tr.appendChild(node("td", cell, typeof cell === "number" ? "n" : "")); });
      t.appendChild(tr);
    });
    box.appendChild(t);
  }

  function chart(days) {
    var box = $("chart");
    while (box.firstChild) box.removeChild(box.firstChild);
    var ns = "http://www.w3.org/2000/svg";
    var w = 800, h = 180, pad = 20;
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    svg.setAttribute("role", "img");
    var total = days.reduce(function (a, d) { return a + d.searches; }, 0);
    svg.setAttribute("aria-label", "Số lượt tìm mỗi ngày, tổng " + total);
    var top = Math.max(1, Math.max.apply(null, days.map(function (d) { return d.searches; })));
    var step = (w - 2 * pad) / Math.max(1, days.length);
    days.forEach(function (d, i) {
      [["bar-all", d.searches], ["bar-miss", d.no_match]].forEach(function (pair) {
        var r = document.createElementNS(ns, "rect");
        var bh = (h - 2 * pad) * pair[1] / top;
        r.setAttribute("x", String(pad + i * step + 1));
        r.setAttribute("y", String(h - pad - bh));
        r.setAttribute("width", String(Math.max(1, step - 2)));
        r.setAttribute("height", String(bh));
        r.setAttribute("class", pair[0]);
        var tip = document.createElementNS(ns, "title");
        tip.textContent = d.date + ": " + d.searches + " lượt, " + d.no_match + " không thấy";
        r.appendChild(tip);
        svg.appendChild(r);
      });
    });
    var label = document.createElementNS(ns, "text");
    label.setAttribute("x", String(pad)); label.setAttribute("y", "14"); label.setAttribute("font-size", "12");
    label.textContent = "max " + top + " / ngày (đỏ: không thấy)";
    svg.appendChild(label);
    box.appendChild(svg);
  }

  function render(r) {
    var t = r.totals;
    var totals = $("totals");
    while (totals.firstChild) totals.removeChild(totals.firstChild);
    [["Lượt tìm / searches", t.searches], ["Không thấy / no match", t.no_match], ["Gợi ý / recommends", t.recommends],
     ["Mở kết quả / opens", t.opens], ["👍 có giúp / helpful", t.helpful], ["👎 không giúp / unhelpful", t.unhelpful], ["p50 ms", t.latency_p50_ms]]
      .forEach(function (pair) {
        var d = node("div"); d.appendChild(node("b", pair[1] === null ? "–" : pair[1])); d.appendChild(node("span", pair[0]));
        totals.appendChild(d);
      });
    chart(r.per_day);
    table("top", ["Câu tìm / query", "Lượt / searches", "Không thấy / no match", "Mở / opened", "👎 không giúp"], r.top_queries.map(function (q) {
      return [q.query, q.searches, q.no_match, q.clicks, q.down];
    }));
    table("clusters", ["Cách hỏi tiêu biểu / typical wording", "Lượt", "Cách gõ khác / other wordings"],
      r.no_match_clusters.map(function (c) { return [c.typical, c.size, c.examples.slice(1).join(" | ")]; }));
    table("unhelpful", ["Câu tìm / query", "👎 không giúp", "👍 có giúp"], r.unhelpful_queries.map(function (q) { return [q.query, q.down, q.up]; }));
    table("noclick", ["Câu tìm / query", "Lượt"], r.no_click_queries.map(function (q) { return [q.query, q.searches]; }));
    table("opened", ["Mục / item", "id", "Lượt mở"], r.most_opened.map(function (o) { return [o.title || o.item_id, o.item_id, o.opens]; }));
    table("comments", ["Lúc / at", "Giúp được? / helpful?", "Câu tìm / query", "Góp ý / comment"], r.comments.map(function (c) {
      return [c.at, c.helpful ? "👍 có" : "👎 không", c.query, c.comment];
    }));
    var rec = r.recorder || {};
    table("recorder", ["Trạng thái", "Đã ghi", "Bỏ (hàng đầy)", "Mất (lỗi CSDL)", "Lỗi gần nhất"],
      [[rec.state, rec.written, rec.dropped, rec.lost, rec.last_error || "–"]]);
  }

  function authed(path) {
    return fetch(path, { headers: { Authorization: "Bearer " + token }, cache: "no-store" }).then(function (res) {
      if (res.status === 401 || res.status === 403) { forget(); throw new Error("Mã quản trị không đúng / wrong token"); }
      if (!res.ok) {
        return res.json().then(function (b) { throw new Error(b.error ? b.error.message_vi + " / " + b.error.message_en : res.status); },
          function () { throw new Error("HTTP " + res.status); });
      }
      return res;
    });
  }

  function load() {
    say("Đang tải… / loading…");
    authed("/api/admin/report?days=" + encodeURIComponent($("days").value))
      .then(function (res) { return res.json(); })
      .then(function (r) { render(r); $("report").hidden = false; $("login").hidden = true; $("logout").hidden = false; say(""); })
      .catch(function (e) { say(e.message, true); });
  }

  function forget() {
    token = null;
    try { sessionStorage.removeItem(KEY); } catch (e) { /* memory only */ }
    $("report").hidden = true; $("login").hidden = false; $("logout").hidden = true;
  }

  $("login").addEventListener("submit", function (ev) {
    ev.preventDefault();
    token = $("token").value.trim();
    $("token").value = "";
    try { sessionStorage.setItem(KEY, token); } catch (e) { /* memory only */ }
    load();
  });
  $("logout").addEventListener("click", function () { forget(); say("Đã thoát / signed out"); });
  $("days").addEventListener("change", load);
  $("export").addEventListener("click", function () {
    authed("/api/admin/export?days=" + encodeURIComponent($("days").value))
      .then(function (res) { return res.blob(); })
      .then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = "langso-queries.jsonl";
        document.body.appendChild(a); a.click(); a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
      })
      .catch(function (e) { say(e.message, true); });
  });

  if (token) load();
})();
