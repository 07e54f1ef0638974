// The risk dashboard: draws each panel's data (from its data-panel attribute) with ECharts and,
// for a preset range, follows the clock by fetching the same panels from the staff JSON API.
"use strict";

(() => {
  const root = document.getElementById("dashboard");
  if (!root || typeof echarts === "undefined") return;
  const labels = JSON.parse(root.dataset.labels || "{}");
  const charts = new Map();
  const label = (name) => labels[name] || name;
  // Outcomes keep one colour everywhere (as the status badges do); other series use the theme's.
  const COLOURS = { approved: "#1e7a3c", in_review: "#d08a00", declined: "#b3261e", shadow: "#8a8f98" };

  function option(panel) {
    const time = panel.x_unit === "time";
    const shown = panel.id === "fraud_rate_by_company"
      ? panel.series.filter((s) => s.unit === "ratio") : panel.series;
    const stacked = panel.kind === "timeseries_stacked" || panel.kind === "histogram";
    return {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: shown.map((s) => label(s.name)) },
      grid: { left: 48, right: 16, top: 32, bottom: 48 },
      xAxis: time
        ? { type: "time" }
        : { type: "category", data: panel.x, axisLabel: { rotate: panel.x.length > 8 ? 40 : 0 } },
      yAxis: { type: "value", name: shown.length ? shown[0].unit : "" },
      series: shown.map((s) => ({
        name: label(s.name),
        type: panel.kind.startsWith("timeseries") ? "line" : "bar",
        stack: stacked ? "total" : undefined,
        areaStyle: panel.kind === "timeseries_stacked" ? {} : undefined,
        showSymbol: false,
        itemStyle: COLOURS[s.name] ? { color: COLOURS[s.name] } : undefined,
        data: time ? panel.x.map((x, i) => [x, s.data[i]]) : s.data,
      })),
    };
  }

  function draw(panel, element) {
    let chart = charts.get(panel.id);
    if (!chart) {
      chart = echarts.init(element, null, { renderer: "canvas" });
      charts.set(panel.id, chart);
    }
    chart.setOption(option(panel), true);
  }

  function fillTable(panel) {
    const body = document.querySelector(`[data-table="${panel.id}"] tbody`);
    if (!body) return;
    body.replaceChildren(...panel.rows.map((row) => {
      const tr = document.createElement("tr");
      row.forEach((cell, i) => {
        const td = document.createElement("td");
        const unit = panel.columns[i].unit;
        if (unit !== "text") td.className = "num";
        td.textContent = cell === null ? "—" : unit === "score" ? Number(cell).toFixed(2) : String(cell);
        tr.appendChild(td);
      });
      return tr;
    }));
  }

  function kpis(panels) {
    const totals = { decisions: 0, approved: 0, in_review: 0, declined: 0 };
    for (const panel of panels) {
      if (panel.id !== "decisions_by_outcome") continue;
      for (const s of panel.series) {
        const n = s.data.reduce((a, v) => a + (v || 0), 0);
        totals[s.name] = n;
        totals.decisions += n;
      }
    }
    const format = new Intl.NumberFormat(document.documentElement.lang);
    for (const [key, value] of Object.entries(totals)) {
      const tile = document.querySelector(`[data-kpi="${key}"]`);
      if (tile) tile.textContent = format.format(value);
    }
  }

  document.querySelectorAll("[data-panel]").forEach((element) => {
    draw(JSON.parse(element.dataset.panel), element);
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));

  const refresh = Number(root.dataset.refreshS || 0);
  const span = Number(root.dataset.spanS || 0);
  if (!refresh || !span) return;
  const status = document.getElementById("dash-status");
  async function update() {
    const to = new Date(Math.ceil(Date.now() / 60000) * 60000);
    const from = new Date(to.getTime() - span * 1000);
    const query = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
    if (root.dataset.company) query.set("company_id", root.dataset.company);
    try {
      const response = await fetch(`/staff/v1/dashboards/risk?${query}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      for (const panel of data.panels) {
        const element = document.querySelector(`#panel-${panel.id} [data-panel]`);
        if (element) draw(panel, element); else fillTable(panel);
      }
      kpis(data.panels);
      status.dataset.updated = new Date().toISOString();
      status.textContent = `${labels["dash.updated"] || "Updated"} ${new Date().toLocaleTimeString(document.documentElement.lang)}`;
    } catch (error) {
      status.textContent = `${labels["dash.stale"] || "Not updated"} (${error.message})`;
    }
  }
  setInterval(update, refresh * 1000);
})();
