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

  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
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
  var narrow = window.matchMedia && window.matchMedia("(max-width: 599px)").matches;

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
      options: { responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  });

  load("sites-chart", config.dataset.sites, function (data) {
    var rows = data.results;
    draw("sites-chart", {
      type: "bar",
      data: {
        labels: rows.map(function (r) { return r.site.name; }),
        datasets: [
          { label: L.placed, data: rows.map(function (r) { return r.orders_placed; }), backgroundColor: red },
          { label: L.completed, data: rows.map(function (r) { return r.orders_completed; }), backgroundColor: gold }
        ]
      },
      options: { responsive: true, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
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
      options: { responsive: true, aspectRatio: narrow ? 1 : 2, plugins: { legend: { position: narrow ? "bottom" : "right" } } }
    });
  }
})();
