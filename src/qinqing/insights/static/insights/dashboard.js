/* The dashboard page: one chart per panel, from the JSON the server put in the page. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || !window.QinqingCharts) { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];
  data.panels.forEach(function (panel) {
    var el = document.getElementById("chart-" + panel.id);
    if (el && panel.rows.length && (panel.plot || []).length) {
      charts.push(window.QinqingCharts.draw(el, panel));
    } else if (el) {
      el.hidden = true;
    }
  });
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      charts.forEach(function (c) { if (c) { c.resize(); } });
    }, 150);
  });
})();
