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

  // The legend scrolls on one line above the plot and the grid keeps its axis labels
  // inside the card (containLabel): a wrapped legend in Chinese or on a phone was
  // drawn over the y axis' labels.
  function legend() { return { type: "scroll", top: 0, left: "center" }; }
  function grid(extra) {
    var base = { top: 40, left: 8, right: 16, bottom: 8, containLabel: true };
    Object.keys(extra || {}).forEach(function (key) { base[key] = extra[key]; });
    return base;
  }

  make("chart-ontime", {
    tooltip: { trigger: "axis" },
    legend: legend(),
    grid: grid(),
    xAxis: { type: "category", data: months },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [
      { name: labels.on_time_rate, type: "bar", data: data.months.map(function (m) { return pct(m.on_time_rate); }) },
      { name: labels.coverage_rate, type: "line", connectNulls: false, data: data.months.map(function (m) { return pct(m.coverage_rate); }) },
      { name: labels.target, type: "line", symbol: "none", lineStyle: { type: "dashed" }, data: targetLine(data.targets.on_time_rate, 100) }
    ]
  }, monthVisits);

  // A month without answers has no CSAT or NPS: null leaves a gap in the line (it
  // must not be joined across, nor drawn as 0, which reads as a bad month).
  make("chart-satisfaction", {
    tooltip: { trigger: "axis" },
    legend: legend(),
    grid: grid(),
    xAxis: { type: "category", data: months },
    yAxis: { type: "value", min: -100, max: 100 },
    series: [
      { name: labels.csat, type: "line", connectNulls: false, data: data.months.map(function (m) { return round(m.csat); }) },
      { name: labels.nps, type: "line", connectNulls: false, data: data.months.map(function (m) { return round(m.nps); }) },
      { name: labels.csat + " · " + labels.target, type: "line", symbol: "none", lineStyle: { type: "dashed" }, data: targetLine(data.targets.csat, 1) },
      { name: labels.nps + " · " + labels.target, type: "line", symbol: "none", lineStyle: { type: "dotted" }, data: targetLine(data.targets.nps, 1) }
    ]
  }, monthVisits);

  // Problems: every category on its own row (horizontal bars), so all seven names are
  // written out in full; on a vertical axis ECharts dropped the names that collided.
  var categories = data.categories;
  var severities = [];
  data.problems.forEach(function (row) {
    if (severities.indexOf(row.severity_label) < 0) { severities.push(row.severity_label); }
  });
  make("chart-problems", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: legend(),
    grid: grid(),
    yAxis: { type: "category", inverse: true, data: categories.map(function (c) { return c.label; }), axisLabel: { interval: 0 } },
    xAxis: { type: "value", minInterval: 1 },
    series: severities.map(function (severity) {
      return {
        name: severity, type: "bar", stack: "problems",
        data: categories.map(function (category) {
          var found = data.problems.filter(function (r) { return r.category === category.category && r.severity_label === severity; });
          return found.length ? found[0].count : 0;
        })
      };
    })
  });

  // Action statuses are states, not stages a share of actions drops out of: a bar
  // per status, named in full on its own row, rather than a funnel.
  make("chart-funnel", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: grid({ top: 8 }),
    yAxis: { type: "category", inverse: true, data: data.funnel.map(function (step) { return step.label; }), axisLabel: { interval: 0 } },
    xAxis: { type: "value", minInterval: 1 },
    series: [{
      name: labels.actions, type: "bar", label: { show: true, position: "right" },
      data: data.funnel.map(function (step) { return { value: step.count, status: step.status }; })
    }]
  }, function (params) {
    if (params.data && actionsUrl) { go(actionsUrl + "?status=" + params.data.status); }
  });

  make("chart-ageing", {
    tooltip: { trigger: "axis" },
    grid: grid({ top: 16 }),
    xAxis: { type: "category", data: data.ageing.map(function (b) { return b.bucket; }), axisLabel: { interval: 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: labels.actions, type: "bar", data: data.ageing.map(function (b) { return b.count; }) }]
  }, function () { go(actionsUrl ? actionsUrl + "?status=open" : ""); });

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
