// The satisfaction trend on the project page: data from json_script "trend-data".
(function () {
  "use strict";
  var source = document.getElementById("trend-data");
  var element = document.getElementById("trend-chart");
  if (!source || !element || typeof echarts === "undefined") { return; }
  var rows = JSON.parse(source.textContent);
  element.style.height = "240px";
  var chart = echarts.init(element, null, { renderer: "svg" });
  chart.setOption({
    grid: { left: 32, right: 12, top: 16, bottom: 28 },
    // richText: drawn by ECharts itself; its HTML tooltip uses style attributes the CSP blocks.
    tooltip: { trigger: "axis", renderMode: "richText" },
    xAxis: { type: "category", data: rows.map(function (row) { return row.date; }) },
    yAxis: { type: "value", min: 1, max: 5, interval: 1 },
    series: [{
      name: element.getAttribute("data-label") || "",
      type: "line",
      smooth: true,
      data: rows.map(function (row) { return row.overall; })
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
