// The model page's drift charts: bin shares, reference week vs last 24 h, one small bar chart per
// distribution. The data comes from each element's data-chart attribute (JSON written by the
// server); nothing here is inline script (the CSP forbids it). The tables beside the charts carry
// the same numbers as text.
"use strict";

function drawShares(element) {
  let data;
  try {
    data = JSON.parse(element.dataset.chart);
  } catch (error) {
    return; // a chart is an extra over the table: never break the page
  }
  const small = element.classList.contains("small");
  const chart = echarts.init(element, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    grid: small ? { left: 4, right: 4, top: 4, bottom: 4, containLabel: false } : { left: 48, right: 16, top: 32, bottom: 48 },
    legend: small ? { show: false } : { top: 0 },
    tooltip: { trigger: "axis", valueFormatter: (value) => value + " %" },
    xAxis: { type: "category", data: data.labels, axisLabel: { show: !small, rotate: 30 }, axisTick: { show: !small } },
    yAxis: { type: "value", show: !small, axisLabel: { formatter: "{value} %" } },
    series: [
      { name: element.dataset.referenceLabel, type: "bar", data: data.reference, itemStyle: { color: "#8a94a6" } },
      { name: element.dataset.recentLabel, type: "bar", data: data.recent, itemStyle: { color: "#1f5fbf" } },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
}

document.addEventListener("DOMContentLoaded", () => {
  if (typeof echarts === "undefined") return;
  document.querySelectorAll(".psi-chart[data-chart]").forEach(drawShares);
});
