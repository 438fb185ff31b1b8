/* Qinqing dashboard charts: draws every panel of the page's data with Apache ECharts.
   The same numbers are in a table under each chart (rendered by the server), so a reader
   without the script, a screen reader or an auditor loses nothing. Shared by the lobby. */
(function (global) {
  "use strict";
  var FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif';
  var PALETTE = ["#9b1c1c", "#0b4f9c", "#146c2e", "#8a4b00", "#5b3a99", "#006d77", "#b5179e"];
  // On the lobby's dark background the page colours are too dim to read across a hall.
  var BRIGHT = ["#ff7b72", "#58a6ff", "#3fb950", "#f2cc60", "#d2a8ff", "#56d4dd", "#ff9bce"];

  function num(v) { var n = Number(v); return isFinite(n) ? n : null; }

  function option(panel, opts) {
    opts = opts || {};
    var big = opts.big ? 1.8 : 1;
    var text = { fontFamily: FONT, fontSize: Math.round(12 * big) };
    var rows = panel.limit ? panel.rows.slice(0, panel.limit) : panel.rows;
    var cats = rows.map(function (r) { return String(r[0]); });
    var series = (panel.plot || []).map(function (i) {
      return {
        name: panel.columns[i], type: panel.chart === "line" ? "line" : "bar",
        data: rows.map(function (r) { return num(r[i]); }),
        smooth: false, showSymbol: rows.length <= 40,
        lineStyle: { width: opts.big ? 4 : 2 }, symbolSize: opts.big ? 8 : 4,
        label: { show: panel.chart === "hbar", position: "right", fontFamily: FONT,
                 fontSize: text.fontSize }
      };
    });
    var horizontal = panel.chart === "hbar";
    var catAxis = { type: "category", data: horizontal ? cats.slice().reverse() : cats,
                    axisLabel: { fontFamily: FONT, fontSize: text.fontSize, hideOverlap: true } };
    if (horizontal) {
      series.forEach(function (s) { s.data = s.data.slice().reverse(); });
    }
    var valAxis = { type: "value", minInterval: 1,
                    axisLabel: { fontFamily: FONT, fontSize: text.fontSize } };
    return {
      animation: !opts.still,
      color: opts.theme === "dark" ? BRIGHT : PALETTE,
      textStyle: text,
      backgroundColor: "transparent",
      // Drawn on the canvas: ECharts' HTML tooltip writes style attributes, which the
      // Content-Security-Policy (style-src 'self') refuses.
      tooltip: { trigger: "axis", textStyle: text, renderMode: "richText" },
      legend: { show: series.length > 1, top: 0, textStyle: text },
      grid: { left: 8, right: horizontal ? 48 : 16, top: series.length > 1 ? 32 * big : 12,
              bottom: 8, containLabel: true },
      xAxis: horizontal ? valAxis : catAxis,
      yAxis: horizontal ? catAxis : valAxis,
      series: series
    };
  }

  /* Draw `panel` into `el`; returns the chart (or null without ECharts or data). */
  function draw(el, panel, opts) {
    if (!global.echarts || !el) { return null; }
    var chart = global.echarts.getInstanceByDom(el) ||
      global.echarts.init(el, opts && opts.theme ? opts.theme : null, { renderer: "canvas" });
    chart.setOption(option(panel, opts), true);
    el.setAttribute("data-rendered", "true");
    return chart;
  }

  global.QinqingCharts = { draw: draw, option: option };
})(window);
