/* A project's satisfaction over time (follow-up report). */
(function () {
  "use strict";
  var source = document.getElementById("insights-report-data");
  var element = document.getElementById("chart-project-satisfaction");
  if (!source || !element || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(element);
  chart.setOption({
    tooltip: { trigger: "axis", renderMode: "richText" },  // no HTML tooltip: CSP
    grid: { left: 30, right: 16, bottom: 30 },
    xAxis: { type: "category", data: data.satisfaction.map(function (r) { return r.date; }) },
    yAxis: { type: "value", min: 1, max: 5 },
    series: [{ type: "line", data: data.satisfaction.map(function (r) { return r.overall; }) }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
