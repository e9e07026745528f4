/* spotdiff report viewer: plain JavaScript, no library, works from file://.
 *
 * Data: window.SPOTDIFF_REPORT (data.js), rows {n name, s status diff|same|error, a/b image URLs,
 * h heatmap URL, w/ht image-1 size, t transform (9 numbers, image-2 -> image-1 pixels),
 * r regions [x1, y1, x2, y2, score, kind, area], e error, q query, c captions, src source,
 * pa/pb the image paths as the run wrote them}.
 * Every view draws in image-1 pixels: image 2 is shown aligned (CSS matrix3d of the transform),
 * so one zoom / pan state moves all views together.
 */
(function () {
  "use strict";
  var D = window.SPOTDIFF_REPORT;
  var $ = function (id) { return document.getElementById(id); };
  if (!D || !D.rows) {
    $("app").innerHTML = '<p class="empty">data.js is missing or broken: rebuild the report ' +
      "with spotdiff report.</p>";
    return;
  }
  var ROWS = D.rows;
  var ROW_H = 56;
  var MODES = ["side", "slider", "onion", "heat"];
  var COLOURS = { added: "#00be46", removed: "#e61919", changed: "#ff8c00" };
  var SVGNS = "http://www.w3.org/2000/svg";
  var S = {
    status: "all", search: "", kind: "", minScore: 0, sort: "name",
    view: [], pos: -1, mode: "side", boxes: true, split: 50, opacity: 50,
    zoom: { s: 1, x: 0, y: 0 }
  };

  ROWS.forEach(function (row, i) {
    row.i = i;
    var best = -1, kinds = {};
    (row.r || []).forEach(function (r) {
      if (r[4] !== null && r[4] > best) best = r[4];
      kinds[r[5]] = true;
    });
    if (best < 0 && row.r && row.r.length) best = 1;  /* boxes without scores (imgdiff) */
    row.best = best;
    row.kinds = kinds;
    row.text = [row.n, row.pa, row.pb, row.q, row.e].concat(row.c || []).join(" ").toLowerCase();
  });

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function fmt(v, digits) { return v === null || v === undefined ? "-" : v.toFixed(digits); }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function decode(url) { try { return decodeURIComponent(url); } catch (e) { return url; } }

  /* ------------------------------------------------------------------ summary */
  function seconds(v) {
    if (v === null || v === undefined) return "-";
    if (v < 60) return v.toFixed(1) + " s";
    return Math.floor(v / 60) + " min " + Math.round(v % 60) + " s";
  }
  function summary() {
    var c = D.counts;
    var items = [["pairs", c.pairs, ""], ["with differences", c.diff, "diff"],
      ["unchanged", c.same, "same"], ["errors", c.error, "error"],
      ["run time", seconds(D.runSeconds), ""], ["generated", D.generated, ""]];
    var box = $("summary");
    items.forEach(function (it) {
      var div = el("div", it[2]);
      div.appendChild(el("dt", null, it[0]));
      div.appendChild(el("dd", null, String(it[1])));
      box.appendChild(div);
    });
  }

  /* ------------------------------------------------------------------ list */
  function applyFilters(keep) {
    var current = S.pos >= 0 ? S.view[S.pos] : -1;
    var q = S.search.toLowerCase();
    S.view = [];
    ROWS.forEach(function (row) {
      if (S.status !== "all" && row.s !== S.status) return;
      if (S.kind && !row.kinds[S.kind]) return;
      if (S.minScore > 0 && row.best < S.minScore) return;
      if (q && row.text.indexOf(q) < 0) return;
      S.view.push(row.i);
    });
    var by = {
      name: function (a, b) { return ROWS[a].n < ROWS[b].n ? -1 : ROWS[a].n > ROWS[b].n ? 1 : a - b; },
      score: function (a, b) { return ROWS[b].best - ROWS[a].best || a - b; },
      regions: function (a, b) { return ROWS[b].r.length - ROWS[a].r.length || a - b; },
      status: function (a, b) {
        var o = { error: 0, diff: 1, same: 2 };
        return o[ROWS[a].s] - o[ROWS[b].s] || a - b;
      }
    }[S.sort];
    S.view.sort(by);
    $("count").textContent = S.view.length === ROWS.length ? plural(ROWS.length, "pair") :
      S.view.length + " of " + plural(ROWS.length, "pair");
    $("list-inner").style.height = S.view.length * ROW_H + "px";
    rendered = {};
    $("list-inner").textContent = "";
    var pos = keep ? S.view.indexOf(current) : -1;
    if (pos < 0 && S.view.length) pos = 0;
    select(pos, true);
    renderList();
  }

  var rendered = {};
  function rowMeta(row) {
    if (row.s === "error") return row.e || "error";
    var parts = [row.r.length ? plural(row.r.length, "region") : "no differences"];
    if (row.best >= 0 && row.r.length && row.r[0][4] !== null) parts.push("max " + row.best.toFixed(2));
    var kinds = Object.keys(row.kinds);
    if (kinds.length) parts.push(kinds.join(", "));
    if (row.q) parts.push("\u201c" + row.q + "\u201d");
    return parts.join(" \u00b7 ");
  }
  function listRow(pos) {
    var row = ROWS[S.view[pos]];
    var div = el("div", "row" + (pos === S.pos ? " selected" : ""));
    div.style.top = pos * ROW_H + "px";
    div.dataset.pos = pos;
    div.dataset.name = row.n;
    div.setAttribute("role", "option");
    var src = row.b || row.a;
    if (src) {
      var img = el("img", "thumb");
      img.loading = "lazy";
      img.decoding = "async";
      img.alt = "";
      img.onerror = function () { img.replaceWith(el("div", "thumb none", "no image")); };
      img.src = src;
      div.appendChild(img);
    } else {
      div.appendChild(el("div", "thumb none", "no image"));
    }
    var text = el("div", "text");
    var name = el("div", "name");
    name.appendChild(el("span", "badge " + row.s,
      { diff: "different", same: "unchanged", error: "error" }[row.s]));
    name.appendChild(document.createTextNode(row.n));
    name.title = row.n;
    text.appendChild(name);
    text.appendChild(el("div", "meta", rowMeta(row)));
    div.appendChild(text);
    div.addEventListener("click", function () { select(pos); });
    return div;
  }
  function renderList() {
    var list = $("list"), inner = $("list-inner");
    var first = Math.max(0, Math.floor(list.scrollTop / ROW_H) - 5);
    var last = Math.min(S.view.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW_H) + 5);
    Object.keys(rendered).forEach(function (k) {
      if (k < first || k >= last) { inner.removeChild(rendered[k]); delete rendered[k]; }
    });
    for (var p = first; p < last; p++) {
      if (!rendered[p]) { rendered[p] = listRow(p); inner.appendChild(rendered[p]); }
      rendered[p].classList.toggle("selected", p === S.pos);
    }
    if (!S.view.length) {
      inner.appendChild(el("div", "empty", "No pair matches the filters."));
    }
  }
  function scrollToPos(pos) {
    var list = $("list"), top = pos * ROW_H;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + ROW_H > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_H - list.clientHeight;
  }
  function select(pos, quiet) {
    S.pos = pos;
    if (pos >= 0) {
      scrollToPos(pos);
      if (history.replaceState) history.replaceState(null, "", "#pair=" + S.view[pos]);
    }
    renderList();
    showPair(true);
    if (!quiet) $("list").focus({ preventScroll: true });
  }
  function step(delta) {
    if (!S.view.length) return;
    select(Math.max(0, Math.min(S.view.length - 1, S.pos + delta)));
  }

  /* ------------------------------------------------------------------ views */
  function current() { return S.pos >= 0 ? ROWS[S.view[S.pos]] : null; }
  function matrix3d(t) {
    return "matrix3d(" + [t[0], t[3], 0, t[6], t[1], t[4], 0, t[7], 0, 0, 1, 0, t[2], t[5], 0, t[8]]
      .join(",") + ")";
  }
  function image(row, url, which, label) {
    var img = el("img");
    img.alt = label;
    img.draggable = false;
    img.width = row.w;
    img.height = row.ht;
    img.style.width = row.w + "px";
    img.style.height = row.ht + "px";
    if (which === 2 && row.t) img.style.transform = matrix3d(row.t);
    img.onerror = function () {
      var miss = el("div", "missing", label + " not found: " + decode(url));
      img.parentNode.parentNode.appendChild(miss);
      img.remove();
    };
    img.src = url;
    return img;
  }
  function canvas(row, url, which, label) {
    var c = el("div", "canvas");
    c.style.width = row.w + "px";
    c.style.height = row.ht + "px";
    if (url) c.appendChild(image(row, url, which, label));
    return c;
  }
  function boxesSvg(row) {
    var svg = document.createElementNS(SVGNS, "svg");
    svg.setAttribute("width", row.w);
    svg.setAttribute("height", row.ht);
    svg.setAttribute("class", "boxes");
    row.r.forEach(function (r, k) {
      var colour = COLOURS[r[5]] || COLOURS.changed;
      var g = document.createElementNS(SVGNS, "g");
      g.setAttribute("data-region", k + 1);
      var rect = document.createElementNS(SVGNS, "rect");
      rect.setAttribute("class", "box");
      rect.setAttribute("x", r[0]); rect.setAttribute("y", r[1]);
      rect.setAttribute("width", Math.max(1, r[2] - r[0]));
      rect.setAttribute("height", Math.max(1, r[3] - r[1]));
      rect.setAttribute("stroke", colour);
      rect.setAttribute("vector-effect", "non-scaling-stroke");
      var bg = document.createElementNS(SVGNS, "rect");
      bg.setAttribute("class", "label-bg");
      bg.setAttribute("fill", colour);
      var text = document.createElementNS(SVGNS, "text");
      text.setAttribute("class", "label");
      text.textContent = String(k + 1);
      var title = document.createElementNS(SVGNS, "title");
      title.textContent = "#" + (k + 1) + " " + r[5] + (r[4] === null ? "" : " score " + r[4].toFixed(3));
      g.appendChild(rect); g.appendChild(bg); g.appendChild(text); g.appendChild(title);
      svg.appendChild(g);
    });
    return svg;
  }
  function sizeLabels() {
    var s = S.zoom.s, f = 13 / s;
    document.querySelectorAll("#stage svg.boxes g").forEach(function (g) {
      var rect = g.children[0], bg = g.children[1], text = g.children[2];
      var x = +rect.getAttribute("x"), y = +rect.getAttribute("y");
      var w = (String(text.textContent).length * 0.62 + 0.6) * f, h = 1.35 * f;
      var top = y - h >= 0 ? y - h : y;
      bg.setAttribute("x", x); bg.setAttribute("y", top);
      bg.setAttribute("width", w); bg.setAttribute("height", h);
      text.setAttribute("x", x + 0.3 * f); text.setAttribute("y", top + 1.02 * f);
      text.setAttribute("font-size", f);
    });
  }
  function viewport(row, layers, corners) {
    var vp = el("div", "viewport");
    layers.forEach(function (c) {
      var layer = el("div", "layer");
      layer.appendChild(c);
      vp.appendChild(layer);
    });
    if (S.boxes && row.r.length) {
      var top = el("div", "layer");
      top.style.pointerEvents = "none";
      var c = canvas(row, null);
      c.appendChild(boxesSvg(row));
      top.appendChild(c);
      vp.appendChild(top);
    }
    (corners || []).forEach(function (text, k) {
      if (text) vp.appendChild(el("div", "corner " + (k ? "right" : "left"), text));
    });
    bindPanZoom(vp);
    return vp;
  }
  function pane(label, vp) {
    var p = el("div", "pane");
    p.appendChild(el("div", "pane-label", label));
    p.appendChild(vp);
    return p;
  }
  function showPair(refit) {
    var row = current(), stage = $("stage");
    stage.textContent = "";
    $("opacity-label").hidden = S.mode !== "onion";
    document.querySelectorAll("#modes button").forEach(function (b) {
      b.classList.toggle("on", b.dataset.mode === S.mode);
    });
    if (!row) { $("pair-name").textContent = ""; $("info").textContent = ""; return; }
    $("pair-name").textContent = row.n;
    $("pair-name").title = row.n;
    info(row);
    if (row.s === "error" && !(row.a && row.b)) {
      stage.appendChild(el("div", "missing", "This row failed: see the message below."));
      return;
    }
    if (!row.w || !row.ht) {  /* size not in the record (imgdiff rows): read it from image 1 */
      var probe = new Image();
      probe.onload = function () {
        row.w = probe.naturalWidth; row.ht = probe.naturalHeight;
        if (current() === row) showPair(true);
      };
      probe.onerror = function () {
        stage.appendChild(el("div", "missing", "image 1 not found: " + decode(row.a || "")));
      };
      probe.src = row.a || row.b;
      return;
    }
    var aligned = row.t ? "image 2 aligned" : "";
    if (S.mode === "side") {
      stage.appendChild(pane("image 1 \u00b7 " + (row.pa || "-"),
        viewport(row, [canvas(row, row.a, 1, "image 1")])));
      stage.appendChild(pane("image 2" + (aligned ? " (aligned)" : "") + " \u00b7 " + (row.pb || "-"),
        viewport(row, [canvas(row, row.b, 2, "image 2")])));
    } else if (S.mode === "slider" || S.mode === "onion") {
      var one = canvas(row, row.a, 1, "image 1"), two = canvas(row, row.b, 2, "image 2");
      var vp = viewport(row, [one, two], ["image 1", "image 2" + (aligned ? " (aligned)" : "")]);
      var top = two.parentNode;
      top.classList.add("top-image");
      if (S.mode === "slider") {
        var split = el("div", "split");
        split.appendChild(el("div", "knob", "\u2194"));
        split.setAttribute("role", "slider");
        split.setAttribute("aria-label", "split between image 1 and image 2");
        vp.appendChild(split);
        bindSplit(vp, split);
      }
      stage.appendChild(pane(S.mode === "slider" ? "slider: image 1 left, image 2 right" :
        "onion skin: image 2 over image 1", vp));
      applyOverlay();
    } else {
      var layers = row.h ? [canvas(row, row.h, 1, "heatmap")] : [];
      var hv = viewport(row, layers);
      if (!row.h) hv.appendChild(el("div", "missing", row.s === "error" ? "This pair failed: no heatmap." :
        "No heatmap for this pair: spotdiff find --report writes them, spotdiff report --heatmaps computes them."));
      stage.appendChild(pane("difference heatmap over image 1 (dark: same, bright: different)", hv));
    }
    if (refit) fit(); else applyZoom();
  }
  function applyOverlay() {
    var top = document.querySelector("#stage .top-image");
    if (!top) return;
    var split = document.querySelector("#stage .split");
    if (S.mode === "slider") {
      top.style.clipPath = "inset(0 0 0 " + S.split + "%)";
      top.style.opacity = "";
      if (split) { split.style.left = S.split + "%"; split.setAttribute("aria-valuenow", Math.round(S.split)); }
    } else {
      top.style.clipPath = "";
      top.style.opacity = S.opacity / 100;
    }
  }
  function bindSplit(vp, split) {
    split.addEventListener("pointerdown", function (ev) {
      ev.stopPropagation();
      ev.preventDefault();
      split.setPointerCapture(ev.pointerId);
      function move(e) {
        var rect = vp.getBoundingClientRect();
        S.split = Math.max(0, Math.min(100, (e.clientX - rect.left) / rect.width * 100));
        applyOverlay();
      }
      function up() {
        split.removeEventListener("pointermove", move);
        split.removeEventListener("pointerup", up);
      }
      split.addEventListener("pointermove", move);
      split.addEventListener("pointerup", up);
    });
  }

  /* ------------------------------------------------------------------ zoom and pan */
  function applyZoom() {
    var z = S.zoom, t = "translate(" + z.x + "px," + z.y + "px) scale(" + z.s + ")";
    document.querySelectorAll("#stage .canvas").forEach(function (c) {
      c.style.transform = t;
      c.classList.toggle("pixelated", z.s >= 3);
    });
    $("zoom-level").textContent = Math.round(z.s * 100) + "%";
    sizeLabels();
  }
  function fitTo(x1, y1, x2, y2, pad) {
    var vp = document.querySelector("#stage .viewport");
    if (!vp) return;
    var w = vp.clientWidth, h = vp.clientHeight, bw = x2 - x1, bh = y2 - y1;
    var s = Math.min(w / (bw * pad), h / (bh * pad));
    S.zoom = { s: s, x: w / 2 - (x1 + bw / 2) * s, y: h / 2 - (y1 + bh / 2) * s };
    applyZoom();
  }
  function fit() {
    var row = current();
    if (row && row.w) fitTo(0, 0, row.w, row.ht, 1.0); else applyZoom();
  }
  function zoomAt(factor, cx, cy) {
    var z = S.zoom, s = Math.max(0.02, Math.min(64, z.s * factor));
    if (cx === undefined) {
      var vp = document.querySelector("#stage .viewport");
      cx = vp ? vp.clientWidth / 2 : 0; cy = vp ? vp.clientHeight / 2 : 0;
    }
    S.zoom = { s: s, x: cx - (cx - z.x) * s / z.s, y: cy - (cy - z.y) * s / z.s };
    applyZoom();
  }
  function bindPanZoom(vp) {
    vp.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var rect = vp.getBoundingClientRect();
      zoomAt(Math.pow(1.0015, -ev.deltaY), ev.clientX - rect.left, ev.clientY - rect.top);
    }, { passive: false });
    vp.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0) return;
      var x0 = ev.clientX, y0 = ev.clientY, z0 = { x: S.zoom.x, y: S.zoom.y };
      vp.setPointerCapture(ev.pointerId);
      vp.classList.add("dragging");
      function move(e) {
        S.zoom.x = z0.x + e.clientX - x0;
        S.zoom.y = z0.y + e.clientY - y0;
        applyZoom();
      }
      function up() {
        vp.classList.remove("dragging");
        vp.removeEventListener("pointermove", move);
        vp.removeEventListener("pointerup", up);
      }
      vp.addEventListener("pointermove", move);
      vp.addEventListener("pointerup", up);
    });
    vp.addEventListener("dblclick", fit);
  }

  /* ------------------------------------------------------------------ the pair's details */
  function info(row) {
    var box = $("info");
    box.textContent = "";
    if (row.e) {
      var err = el("div", "error-box");
      err.setAttribute("role", "alert");
      err.textContent = "Error: " + row.e;
      box.appendChild(err);
    }
    if (row.q) box.appendChild(el("p", null, "Query: \u201c" + row.q + "\u201d"));
    if (row.c) box.appendChild(el("p", null, "Captions: \u201c" + row.c[0] + "\u201d / \u201c" + row.c[1] + "\u201d"));
    if (row.s !== "error") {
      if (!row.r.length) box.appendChild(el("p", null, "No differences."));
      else {
        var table = el("table", "regions");
        var head = el("tr");
        ["#", "kind", "score", "area", "x1", "y1", "x2", "y2"].forEach(function (h) { head.appendChild(el("th", null, h)); });
        table.appendChild(head);
        row.r.forEach(function (r, k) {
          var tr = el("tr", "region");
          tr.title = "zoom to region " + (k + 1);
          var cells = [String(k + 1), null, fmt(r[4], 3), r[6] === null ? "-" : String(r[6]),
            String(r[0]), String(r[1]), String(r[2]), String(r[3])];
          cells.forEach(function (c, j) {
            var td = j === 1 ? el("td", "kind " + r[5], r[5]) : el("td", null, c);
            tr.appendChild(td);
          });
          tr.addEventListener("click", function () { fitTo(r[0], r[1], r[2], r[3], 3); });
          table.appendChild(tr);
        });
        box.appendChild(table);
      }
    }
    var paths = el("p", "paths");
    paths.textContent = "image 1: " + (row.pa || "-") + "  \u00b7  image 2: " + (row.pb || "-") +
      (row.src ? "  \u00b7  from " + row.src : "");
    box.appendChild(paths);
  }

  /* ------------------------------------------------------------------ controls */
  function setMode(mode) { S.mode = mode; showPair(true); }
  function bind() {
    document.querySelectorAll("#status-filter button").forEach(function (b) {
      b.addEventListener("click", function () {
        S.status = b.dataset.status;
        document.querySelectorAll("#status-filter button").forEach(function (o) { o.classList.toggle("on", o === b); });
        applyFilters(true);
      });
    });
    $("search").addEventListener("input", function () { S.search = this.value; applyFilters(true); });
    $("kind-filter").addEventListener("change", function () { S.kind = this.value; applyFilters(true); });
    $("score-filter").addEventListener("input", function () { S.minScore = +this.value || 0; applyFilters(true); });
    $("sort").addEventListener("change", function () { S.sort = this.value; applyFilters(true); });
    $("list").addEventListener("scroll", renderList);
    document.querySelectorAll("#modes button").forEach(function (b) {
      b.addEventListener("click", function () { setMode(b.dataset.mode); });
    });
    $("boxes").addEventListener("change", function () { S.boxes = this.checked; showPair(false); });
    $("opacity").addEventListener("input", function () { S.opacity = +this.value; applyOverlay(); });
    document.querySelectorAll("#zoom button").forEach(function (b) {
      b.addEventListener("click", function () {
        if (b.dataset.zoom === "fit") fit(); else zoomAt(b.dataset.zoom === "in" ? 1.5 : 1 / 1.5);
      });
    });
    $("help-button").addEventListener("click", function () { $("help").hidden = !$("help").hidden; });
    window.addEventListener("resize", function () { renderList(); fit(); });
    document.addEventListener("keydown", key);
  }
  function key(ev) {
    var tag = ev.target.tagName;
    if (ev.key === "Escape") { $("help").hidden = true; if (tag === "INPUT") ev.target.blur(); return; }
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var k = ev.key, handled = true;
    if (k === "j" || k === "n" || k === "ArrowDown") step(1);
    else if (k === "k" || k === "p" || k === "ArrowUp") step(-1);
    else if (k >= "1" && k <= "4") setMode(MODES[+k - 1]);
    else if (k === "v") setMode(MODES[(MODES.indexOf(S.mode) + 1) % MODES.length]);
    else if (k === "b") { S.boxes = !S.boxes; $("boxes").checked = S.boxes; showPair(false); }
    else if (k === "ArrowLeft" || k === "ArrowRight") {
      var d = k === "ArrowLeft" ? -5 : 5;
      if (S.mode === "slider") S.split = Math.max(0, Math.min(100, S.split + d));
      else if (S.mode === "onion") { S.opacity = Math.max(0, Math.min(100, S.opacity + d)); $("opacity").value = S.opacity; }
      applyOverlay();
    }
    else if (k === "+" || k === "=") zoomAt(1.5);
    else if (k === "-") zoomAt(1 / 1.5);
    else if (k === "0") fit();
    else if (k === "/") $("search").focus();
    else if (k === "?") $("help").hidden = !$("help").hidden;
    else handled = false;
    if (handled) ev.preventDefault();
  }

  summary();
  bind();
  var m = /pair=(\d+)/.exec(location.hash);
  applyFilters(false);
  if (m && +m[1] < ROWS.length) {
    var at = S.view.indexOf(+m[1]);
    if (at >= 0) select(at, true);
  }
  window.spotdiffReport = { state: S, rows: ROWS, ready: true };
}());
