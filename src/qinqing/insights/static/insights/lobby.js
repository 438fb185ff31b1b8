/* Lobby display (大屏): cycles through its views and fetches its data again by itself.

   Nothing needs a click. A failed fetch keeps the last data on the screen and says when
   it was last updated. A display token, if the screen uses one, sits in the URL's
   fragment (#token=…), which browsers never send to the server (so it is in no access
   log); it goes with each data request in the X-Display-Token header instead. */
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-source");
  var cycleMs = 1000 * Number(body.getAttribute("data-cycle"));
  var refreshMs = 1000 * Number(body.getAttribute("data-refresh"));
  var text = JSON.parse(document.getElementById("lobby-text").textContent);
  var views = document.getElementById("views");
  var status = document.getElementById("status");
  var dots = document.getElementById("dots");
  var token = (/(?:^#|&)token=([^&]+)/.exec(location.hash) || [])[1] || "";
  var state = { data: null, updated: null, index: 0, loads: 0, charts: [] };

  // Times are the platform's (the server renders its zone, Asia/Shanghai, into
  // data-time-zone), not the zone of whatever machine drives the screen.
  var clockFormat = new Intl.DateTimeFormat(document.documentElement.lang || "zh-CN", {
    timeZone: body.getAttribute("data-time-zone") || undefined,
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
  });
  function time(d) {
    return clockFormat.format(d);
  }
  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; });
  }
  function el(tag, cls, content) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (content !== undefined) { e.textContent = content; }
    return e;
  }

  function build(data) {
    state.charts.forEach(function (c) { c.dispose(); });
    state.charts = [];
    views.textContent = "";
    dots.textContent = "";
    var head = el("section", "view", undefined);
    head.setAttribute("data-view", "headline");
    head.appendChild(el("h2", "", text.headline));
    var tiles = el("ul", "tiles");
    data.headline.forEach(function (f) {
      var li = el("li", "tile");
      li.setAttribute("data-metric", f.name);
      li.appendChild(el("span", "label", f.label));
      li.appendChild(el("strong", "", f.display));
      if (f.denominator !== null && f.denominator !== undefined) {
        li.appendChild(el("span", "ratio", f.numerator + " / " + f.denominator));
      }
      tiles.appendChild(li);
    });
    head.appendChild(tiles);
    views.appendChild(head);
    data.panels.forEach(function (panel) {
      if (!panel.lobby) { return; }
      var v = el("section", "view");
      v.setAttribute("data-view", panel.id);
      v.appendChild(el("h2", "", panel.title));
      var chart = el("div", "chart");
      chart.setAttribute("role", "img");
      chart.setAttribute("aria-label", panel.title);
      v.appendChild(chart);
      if (panel.note) { v.appendChild(el("p", "note", panel.note)); }
      views.appendChild(v);
      if (panel.rows.length && (panel.plot || []).length) {
        var c = window.QinqingCharts.draw(chart, panel, { theme: "dark", big: true, still: true });
        if (c) { state.charts.push(c); }
      } else {
        chart.appendChild(el("p", "empty", text.empty));
      }
    });
    var count = views.children.length;
    for (var i = 0; i < count; i++) { dots.appendChild(el("span", "dot")); }
    if (state.index >= count) { state.index = 0; }
    show(state.index);
    document.getElementById("scope").textContent = data.scope.label;
  }

  function show(i) {
    var all = views.children;
    if (!all.length) { return; }
    state.index = i % all.length;
    for (var k = 0; k < all.length; k++) {
      var on = k === state.index;
      all[k].classList.toggle("active", on);
      all[k].setAttribute("aria-hidden", on ? "false" : "true");
      if (dots.children[k]) { dots.children[k].classList.toggle("on", on); }
    }
    body.setAttribute("data-view", all[state.index].getAttribute("data-view"));
  }

  function report(ok, when) {
    status.setAttribute("data-state", ok ? "ok" : "stale");
    status.textContent = ok
      ? fmt(text.updated, { time: time(state.updated) })
      : state.updated
        ? fmt(text.stale, { failed: time(when), time: time(state.updated) })
        : fmt(text.failed, { failed: time(when) });
  }

  function load() {
    var headers = { "Accept": "application/json" };
    if (token) { headers["X-Display-Token"] = decodeURIComponent(token); }
    return fetch(url, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (answer) {
        if (!answer.ok) { throw new Error("HTTP " + answer.status); }
        return answer.json();
      })
      .then(function (data) {
        state.data = data;
        state.updated = new Date();
        state.loads += 1;
        body.setAttribute("data-loads", String(state.loads));
        build(data);
        report(true);
      })
      .catch(function () { report(false, new Date()); });
  }

  function tick() {
    var now = new Date();
    document.getElementById("clock").textContent = time(now);
  }

  // Nobody needs to touch it, but whoever stands at the screen may step through the views
  // with the arrow keys; the cycle goes on from there.
  document.addEventListener("keydown", function (e) {
    if (!state.data || !views.children.length) { return; }
    if (e.key === "ArrowRight") { show(state.index + 1); restart(); }
    if (e.key === "ArrowLeft") { show(state.index - 1 + views.children.length); restart(); }
  });
  var cycler = null;
  function restart() {
    clearInterval(cycler);
    cycler = setInterval(function () { if (state.data) { show(state.index + 1); } }, cycleMs);
  }

  window.addEventListener("resize", function () {
    state.charts.forEach(function (c) { c.resize(); });
  });
  load();
  tick();
  setInterval(tick, 1000);
  setInterval(load, refreshMs);
  restart();
})();
