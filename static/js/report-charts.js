/* Report charts: data from the reports API (same origin, session cookie), drawn with the
   vendored Chart.js. Tables on the page hold the same figures for readers without JS. */
(function () {
  "use strict";
  var config = document.getElementById("report-config");
  if (!config || typeof Chart === "undefined") { return; }
  var L = { placed: config.dataset.labelPlaced || "点单", completed: config.dataset.labelCompleted || "完成",
            cancelled: config.dataset.labelCancelled || "取消" };
  var red = "#b71c1c", gold = "#e0a100", green = "#1b7f3b", grey = "#8a8f98";
  var palette = ["#b71c1c", "#e0a100", "#1b7f3b", "#0d47a1", "#6a1b9a", "#00838f", "#ef6c00", "#5d4037", "#455a64", "#c2185b"];
  Chart.defaults.font.family = '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
  Chart.defaults.animation = false;  // print and screenshots get the final picture
  var narrow = window.matchMedia && window.matchMedia("(max-width: 599px)").matches;
  Chart.defaults.elements.point.radius = narrow ? 2 : 3;

  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  // A chart that keeps no aspect ratio fills its .chart-box; give the box its height.
  function boxHeight(id, px) {
    var el = document.getElementById(id);
    if (el && el.parentElement) { el.parentElement.style.height = px + "px"; }
  }
  function draw(id, cfg) {
    var el = document.getElementById(id);
    if (el) { new Chart(el, cfg); }
  }
  // Loading and error states: a chart whose data call fails says so instead of staying blank.
  function state(id, text, failed) {
    var el = document.querySelector('.chart-state[data-for="' + id + '"]');
    if (!el) { return; }
    el.textContent = text || "";
    el.classList.toggle("chart-error", !!failed);
  }
  function load(id, url, render) {
    state(id, config.dataset.labelLoading || "图表加载中…");
    return get(url).then(function (data) { render(data); state(id, ""); })
      .catch(function () { state(id, config.dataset.labelError || "图表加载失败，请刷新页面重试。", true); });
  }
  // Readable on a phone: larger type in 长辈模式, the legend under the chart, axis labels
  // thinned out rather than overlapping, and site names on their own rows (horizontal
  // bars) so a long 实践站 name is never squeezed under a 40 px column.
  var large = document.documentElement.classList.contains("large-text") ||
              document.body.classList.contains("large-text");
  Chart.defaults.font.size = large ? 16 : (narrow ? 12 : 13);
  var legend = { position: narrow ? "bottom" : "top", labels: { boxWidth: narrow ? 12 : 40 } };
  // A long site name on several short lines (Chart.js draws an array as lines).
  function wrap(name) {
    var width = large ? 6 : 7, lines = [];
    if (!narrow || name.length <= width) { return name; }
    if (/\s/.test(name)) {  // words (English): fill lines up to ~2× the width
      name.split(/\s+/).forEach(function (w) {
        var last = lines.length - 1;
        if (last >= 0 && (lines[last] + " " + w).length <= width * 2) { lines[last] += " " + w; }
        else { lines.push(w); }
      });
      return lines;
    }
    for (var i = 0; i < name.length; i += width) { lines.push(name.slice(i, i + width)); }
    return lines;
  }
  var xTicks = { autoSkip: true, maxRotation: narrow ? 60 : 0, maxTicksLimit: narrow ? 6 : 12 };

  load("trend-chart", config.dataset.timeseries, function (data) {
    var rows = data.results;
    draw("trend-chart", {
      type: "line",
      data: {
        labels: rows.map(function (r) { return r.period; }),
        datasets: [
          { label: L.placed, data: rows.map(function (r) { return r.orders_placed; }), borderColor: red, backgroundColor: red },
          { label: L.completed, data: rows.map(function (r) { return r.orders_completed; }), borderColor: green, backgroundColor: green },
          { label: L.cancelled, data: rows.map(function (r) { return r.orders_cancelled; }), borderColor: grey, backgroundColor: grey }
        ]
      },
      options: { responsive: true, aspectRatio: narrow ? 1.1 : 2, plugins: { legend: legend },
                 scales: { x: { ticks: xTicks }, y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  });

  load("sites-chart", config.dataset.sites, function (data) {
    var rows = data.results;
    draw("sites-chart", {
      type: "bar",
      data: {
        labels: rows.map(function (r) { return wrap(r.site.name); }),
        datasets: [
          { label: L.placed, data: rows.map(function (r) { return r.orders_placed; }), backgroundColor: red },
          { label: L.completed, data: rows.map(function (r) { return r.orders_completed; }), backgroundColor: gold }
        ]
      },
      options: narrow ? {
        // One row per site: the chart grows with the number of sites.
        indexAxis: "y", responsive: true, maintainAspectRatio: false, plugins: { legend: legend },
        scales: { x: { beginAtZero: true, ticks: { precision: 0, maxTicksLimit: 5 } },
                  y: { ticks: { autoSkip: false } } }
      } : { responsive: true, plugins: { legend: legend },
            scales: { x: { ticks: { autoSkip: false, maxRotation: 45 } },
                      y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    if (narrow) { boxHeight("sites-chart", Math.max(200, 60 + rows.length * (large ? 72 : 48))); }
  });

  var catEl = document.getElementById("category-data");
  if (catEl) {
    var cats = JSON.parse(catEl.textContent);
    var keys = Object.keys(cats);
    draw("category-chart", {
      type: "doughnut",
      data: {
        labels: keys.map(function (k) { return cats[k].label; }),
        datasets: [{ data: keys.map(function (k) { return cats[k].orders_placed; }), backgroundColor: palette }]
      },
      options: narrow ? {
        // The legend under the ring, every category on it: the box grows with them.
        responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } }
      } : { responsive: true, aspectRatio: 2, plugins: { legend: { position: "right" } } }
    });
    if (narrow) { boxHeight("category-chart", 280 + keys.length * (large ? 36 : 26)); }
  }
})();
