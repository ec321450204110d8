/* The dashboard's charts: data from the json_script block, every figure drills
   down to the list behind it (visits or actions, with query parameters). */
(function () {
  "use strict";
  var root = document.getElementById("insights-dashboard");
  var source = document.getElementById("insights-chart-data");
  if (!root || !source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var visitsUrl = root.dataset.visitsUrl || "";
  var actionsUrl = root.dataset.actionsUrl || "";
  var labels = data.labels;
  var months = data.months.map(function (m) { return m.month; });
  var charts = [];

  function pct(value) { return value === null ? null : Math.round(value * 1000) / 10; }
  function round(value) { return value === null ? null : Math.round(value * 10) / 10; }
  function make(id, option, onClick) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var chart = echarts.init(element);
    // richText: ECharts draws the tooltip itself; its HTML tooltip uses style
    // attributes, which the Content-Security-Policy (style-src 'self') blocks.
    if (option.tooltip) { option.tooltip.renderMode = "richText"; }
    chart.setOption(option);
    if (onClick) { chart.on("click", onClick); }
    charts.push(chart);
  }
  function go(url) { if (url) { window.location.href = url; } }
  function monthVisits(params) {
    var month = data.months[params.dataIndex];
    if (month && visitsUrl) {
      go(visitsUrl + "?due_from=" + month.due_from + "&due_to=" + month.due_to);
    }
  }
  function targetLine(value, scale) {
    if (value === null || value === undefined) { return []; }
    return months.map(function () { return Math.round(value * scale * 10) / 10; });
  }

  make("chart-ontime", {
    tooltip: { trigger: "axis" },
    legend: {},
    grid: { left: 40, right: 16, bottom: 30 },
    xAxis: { type: "category", data: months },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [
      { name: labels.on_time_rate, type: "bar", data: data.months.map(function (m) { return pct(m.on_time_rate); }) },
      { name: labels.coverage_rate, type: "line", data: data.months.map(function (m) { return pct(m.coverage_rate); }) },
      { name: labels.target, type: "line", symbol: "none", lineStyle: { type: "dashed" }, data: targetLine(data.targets.on_time_rate, 100) }
    ]
  }, monthVisits);

  make("chart-satisfaction", {
    tooltip: { trigger: "axis" },
    legend: {},
    grid: { left: 40, right: 16, bottom: 30 },
    xAxis: { type: "category", data: months },
    yAxis: { type: "value", min: -100, max: 100 },
    series: [
      { name: labels.csat, type: "line", connectNulls: true, data: data.months.map(function (m) { return round(m.csat); }) },
      { name: labels.nps, type: "line", connectNulls: true, data: data.months.map(function (m) { return round(m.nps); }) },
      { name: labels.csat + " · " + labels.target, type: "line", symbol: "none", lineStyle: { type: "dashed" }, data: targetLine(data.targets.csat, 1) },
      { name: labels.nps + " · " + labels.target, type: "line", symbol: "none", lineStyle: { type: "dotted" }, data: targetLine(data.targets.nps, 1) }
    ]
  }, monthVisits);

  var categories = [];
  var severities = [];
  data.problems.forEach(function (row) {
    if (categories.indexOf(row.category_label) < 0) { categories.push(row.category_label); }
    if (severities.indexOf(row.severity_label) < 0) { severities.push(row.severity_label); }
  });
  make("chart-problems", {
    tooltip: { trigger: "axis" },
    legend: {},
    grid: { left: 40, right: 16, bottom: 30 },
    xAxis: { type: "category", data: categories },
    yAxis: { type: "value", minInterval: 1 },
    series: severities.map(function (severity) {
      return {
        name: severity, type: "bar", stack: "problems",
        data: categories.map(function (category) {
          var found = data.problems.filter(function (r) { return r.category_label === category && r.severity_label === severity; });
          return found.length ? found[0].count : 0;
        })
      };
    })
  });

  make("chart-funnel", {
    tooltip: { trigger: "item" },
    series: [{
      name: labels.actions, type: "funnel", sort: "none", left: 10, right: 10,
      data: data.funnel.map(function (step) { return { name: step.label, value: step.count, status: step.status }; })
    }]
  }, function (params) {
    if (params.data && actionsUrl) { go(actionsUrl + "?status=" + params.data.status); }
  });

  make("chart-ageing", {
    tooltip: { trigger: "axis" },
    grid: { left: 40, right: 16, bottom: 30 },
    xAxis: { type: "category", data: data.ageing.map(function (b) { return b.bucket; }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: labels.actions, type: "bar", data: data.ageing.map(function (b) { return b.count; }) }]
  }, function () { go(actionsUrl ? actionsUrl + "?status=open" : ""); });

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
